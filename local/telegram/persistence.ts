/**
 * The Telegram peer's world in a file, so that `npm run dev` restarted still knows every chat: the
 * users, the private chats and groups with their messages (both of the web chat's transcripts), the
 * photos the bot sent, and the counters (message order, `update_id`s keep increasing, so the bot's
 * update deduplication never mistakes a new update for an old one).
 *
 * Not kept, as on a Telegram restart of the bot's side: updates still waiting for the webhook, the
 * call and delivery logs, callback queries (their 15 s to be answered are long over).
 */
import * as z from 'zod/mini';
import { Base64, fromBase64, readState, StateSaver, toBase64 } from '../state-file.js';
import type { StoredFile } from './files.js';
import type { PeerStore } from './store.js';

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

/** The file's shape. */
export const TelegramStateSchema = z.object({
  version: z.literal(1),
  /** The bot the chats are with: another bot's state is not restored into this one. */
  botId: Int,
  seq: Count,
  lastUpdateId: Count,
  users: z.array(User),
  chats: z.array(ChatState),
  files: z.array(File),
});
export type TelegramState = z.infer<typeof TelegramStateSchema>;

const WHAT = 'Telegram peer state';

/** The saved state in `file`, or `undefined`; throws `LocalStateError` when it is invalid. */
export function readTelegramState(file: string): Promise<TelegramState | undefined> {
  return readState(file, TelegramStateSchema, WHAT);
}

/** What the file keeps of `store`. */
export function telegramState(store: PeerStore): TelegramState {
  return {
    version: 1,
    botId: store.bot.id,
    ...store.counters(),
    users: [...store.users.values()],
    chats: [...store.chats.values()],
    files: store.files.all().map((file) => ({ ...file, bytes: toBase64(file.bytes) })),
  };
}

/**
 * Puts a saved state back into a fresh `store`. A state saved for another bot (a new token in
 * `identity.json`) is left alone: those chats were with a different bot. Returns whether it was restored.
 */
export function restoreTelegram(store: PeerStore, state: TelegramState): boolean {
  if (state.botId !== store.bot.id) return false;
  for (const user of state.users) store.users.set(user.id, user);
  for (const chat of state.chats) store.chats.set(chat.chat.id, chat);
  for (const file of state.files) {
    const restored: StoredFile = { ...file, bytes: Buffer.from(fromBase64(file.bytes)) };
    store.files.restore(restored);
  }
  store.restoreCounters({ seq: state.seq, lastUpdateId: state.lastUpdateId });
  return true;
}

/** Saves `store` to `file` a moment after each `changed()` (and on `flush()`). */
export function telegramSaver(store: PeerStore, file: string): StateSaver {
  return new StateSaver(file, () => telegramState(store));
}
