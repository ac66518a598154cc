/**
 * The single gate every Bot API call passes before it is executed — over HTTP or from a webhook response.
 *
 * Telegram's flood limits (per bot: about 30 messages/s, 1 message/s per chat, 20 messages/min per group;
 * a 429 with `parameters.retry_after` otherwise) plug in here as an {@link AdmissionPolicy}, without touching
 * method handlers: `telegramLimits()` in `limits.ts`. The default admits everything.
 */
import type { BotApiError } from './errors.js';

/** What a policy sees about a call. */
export interface AdmissionRequest {
  /** The token the call came with (a registered, unrevoked bot's): limits are kept per token. */
  token: string;
  /** The id of the bot the token belongs to. */
  botId: number;
  /** Canonical method name (e.g. `sendMessage`, whatever casing the bot used). */
  method: string;
  params: Readonly<Record<string, unknown>>;
  /** The target chat when the call names one by numeric id. */
  chatId?: number;
  /** The target chat's type, when the chat is known to the peer. */
  chatType?: 'private' | 'group' | 'supergroup' | 'channel';
  viaWebhookResponse: boolean;
  /** `Date.now()` at admission. */
  now: number;
}

/**
 * Decides whether a call may run. Return `undefined` to admit it, or the error to answer with (typically
 * `tooManyRequests(retryAfterSeconds)` from `errors.ts`). Called synchronously, once per call, in arrival order.
 */
export interface AdmissionPolicy {
  admit(request: AdmissionRequest): BotApiError | undefined;
  /**
   * Optional: told how an admitted call ended, so a limiter can count only messages that were really sent
   * (Telegram does not charge a rejected `sendMessage` against the flood limits).
   */
  settled?(request: AdmissionRequest, ok: boolean): void;
}

/** Admits every call: no rate limits. */
export const admitAll: AdmissionPolicy = { admit: () => undefined };
