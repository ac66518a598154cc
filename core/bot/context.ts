import { Context, Telegram } from 'telegraf';
import type { Update, UserFromGetMe } from 'telegraf/types';
import * as z from 'zod/mini';
import { BroadcastMessageSchema } from '../broadcast/jobs.js';
import { LANGUAGES, type Language, pickLanguage, type Translate, translator } from '../i18n.js';
import type { JobDraft } from '../jobs/envelope.js';
import type { TelegramCall } from '../telegram/calls.js';
import { SECRET_NAME } from '../vault/jobs.js';

/** How many wallets a user may link. */
export const MAX_WALLETS = 10;
/** A wallet's label: at most this many characters (code points) once whitespace is collapsed. */
export const MAX_LABEL_CHARS = 32;

/** A wallet the user linked by sending its address (syntax checked); labels are the user's own text. */
export const LinkedWalletSchema = z.object({
  address: z.string().check(z.regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/)),
  // Counted in UTF-16 units here: 32 characters may take up to 64 (emoji), and a label the bot
  // accepted must never invalidate the session.
  label: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_LABEL_CHARS * 2))),
});
export type LinkedWallet = z.infer<typeof LinkedWalletSchema>;

/**
 * Abuse control's token buckets for one (chat, user) (core/bot/limits.ts): the tokens left for
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

/** What the bot keeps per (chat, user). Validated on every read; anything invalid starts fresh. */
export const SessionDataSchema = z.object({
  /** When this session last reported its user as seen (`user.seen`, ms), for /stats' "active in the last 24 h". */
  seenAt: z.optional(z.int().check(z.minimum(0))),
  lang: z.optional(z.enum(LANGUAGES)),
  /** Set on the first update of a private chat, once the user is in the directory. */
  joined: z.optional(z.literal(true)),
  /**
   * Set in a user's private-chat session by an admin's `/block` (the `admin.block` job), cleared by
   * `/unblock`: the bot then ignores everything this session brings (core/bot/admin-users.ts).
   */
  blocked: z.optional(z.literal(true)),
  /** An admin's `/broadcast` waiting for confirmation. */
  broadcastDraft: z.optional(BroadcastMessageSchema),
  /** A `/setsecret` waiting for its value: the secret's name and when it was asked (message date, s). */
  secretPrompt: z.optional(
    z.object({
      name: z.string().check(z.regex(SECRET_NAME)),
      since: z.int(),
      /** An admin storing a service credential. */
      scope: z.optional(z.literal('service')),
    }),
  ),
  /** A `/withdraw` shown for confirmation: what the Confirm button will request, and when it was asked (s). */
  withdrawDraft: z.optional(
    z.object({
      wallet: LinkedWalletSchema.shape.address,
      lamports: z.string().check(z.regex(/^[1-9]\d{0,19}$/)),
      since: z.int(),
    }),
  ),
  /** Linked wallets, in the order they were linked (buttons refer to them by index and address prefix). */
  wallets: z.optional(z.array(LinkedWalletSchema).check(z.maxLength(MAX_WALLETS))),
  /** A "Rename" waiting for the label: the wallet's address and when it was asked (s). */
  walletPrompt: z.optional(z.object({ address: LinkedWalletSchema.shape.address, since: z.int() })),
  /** Abuse control's buckets; an invalid value reads as none (full buckets) and keeps the rest of the session. */
  limits: z.catch(z.optional(RateLimitStateSchema), undefined),
});
export type SessionData = z.infer<typeof SessionDataSchema>;

export function parseSession(data: unknown): SessionData {
  const parsed = SessionDataSchema.safeParse(data ?? {});
  return parsed.success ? parsed.data : {};
}

/**
 * A `Telegram` client that performs no I/O: every API call becomes a `TelegramCall` in the
 * turn's outbox, to be delivered after the session is committed (in the webhook response or
 * through the notify queue). Handlers therefore never see API results: anything that needs
 * a result (a sent message id, a chat lookup) belongs in a job.
 */
export class OutboxTelegram extends Telegram {
  constructor(
    token: string,
    apiRoot: string,
    private readonly outbox: TelegramCall[],
  ) {
    super(token, { apiRoot, webhookReply: false });
  }

  override callApi: Telegram['callApi'] = (method, payload) => {
    this.outbox.push({ method: String(method), params: stripUndefined(payload) });
    // Handlers get no results; `true` is what Telegram returns for most calls.
    return Promise.resolve(true as never);
  };
}

function stripUndefined(payload: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
}

/** The context every handler gets: telegraf's, plus the session, jobs to enqueue and a translator. */
export class BotContext extends Context {
  session: SessionData = {};
  /**
   * The acting user's own private-chat session, read only, when the update comes from another
   * chat (a group, a button under a group message); undefined in the private chat itself, where
   * `session` is that session. It is where an admin's block is recorded.
   */
  actorSession: SessionData | undefined;
  readonly jobs: JobDraft[] = [];

  constructor(update: Update, telegram: Telegram, botInfo: UserFromGetMe) {
    super(update, telegram, botInfo);
  }

  /** The user's language: their choice, else their client's, else English. */
  get lang(): Language {
    return pickLanguage(this.session.lang, this.from?.language_code);
  }

  /** Translates into the user's language. */
  get t(): Translate {
    return translator(this.lang);
  }

  /** An admin blocked the acting user (`blocked` in their private-chat session), whatever the chat. */
  get blocked(): boolean {
    return this.session.blocked === true || this.actorSession?.blocked === true;
  }

  /** Queues a job to run after this update is committed. */
  enqueue<P>(draft: JobDraft<P>): void {
    this.jobs.push(draft as JobDraft);
  }
}
