import * as z from 'zod/mini';
import { LANGUAGES, type Language } from '../i18n/index.js';
import { defineJob, type JobDraft } from '../jobs/index.js';

/**
 * A Telegram username as the directory keeps it (without the `@`). Telegram's are 5–32 letters,
 * digits and underscores (collectible ones 4); anything else is not sent to the directory.
 */
export const USERNAME = /^[A-Za-z0-9_]{3,32}$/;

/** A private chat the bot can write to: who broadcasts reach. */
export interface UserEntry {
  readonly chatId: number;
  /** False once the user blocked the bot; true again when they restart it. */
  readonly active: boolean;
  readonly lang?: Language;
  /** Their Telegram username when last seen (without `@`), as they spell it. */
  readonly username?: string;
}

/** A user as the directory knows them, with what only admins change. */
export interface UserRecord extends UserEntry {
  /** Present (and true) while an admin has them blocked. */
  readonly blocked?: true;
}

/** One page of active users, and where the next page starts (null at the end). */
export interface UserPage {
  readonly chatIds: number[];
  readonly next: string | null;
}

/**
 * The bot's users, for broadcasts and the admin desk. An entry is written when a user first talks
 * to the bot and flipped inactive when Telegram says they blocked it (403) or a `my_chat_member`
 * update says so; an admin may block a user too (a separate flag, untouched by the user's own
 * comings and goings). Broadcasts page only users who are active and not blocked. Pages are stable
 * under concurrent writes: a user added while a broadcast pages may or may not be included, none twice.
 *
 * Usernames are indexed for lookups; they change, so the newest write of a username wins, and a
 * lookup only answers with a user whose entry still carries that username.
 */
export interface UserDirectory {
  /** Adds or updates a user; a user who writes again is active again (an admin's block stays). */
  upsert(entry: UserEntry): Promise<void>;
  /** Marks a user (in)active; unknown users are added. */
  setActive(chatId: number, active: boolean): Promise<void>;
  /** Active, unblocked users in a stable order, `limit` at most per page, from `cursor` (null: the start). */
  activePage(cursor: string | null, limit: number): Promise<UserPage>;
  /** One user, or undefined when they never talked to the bot. */
  get(chatId: number): Promise<UserRecord | undefined>;
  /** The user who holds `username` now (any case, with or without `@`), if the directory saw them with it. */
  findByUsername(username: string): Promise<UserRecord | undefined>;
  /** Sets or clears an admin's block; false (and nothing written) when the user is unknown. */
  setBlocked(chatId: number, blocked: boolean): Promise<boolean>;
}

/**
 * `user.status`: the webhook saw a user start, block or restart the bot. The notify worker
 * records it in the directory (the webhook itself keeps one write per update), with the user's
 * username when they have one, so admins can look them up by it.
 */
export const UserStatusJob = defineJob('user.status', 'notify', () =>
  z.object({
    active: z.boolean(),
    lang: z.optional(z.enum(LANGUAGES)),
    username: z.optional(z.string().check(z.regex(USERNAME))),
  }),
);
export type UserStatus = z.infer<typeof UserStatusJob.payload>;

/** A `user.status` draft; a username the directory would not keep is left out rather than failing the turn. */
export function userStatus(chatId: number, status: UserStatus): JobDraft {
  const { username, ...rest } = status;
  const payload: UserStatus = username !== undefined && USERNAME.test(username) ? { ...rest, username } : rest;
  return { job: UserStatusJob, payload, chatId, userId: chatId };
}
