import * as z from 'zod/mini';
import { BroadcastMessageSchema } from '../broadcasts/jobs.js';
import { LANGUAGES, type Language, pickLanguage, type Translate, translator } from '../i18n/index.js';
import { PlatformContext } from '../platform/context.js';
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
   * `/unblock`: the bot then ignores everything this session brings (core/admin/users-conversation.ts).
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

/** The desk's context: the platform's, with the desk's session, language, translator and block. */
export class BotContext extends PlatformContext<SessionData> {
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
}
