import * as z from 'zod/mini';
import type { ConversationTranslate } from '../../desk/i18n.js';
import { PlatformContext } from '../../platform/context.js';
import { LANGUAGES, type Language, pickLanguage } from '../../platform/i18n/index.js';
import { adminSessionFields } from '../admin/index.js';
import { broadcastSessionFields } from '../broadcasts/index.js';
import { conversationTranslator } from '../i18n.js';
import { payoutSessionFields } from '../payouts/index.js';
import { vaultSessionFields } from '../vault/index.js';
import { walletSessionFields } from '../wallets/index.js';

/**
 * Abuse control's token buckets for one (chat, user) (core/desk/bot/limits.ts): the tokens left for
 * messages and button presses, and for jobs, as counted at `at` (ms since the epoch).
 */
export const RateLimitStateSchema = z.object({
  at: z.int().check(z.minimum(0)),
  messages: z.number().check(z.minimum(0), z.maximum(1000)),
  jobs: z.number().check(z.minimum(0), z.maximum(1000)),
  /** When the last "slow down" message went to the chat (ms), while it still holds the next one back. */
  noticeAt: z.optional(z.int().check(z.minimum(0))),
});
export type RateLimitState = z.infer<typeof RateLimitStateSchema>;

/**
 * What the desk keeps per (chat, user): the language and abuse control's buckets, then each
 * feature's own fields. Validated on every read; anything invalid starts fresh.
 */
export const SessionDataSchema = z.object({
  lang: z.optional(z.enum(LANGUAGES)),
  /** Abuse control's buckets; an invalid value reads as none (full buckets) and keeps the rest of the session. */
  limits: z.catch(z.optional(RateLimitStateSchema), undefined),
  ...adminSessionFields,
  ...broadcastSessionFields,
  ...vaultSessionFields,
  ...payoutSessionFields,
  ...walletSessionFields,
});
export type SessionData = z.infer<typeof SessionDataSchema>;

export function parseSession(data: unknown): SessionData {
  const parsed = SessionDataSchema.safeParse(data ?? {});
  return parsed.success ? parsed.data : {};
}

/** The desk's context: the platform's, with the desk's session, language, conversationTranslator and block. */
export class BotContext extends PlatformContext<SessionData> {
  /** The user's language: their choice, else their client's, else English. */
  get lang(): Language {
    return pickLanguage(this.session.lang, this.from?.language_code);
  }

  /** Translates into the user's language. */
  get t(): ConversationTranslate {
    return conversationTranslator(this.lang);
  }

  /** An admin blocked the acting user (`blocked` in their private-chat session), whatever the chat. */
  get blocked(): boolean {
    return this.session.blocked === true || this.actorSession?.blocked === true;
  }
}
