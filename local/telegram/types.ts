/**
 * The Bot API objects the local Telegram peer produces and records.
 *
 * These are deliberately small, structural copies of the Bot API types (https://core.telegram.org/bots/api#available-types):
 * only the fields the peer fills. They are plain JSON so they can be sent over the wire, compared in tests and
 * rendered by a web chat page without conversion.
 */

/** A Telegram user or bot (`User`). */
export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
  language_code?: string;
}

/** A chat as embedded in messages and updates (`Chat`). */
export interface TgChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  username?: string;
  first_name?: string;
}

/** One formatting entity; offsets and lengths are in UTF-16 code units, as in the Bot API. */
export interface TgMessageEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  custom_emoji_id?: string;
  user?: TgUser;
}

/** One inline keyboard button (`InlineKeyboardButton`); exactly one action field besides `text`. */
export interface TgInlineKeyboardButton {
  text: string;
  callback_data?: string;
  url?: string;
  [action: string]: unknown;
}

/** `InlineKeyboardMarkup`: rows of buttons. */
export interface TgInlineKeyboardMarkup {
  inline_keyboard: TgInlineKeyboardButton[][];
}

/** One size of a photo (`PhotoSize`). */
export interface TgPhotoSize {
  file_id: string;
  file_unique_id: string;
  width: number;
  height: number;
  file_size?: number;
}

/** A file ready to be downloaded (`File`), as `getFile` returns it: `GET /file/bot<token>/<file_path>`. */
export interface TgFile {
  file_id: string;
  file_unique_id: string;
  file_size?: number;
  file_path?: string;
}

/** A message (`Message`), as the bot sees it in results and updates: a text message or a photo with a caption. */
export interface TgMessage {
  message_id: number;
  from?: TgUser;
  chat: TgChat;
  date: number;
  edit_date?: number;
  text?: string;
  entities?: TgMessageEntity[];
  /** The sizes of a photo, smallest first. */
  photo?: TgPhotoSize[];
  caption?: string;
  caption_entities?: TgMessageEntity[];
  reply_markup?: TgInlineKeyboardMarkup;
  reply_to_message?: TgMessage;
}

/** `CallbackQuery`: a press on an inline keyboard button. */
export interface TgCallbackQuery {
  id: string;
  from: TgUser;
  message?: TgMessage;
  chat_instance: string;
  data?: string;
}

/** `ChatMember`, reduced to what `my_chat_member` needs. */
export interface TgChatMember {
  user: TgUser;
  status: 'creator' | 'administrator' | 'member' | 'restricted' | 'left' | 'kicked';
  until_date?: number;
}

/** `ChatMemberUpdated`: the bot's own membership changed (e.g. the user blocked it). */
export interface TgChatMemberUpdated {
  chat: TgChat;
  from: TgUser;
  date: number;
  old_chat_member: TgChatMember;
  new_chat_member: TgChatMember;
}

/** An `Update` the peer can produce. Exactly one payload field is set. */
export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  edited_message?: TgMessage;
  callback_query?: TgCallbackQuery;
  my_chat_member?: TgChatMemberUpdated;
}

/** The payload fields of {@link TgUpdate}, i.e. the update types the peer can produce. */
export type UpdateType = Exclude<keyof TgUpdate, 'update_id'>;

/** The error half of a Bot API response: `{ ok: false, error_code, description, parameters? }`. */
export interface ApiErrorBody {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** `WebhookInfo`, as returned by `getWebhookInfo`. */
export interface WebhookInfo {
  url: string;
  has_custom_certificate: boolean;
  pending_update_count: number;
  ip_address?: string;
  last_error_date?: number;
  last_error_message?: string;
  max_connections?: number;
  allowed_updates?: string[];
}

/** One API call the peer received (over HTTP, or executed from a webhook response body). */
export interface ApiCall {
  /** Position in the peer's call log, from 1. */
  seq: number;
  /** The bot whose token the call came with; absent for a token of no hosted bot. */
  botId?: number;
  /** Method name as the bot spelled it (the Bot API matches names case-insensitively). */
  method: string;
  /**
   * Parameters after decoding the body (JSON values, or strings for form bodies); an uploaded file is recorded
   * as `{ filename, mime_type, file_size }`, without its bytes (read those with `TelegramPeer.file`).
   */
  params: Record<string, unknown>;
  ok: boolean;
  result?: unknown;
  error?: ApiErrorBody;
  /** True when the call came as `{ method, ... }` in a 2xx webhook response body. */
  viaWebhookResponse: boolean;
  /** `Date.now()` when the call was received. */
  at: number;
}

/** One version of a bot message: the original or an edit. */
export interface MessageVersion {
  /** The text, or a photo's caption (`''` when it has none). */
  text: string;
  entities: TgMessageEntity[];
  reply_markup?: TgInlineKeyboardMarkup;
  /** Unix seconds of the edit; absent on the original version. */
  edit_date?: number;
}

/**
 * A message the bot sent, with its current state and every earlier version. A photo message has `photo` and
 * `caption`, and its `text` and `entities` are the caption's too (`''` and `[]` without a caption), so code that
 * reads `text` works on every message.
 */
export interface SentMessage {
  chatId: number;
  message_id: number;
  date: number;
  /** The text, or a photo's caption (`''` when it has none). */
  text: string;
  entities: TgMessageEntity[];
  /** A photo message's sizes, smallest first; read the bytes with `TelegramPeer.file(photo.at(-1).file_id)`. */
  photo?: TgPhotoSize[];
  /** A photo message's caption (`''` when it has none), the same as `text`; absent on text messages. */
  caption?: string;
  reply_markup?: TgInlineKeyboardMarkup;
  edit_date?: number;
  /** True once the message was deleted (it stays in the log so tests can see it existed). */
  deleted: boolean;
  /** Earlier versions, oldest first; empty when never edited. */
  history: MessageVersion[];
}

/** One webhook delivery attempt. */
export interface Delivery {
  update_id: number;
  /** The chat whose ordered queue the update belongs to, when it has one. */
  chatId?: number;
  /** 1 for the first attempt, 2 for the first redelivery, ... */
  attempt: number;
  /** HTTP status of the webhook's answer; absent on timeouts and connection errors. */
  status?: number;
  ok: boolean;
  durationMs: number;
  /** Telegram-style error text (`Wrong response from the webhook: 500 Internal Server Error`, `Read timeout expired`). */
  error?: string;
  /** True on the last failed attempt, after which the update was dropped. */
  gaveUp: boolean;
  startedAt: number;
}

/** `BotCommand`: one entry of the bot's command menu. */
export interface TgBotCommand {
  command: string;
  description: string;
}
