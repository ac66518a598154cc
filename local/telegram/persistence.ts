/**
 * The Telegram peer's world in a file, so that `npm run dev` restarted still knows every chat: the
 * users, and for every bot its private chats and groups with their messages (the web chat's
 * transcripts), the photos it sent, and its counters (message order, `update_id`s keep increasing, so the
 * bot's update deduplication never mistakes a new update for an old one).
 *
 * A bot's part is restored when a bot with its id is hosted (at start or by a later `addBot`); until then it
 * is kept as it was. Bots' tokens are not saved. A file of the single-bot format (`version: 1`, before the
 * peer hosted several bots) is read as a file with that one bot.
 *
 * Not kept, as on a Telegram restart of the bot's side: webhooks and command menus (bots set them again),
 * updates still waiting for the webhook, the call and delivery logs, callback queries (their 15 s to be
 * answered are long over).
 */
import * as z from 'zod/mini';
import { Base64, fromBase64, readState, StateSaver, toBase64 } from '../state-file.js';
import type { StoredFile } from './files.js';
import type { PeerStore } from './store.js';
import type { TgUser } from './types.js';

const Int = z.int();
const Count = z.int().check(z.nonnegative());
const User = z.object({
  id: Int,
  is_bot: z.boolean(),
  first_name: z.string(),
  username: z.optional(z.string()),
  language_code: z.optional(z.string()),
});
const Chat = z.object({
  id: Int,
  type: z.enum(['private', 'group', 'supergroup', 'channel']),
  title: z.optional(z.string()),
  username: z.optional(z.string()),
  first_name: z.optional(z.string()),
});
const Entity = z.object({
  type: z.string(),
  offset: Count,
  length: Count,
  url: z.optional(z.string()),
  language: z.optional(z.string()),
  custom_emoji_id: z.optional(z.string()),
  user: z.optional(User),
});
const Keyboard = z.object({ inline_keyboard: z.array(z.array(z.looseObject({ text: z.string() }))) });
const Photo = z.object({
  file_id: z.string(),
  file_unique_id: z.string(),
  width: Count,
  height: Count,
  file_size: z.optional(Count),
});
const Version = z.object({
  text: z.string(),
  entities: z.array(Entity),
  reply_markup: z.optional(Keyboard),
  edit_date: z.optional(Count),
});
const Message = z.object({
  chatId: Int,
  message_id: Count,
  fromBot: z.boolean(),
  from: User,
  date: Count,
  text: z.string(),
  entities: z.array(Entity),
  photo: z.optional(z.array(Photo)),
  reply_markup: z.optional(Keyboard),
  edit_date: z.optional(Count),
  reply_to_message_id: z.optional(Count),
  deleted: z.boolean(),
  history: z.array(Version),
  seq: Count,
});
const ChatState = z.object({
  chat: Chat,
  known: z.boolean(),
  blocked: z.boolean(),
  nextMessageId: Count,
  messages: z.array(Message),
});
const File = z.object({
  file_id: z.string(),
  file_unique_id: z.string(),
  file_path: z.string(),
  mimeType: z.enum(['image/png', 'image/jpeg']),
  width: Count,
  height: Count,
  bytes: Base64,
});

/** One bot's part of the file: its chats with their messages, its photos and its counters. */
const SavedBotSchema = z.object({
  /** The bot the chats are with: only that bot's state is restored into it. */
  botId: Int,
  seq: Count,
  lastUpdateId: Count,
  chats: z.array(ChatState),
  files: z.array(File),
});
export type SavedBot = z.infer<typeof SavedBotSchema>;

/** The single-bot file written before the peer hosted several bots: one bot's part plus the users. */
const SingleBotStateSchema = z.extend(SavedBotSchema, { version: z.literal(1), users: z.array(User) });

/** The file: the users (shared by every bot) and each bot's part. */
const ManyBotsStateSchema = z.object({
  version: z.literal(2),
  users: z.array(User),
  bots: z
    .array(SavedBotSchema)
    .check(z.refine((bots) => new Set(bots.map((bot) => bot.botId)).size === bots.length, 'each bot at most once')),
});

/** The file's shape: the current one (`version: 2`), or the single-bot one (`version: 1`), still restored. */
export const TelegramStateSchema = z.discriminatedUnion('version', [ManyBotsStateSchema, SingleBotStateSchema]);
export type TelegramState = z.infer<typeof ManyBotsStateSchema>;

const WHAT = 'Telegram peer state';

/**
 * The saved state in `file` (a single-bot file read as the same state with one bot), or `undefined`;
 * throws `LocalStateError` naming the file when it is invalid.
 */
export async function readTelegramState(file: string): Promise<TelegramState | undefined> {
  const state = await readState(file, TelegramStateSchema, WHAT);
  if (state === undefined || state.version === 2) return state;
  const { version: _, users, ...bot } = state;
  return { version: 2, users, bots: [bot] };
}

/** One bot's part of the file. */
export function savedBot(store: PeerStore): SavedBot {
  return {
    botId: store.bot.id,
    ...store.counters(),
    chats: [...store.chats.values()],
    files: store.files.all().map((file) => ({ ...file, bytes: toBase64(file.bytes) })),
  };
}

/**
 * What the file keeps: the users, the hosted bots' parts, and the parts of bots restored from the file
 * that are not hosted (yet): `dormant`, kept until their bot is added again.
 */
export function telegramState(
  users: ReadonlyMap<number, TgUser>,
  bots: readonly PeerStore[],
  dormant: Iterable<SavedBot>,
): TelegramState {
  return { version: 2, users: [...users.values()], bots: [...bots.map(savedBot), ...dormant] };
}

/** Puts a bot's saved part back into its fresh `store` (whose bot id it must carry). */
export function restoreBot(store: PeerStore, saved: SavedBot): void {
  if (saved.botId !== store.bot.id) throw new Error(`saved state of bot ${saved.botId} is not bot ${store.bot.id}'s`);
  for (const chat of saved.chats) store.chats.set(chat.chat.id, chat);
  for (const file of saved.files) {
    const restored: StoredFile = { ...file, bytes: Buffer.from(fromBase64(file.bytes)) };
    store.files.restore(restored);
  }
  store.restoreCounters({ seq: saved.seq, lastUpdateId: saved.lastUpdateId });
}

/**
 * Puts a saved state back: the users into `users`, each bot's part into the store of `bots` with its id.
 * Returns the parts of the bots that are not there (a bot added later, or one whose token changed in
 * `identity.json`): they are never given to another bot.
 */
export function restoreTelegram(
  users: Map<number, TgUser>,
  bots: readonly PeerStore[],
  state: TelegramState,
): Map<number, SavedBot> {
  for (const user of state.users) users.set(user.id, user);
  const dormant = new Map<number, SavedBot>();
  for (const saved of state.bots) {
    const store = bots.find((candidate) => candidate.bot.id === saved.botId);
    if (store === undefined) dormant.set(saved.botId, saved);
    else restoreBot(store, saved);
  }
  return dormant;
}

/** Saves the state `snapshot` returns to `file` a moment after each `changed()` (and on `flush()`). */
export function telegramSaver(file: string, snapshot: () => TelegramState): StateSaver {
  return new StateSaver(file, snapshot);
}
