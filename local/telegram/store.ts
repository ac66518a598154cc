/**
 * The peer's world: users, chats, messages and callback queries, in one object.
 *
 * Everything that talks about Telegram state (method handlers, the test-facing helpers, a future web chat
 * page) reads and writes through this store, so there is a single truth about what each chat looks like.
 * It knows nothing about HTTP, webhooks or update delivery.
 */
import { createHash, randomBytes } from 'node:crypto';
import { FileStore } from './files.js';
import type {
  MessageVersion,
  SentMessage,
  TgChat,
  TgInlineKeyboardMarkup,
  TgMessage,
  TgMessageEntity,
  TgPhotoSize,
  TgUser,
} from './types.js';

/** A message as stored: current state plus the versions it replaced. */
export interface StoredMessage {
  chatId: number;
  message_id: number;
  /** Sent by the bot (as opposed to a user of the chat). */
  fromBot: boolean;
  from: TgUser;
  date: number;
  /** The text, or a photo's caption (`''` when it has none). */
  text: string;
  /** The text's or the caption's entities. */
  entities: TgMessageEntity[];
  /** Set on a photo message: its sizes, smallest first (`text` is then the caption). */
  photo?: TgPhotoSize[];
  reply_markup?: TgInlineKeyboardMarkup;
  edit_date?: number;
  reply_to_message_id?: number;
  deleted: boolean;
  history: MessageVersion[];
  /** Global creation order across chats. */
  seq: number;
}

/** One chat the peer simulates. */
export interface ChatState {
  chat: TgChat;
  /**
   * The bot may write here: for a private chat, the user has interacted with the bot; groups are known
   * from the start (the bot is a member).
   */
  known: boolean;
  /** The user blocked the bot (private chats only): sends get 403. */
  blocked: boolean;
  /** Message ids increase per chat and are shared by the bot's and the users' messages. */
  nextMessageId: number;
  messages: StoredMessage[];
}

/** A callback query created by a button press, and how the bot answered it. */
export interface CallbackQueryState {
  id: string;
  chatId: number;
  messageId: number;
  from: TgUser;
  data: string;
  createdAt: number;
  answered: boolean;
  answer?: { text?: string; show_alert: boolean; url?: string; cache_time?: number };
}

/** What a new message needs. */
export interface NewMessage {
  fromBot: boolean;
  from: TgUser;
  /** The text, or a photo's caption. */
  text: string;
  entities: TgMessageEntity[];
  /** A photo message's sizes. */
  photo?: TgPhotoSize[];
  reply_markup?: TgInlineKeyboardMarkup;
  reply_to_message_id?: number;
}

const unixNow = (): number => Math.floor(Date.now() / 1000);

/** A user's private chat, as the `Chat` object of their messages. */
const privateChatOf = (user: TgUser): TgChat => ({
  id: user.id,
  type: 'private',
  first_name: user.first_name,
  ...(user.username !== undefined && { username: user.username }),
});

/** Deep copy of JSON-shaped data, so callers never alias stored state. */
const clone = <T>(value: T): T => structuredClone(value);

/**
 * Users, chats, messages and callback queries of one simulated Telegram, seen from one bot. The users are
 * shared by every bot of a peer (one map, passed in); each bot has its own chats (a user's private chat with
 * it has the user's id, as on Telegram), message ids, callback queries and files.
 */
export class PeerStore {
  readonly bot: TgUser;
  readonly users: Map<number, TgUser>;
  readonly chats = new Map<number, ChatState>();
  readonly callbackQueries = new Map<string, CallbackQueryState>();
  /** Files the bot uploaded (photos), by file id and download path. */
  readonly files = new FileStore();
  private seq = 0;
  private lastUpdateId: number;

  constructor(bot: { id: number; username: string; first_name: string }, users = new Map<number, TgUser>()) {
    this.bot = { id: bot.id, is_bot: true, first_name: bot.first_name, username: bot.username };
    this.users = users;
    // Telegram starts update ids at an arbitrary positive number.
    this.lastUpdateId = 100_000_000 + Math.floor(Math.random() * 1_000_000);
  }

  /** The counters a restored store continues from (`persistence.ts`). */
  counters(): { seq: number; lastUpdateId: number } {
    return { seq: this.seq, lastUpdateId: this.lastUpdateId };
  }

  /** Continues from saved counters: message order and update ids keep increasing across a restart. */
  restoreCounters(counters: { seq: number; lastUpdateId: number }): void {
    this.seq = counters.seq;
    this.lastUpdateId = counters.lastUpdateId;
  }

  /** The next `update_id`; ids only increase. */
  nextUpdateId(): number {
    this.lastUpdateId += 1;
    return this.lastUpdateId;
  }

  /** Registers (or updates) a user; the private chat exists but is unknown to the bot until the user writes. */
  upsertUser(id: number, opts: { first_name?: string; username?: string; language_code?: string } = {}): TgUser {
    if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`user id must be a positive integer, got ${id}`);
    const existing = this.users.get(id);
    const user: TgUser = { id, is_bot: false, first_name: opts.first_name ?? existing?.first_name ?? `User ${id}` };
    const username = opts.username ?? existing?.username;
    const languageCode = opts.language_code ?? existing?.language_code;
    if (username !== undefined) user.username = username;
    if (languageCode !== undefined) user.language_code = languageCode;
    this.users.set(id, user);
    const chat = this.chats.get(id);
    if (chat === undefined) this.privateChat(id);
    else chat.chat = privateChatOf(user);
    return user;
  }

  /**
   * The private chat of this bot with a registered user, created (unknown to the bot) when the user was
   * registered through another bot of the peer; `undefined` for an unknown user.
   */
  privateChat(userId: number): ChatState | undefined {
    const existing = this.chats.get(userId);
    if (existing !== undefined) return existing;
    const user = this.users.get(userId);
    if (user === undefined) return undefined;
    const state: ChatState = {
      chat: privateChatOf(user),
      known: false,
      blocked: false,
      nextMessageId: 1,
      messages: [],
    };
    this.chats.set(userId, state);
    return state;
  }

  /** Registers a group (negative id) the bot is a member of. */
  upsertGroup(id: number, title: string): ChatState {
    if (!Number.isSafeInteger(id) || id >= 0) throw new Error(`group id must be a negative integer, got ${id}`);
    const existing = this.chats.get(id);
    if (existing !== undefined) {
      existing.chat.title = title;
      return existing;
    }
    const state: ChatState = {
      chat: { id, type: 'group', title },
      known: true,
      blocked: false,
      nextMessageId: 1,
      messages: [],
    };
    this.chats.set(id, state);
    return state;
  }

  chat(id: number): ChatState | undefined {
    return this.chats.get(id);
  }

  /** Appends a message to a chat with the chat's next message id. */
  addMessage(chatId: number, input: NewMessage): StoredMessage {
    const chat = this.chats.get(chatId);
    if (chat === undefined) throw new Error(`unknown chat ${chatId}`);
    const message: StoredMessage = {
      chatId,
      message_id: chat.nextMessageId++,
      fromBot: input.fromBot,
      from: input.from,
      date: unixNow(),
      text: input.text,
      entities: clone(input.entities),
      ...(input.photo !== undefined && { photo: clone(input.photo) }),
      ...(input.reply_markup !== undefined && { reply_markup: clone(input.reply_markup) }),
      ...(input.reply_to_message_id !== undefined && { reply_to_message_id: input.reply_to_message_id }),
      deleted: false,
      history: [],
      seq: ++this.seq,
    };
    chat.messages.push(message);
    return message;
  }

  message(chatId: number, messageId: number): StoredMessage | undefined {
    return this.chats.get(chatId)?.messages.find((m) => m.message_id === messageId);
  }

  /** Replaces a message's content, keeping the previous version in its history. */
  editMessage(
    message: StoredMessage,
    next: { text: string; entities: TgMessageEntity[]; reply_markup: TgInlineKeyboardMarkup | undefined },
  ): void {
    message.history.push({
      text: message.text,
      entities: message.entities,
      ...(message.reply_markup !== undefined && { reply_markup: message.reply_markup }),
      ...(message.edit_date !== undefined && { edit_date: message.edit_date }),
    });
    message.text = next.text;
    message.entities = clone(next.entities);
    if (next.reply_markup === undefined) delete message.reply_markup;
    else message.reply_markup = clone(next.reply_markup);
    message.edit_date = unixNow();
  }

  /** The `Message` object the Bot API would return or deliver for a stored message. */
  toTgMessage(message: StoredMessage, withReply = true): TgMessage {
    const chat = this.chats.get(message.chatId)!;
    const result: TgMessage = {
      message_id: message.message_id,
      from: clone(message.from),
      chat: clone(chat.chat),
      date: message.date,
      ...(message.edit_date !== undefined && { edit_date: message.edit_date }),
      ...(message.photo === undefined
        ? {
            text: message.text,
            ...(message.entities.length > 0 && { entities: clone(message.entities) }),
          }
        : {
            photo: clone(message.photo),
            ...(message.text !== '' && { caption: message.text }),
            ...(message.entities.length > 0 && { caption_entities: clone(message.entities) }),
          }),
      ...(message.reply_markup !== undefined && { reply_markup: clone(message.reply_markup) }),
    };
    if (withReply && message.reply_to_message_id !== undefined) {
      const replied = this.message(message.chatId, message.reply_to_message_id);
      if (replied !== undefined && !replied.deleted) result.reply_to_message = this.toTgMessage(replied, false);
    }
    return result;
  }

  /** A snapshot of a bot message for test assertions. */
  toSentMessage(message: StoredMessage): SentMessage {
    return {
      chatId: message.chatId,
      message_id: message.message_id,
      date: message.date,
      text: message.text,
      entities: clone(message.entities),
      ...(message.photo !== undefined && { photo: clone(message.photo), caption: message.text }),
      ...(message.reply_markup !== undefined && { reply_markup: clone(message.reply_markup) }),
      ...(message.edit_date !== undefined && { edit_date: message.edit_date }),
      deleted: message.deleted,
      history: clone(message.history),
    };
  }

  /** The bot's messages, in the order they were sent, optionally for one chat. */
  botMessages(chatId?: number): StoredMessage[] {
    const chats =
      chatId === undefined ? [...this.chats.values()] : [this.chats.get(chatId)].filter((c) => c !== undefined);
    return chats.flatMap((chat) => chat.messages.filter((m) => m.fromBot)).sort((a, b) => a.seq - b.seq);
  }

  /** Creates a callback query with a fresh id for a press on `messageId` in `chatId`. */
  newCallbackQuery(chatId: number, messageId: number, from: TgUser, data: string): CallbackQueryState {
    let id: string;
    do {
      id = (randomBytes(8).readBigUInt64BE() >> 1n).toString();
    } while (this.callbackQueries.has(id));
    const query: CallbackQueryState = { id, chatId, messageId, from, data, createdAt: Date.now(), answered: false };
    this.callbackQueries.set(id, query);
    return query;
  }

  /** A stable opaque id of the chat, as in `CallbackQuery.chat_instance`. */
  chatInstance(chatId: number): string {
    const digest = createHash('sha256').update(`${this.bot.id}:${chatId}`).digest();
    return digest.readBigInt64BE().toString();
  }
}
