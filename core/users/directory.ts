import * as z from 'zod/mini';
import { LANGUAGES, type Language } from '../i18n.js';
import { defineJob, type JobDraft } from '../jobs/envelope.js';

/** A private chat the bot can write to: who broadcasts reach. */
export interface UserEntry {
  readonly chatId: number;
  /** False once the user blocked the bot; true again when they restart it. */
  readonly active: boolean;
  readonly lang?: Language;
}

/** One page of active users, and where the next page starts (null at the end). */
export interface UserPage {
  readonly chatIds: number[];
  readonly next: string | null;
}

/**
 * The bot's users, for broadcasts. An entry is written when a user first talks to the bot and
 * flipped inactive when Telegram says they blocked it (403) or a `my_chat_member` update says
 * so; inactive users are skipped by every later broadcast. Pages are stable under concurrent
 * writes: a user added while a broadcast pages may or may not be included, none twice.
 */
export interface UserDirectory {
  /** Adds or updates a user; a user who writes again is active again. */
  upsert(entry: UserEntry): Promise<void>;
  /** Marks a user (in)active; unknown users are added. */
  setActive(chatId: number, active: boolean): Promise<void>;
  /** Active users in a stable order, `limit` at most per page, from `cursor` (null: the start). */
  activePage(cursor: string | null, limit: number): Promise<UserPage>;
}

/**
 * `user.status`: the webhook saw a user start, block or restart the bot. The notify worker
 * records it in the directory (the webhook itself keeps one write per update).
 */
export const UserStatusJob = defineJob(
  'user.status',
  'notify',
  z.object({ active: z.boolean(), lang: z.optional(z.enum(LANGUAGES)) }),
);
export type UserStatus = z.infer<typeof UserStatusJob.payload>;

export function userStatus(chatId: number, status: UserStatus): JobDraft {
  return { job: UserStatusJob, payload: status, chatId, userId: chatId };
}
