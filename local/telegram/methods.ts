/**
 * The Bot API methods the peer implements. Each handler validates its parameters in the order the Bot API
 * server does (syntax first, then the chat, then what Telegram's servers check) and works on the
 * {@link PeerStore}. Handlers know nothing about HTTP; they throw {@link BotApiError} to answer with an error.
 */
import { BotApiError, badRequest, Descriptions } from './errors.js';
import { imageInfo, type StoredFile } from './files.js';
import type { ChatState, PeerStore, StoredMessage } from './store.js';
import type { TgBotCommand, TgInlineKeyboardMarkup, TgMessageEntity, WebhookInfo } from './types.js';
import type { LongPoll, UpdateQueue } from './updates.js';
import {
  finishCaption,
  finishText,
  type InputFile,
  type Params,
  readAllowedUpdates,
  readBool,
  readBotCommands,
  readCaption,
  readChatAction,
  readChatId,
  readClampedInt,
  readCommandLanguage,
  readCommandScope,
  readFormattedText,
  readInputFile,
  readInt,
  readMessageId,
  readReplyMarkup,
  readString,
  readWebhookRequest,
  type WebhookRequest,
} from './validate.js';

/** What handlers need from the running peer besides the store. */
export interface PeerRuntime {
  readonly store: PeerStore;
  readonly updates: UpdateQueue;
  readonly poll: LongPoll;
  /** How long a callback query can be answered. */
  readonly callbackQueryTimeoutMs: number;
  hasWebhook(): boolean;
  /** Installs or replaces the webhook; returns false when the same settings were already in place. */
  setWebhook(request: WebhookRequest): boolean;
  /** Removes the webhook; returns false when there was none. */
  deleteWebhook(): boolean;
  webhookInfo(): WebhookInfo;
  /** The bot's command lists, by {@link commandListKey}. */
  readonly commandLists: Map<string, TgBotCommand[]>;
}

/** Where a command list is kept: its scope (with the chat and user it names) and its language (`''` for all). */
export function commandListKey(scope: string, languageCode = ''): string {
  return `${scope}|${languageCode}`;
}

/** Everything a handler gets for one call. */
export interface MethodContext {
  runtime: PeerRuntime;
  params: Params;
  viaWebhookResponse: boolean;
  /** Aborted when the HTTP client goes away (ends long polls early). */
  signal: AbortSignal;
}

/** A successful result that also carries Telegram's `description` (setWebhook, deleteWebhook). */
export class Described {
  constructor(
    readonly result: unknown,
    readonly description: string,
  ) {}
}

export type MethodHandler = (context: MethodContext) => unknown;

/** The chat named by `chat_id`, which the bot must be able to see. */
function knownChat(runtime: PeerRuntime, params: Params): ChatState {
  const id = readChatId(params);
  const chat = typeof id === 'number' ? runtime.store.chat(id) : undefined;
  if (chat === undefined || !chat.known) throw new BotApiError(400, Descriptions.chatNotFound);
  return chat;
}

/** A chat the bot may send to: known and not blocked. */
function writableChat(runtime: PeerRuntime, params: Params): ChatState {
  const chat = knownChat(runtime, params);
  if (chat.blocked) throw new BotApiError(403, Descriptions.blocked);
  return chat;
}

function readReplyTo(params: Params): { id: number | undefined; allowMissing: boolean } {
  const raw = params.reply_parameters;
  let parsed: unknown = raw;
  if (typeof raw === 'string' && raw !== '') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw badRequest("can't parse reply parameters JSON object");
    }
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const fields = parsed as Params;
    return { id: readInt(fields, 'message_id'), allowMissing: readBool(fields, 'allow_sending_without_reply') };
  }
  return { id: readInt(params, 'reply_to_message_id'), allowMissing: readBool(params, 'allow_sending_without_reply') };
}

/** The id of the message to reply to, once the chat is known: `undefined` when it is gone and that is allowed. */
function replyTarget(
  runtime: PeerRuntime,
  chat: ChatState,
  replyTo: { id: number | undefined; allowMissing: boolean },
): number | undefined {
  if (replyTo.id === undefined) return undefined;
  const replied = runtime.store.message(chat.chat.id, replyTo.id);
  if (replied !== undefined && !replied.deleted) return replyTo.id;
  if (!replyTo.allowMissing) throw badRequest('message to be replied not found');
  return undefined;
}

/** Telegram refuses photos whose width and height add up to more than this, or whose sides differ over 20 times. */
const MAX_PHOTO_SIDES = 10_000;
const MAX_PHOTO_RATIO = 20;

/**
 * The photo a `sendPhoto` sends: an upload, checked and stored as Telegram's servers would (a file that is not
 * a PNG or JPEG fails to process), or a photo sent before, by its `file_id`.
 */
function photoToSend(runtime: PeerRuntime, input: InputFile): StoredFile {
  if (input.kind === 'file_id') {
    if (/^https?:\/\//i.test(input.fileId))
      throw badRequest('sending files by URL is not supported by the local Telegram peer');
    const file = runtime.store.files.get(input.fileId);
    if (file === undefined) throw new BotApiError(400, Descriptions.wrongFileId);
    return file;
  }
  const image = imageInfo(input.file.bytes);
  if (image === undefined) throw new BotApiError(400, Descriptions.imageProcessFailed);
  const { width, height } = image;
  if (width + height > MAX_PHOTO_SIDES || Math.max(width, height) > MAX_PHOTO_RATIO * Math.min(width, height)) {
    throw new BotApiError(400, Descriptions.photoInvalidDimensions);
  }
  return runtime.store.files.addPhoto(input.file.bytes, image);
}

const sameContent = (
  message: StoredMessage,
  text: string,
  entities: TgMessageEntity[],
  markup: TgInlineKeyboardMarkup | undefined,
): boolean =>
  message.text === text &&
  JSON.stringify(message.entities) === JSON.stringify(entities) &&
  JSON.stringify(message.reply_markup ?? null) === JSON.stringify(markup ?? null);

/** The bot message `chat_id` + `message_id` name, for editing. */
function messageToEdit(runtime: PeerRuntime, params: Params): StoredMessage {
  if (readString(params, 'inline_message_id') !== undefined) {
    throw badRequest('inline messages are not supported by the local Telegram peer');
  }
  const chat = knownChat(runtime, params);
  const message = runtime.store.message(chat.chat.id, readMessageId(params));
  if (message === undefined || message.deleted) throw new BotApiError(400, Descriptions.messageToEditNotFound);
  if (!message.fromBot) throw badRequest("message can't be edited");
  return message;
}

const getMe: MethodHandler = ({ runtime }) => ({
  ...runtime.store.bot,
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
});

const sendMessage: MethodHandler = ({ runtime, params }) => {
  const formatted = readFormattedText(params);
  const markup = readReplyMarkup(params);
  const replyTo = readReplyTo(params);
  const chat = writableChat(runtime, params);
  const text = finishText(formatted);
  const replyToId = replyTarget(runtime, chat, replyTo);
  const message = runtime.store.addMessage(chat.chat.id, {
    fromBot: true,
    from: runtime.store.bot,
    text: text.text,
    entities: text.entities,
    ...(markup.kind === 'inline' && { reply_markup: markup.markup }),
    ...(replyToId !== undefined && { reply_to_message_id: replyToId }),
  });
  return runtime.store.toTgMessage(message);
};

/**
 * Like `sendMessage`, with a photo (`photo`: a PNG or JPEG uploaded as `multipart/form-data`, or the `file_id` of
 * a photo sent before) and an optional caption of up to 1024 characters instead of the text.
 */
const sendPhoto: MethodHandler = ({ runtime, params }) => {
  const photo = readInputFile(params, 'photo', 'photo');
  const formatted = readCaption(params);
  const markup = readReplyMarkup(params);
  const replyTo = readReplyTo(params);
  const chat = writableChat(runtime, params);
  const caption = finishCaption(formatted);
  const replyToId = replyTarget(runtime, chat, replyTo);
  const file = photoToSend(runtime, photo);
  const message = runtime.store.addMessage(chat.chat.id, {
    fromBot: true,
    from: runtime.store.bot,
    text: caption.text,
    entities: caption.entities,
    photo: [runtime.store.files.photoSize(file)],
    ...(markup.kind === 'inline' && { reply_markup: markup.markup }),
    ...(replyToId !== undefined && { reply_to_message_id: replyToId }),
  });
  return runtime.store.toTgMessage(message);
};

/** The `File` of a `file_id`, for downloading it from `/file/bot<token>/<file_path>`. */
const getFile: MethodHandler = ({ runtime, params }) => {
  const fileId = readString(params, 'file_id') ?? '';
  if (fileId === '') throw badRequest('file_id not specified');
  const file = runtime.store.files.get(fileId);
  if (file === undefined) throw new BotApiError(400, Descriptions.invalidFileId);
  return runtime.store.files.toTgFile(file);
};

const editMessageText: MethodHandler = ({ runtime, params }) => {
  const formatted = readFormattedText(params);
  const markup = readReplyMarkup(params);
  const message = messageToEdit(runtime, params);
  if (message.photo !== undefined) throw new BotApiError(400, Descriptions.noTextToEdit);
  const text = finishText(formatted);
  // Like Telegram: an edit without reply_markup removes the inline keyboard.
  const nextMarkup = markup.kind === 'inline' ? markup.markup : undefined;
  if (sameContent(message, text.text, text.entities, nextMarkup)) throw new BotApiError(400, Descriptions.notModified);
  runtime.store.editMessage(message, { text: text.text, entities: text.entities, reply_markup: nextMarkup });
  return runtime.store.toTgMessage(message);
};

const editMessageReplyMarkup: MethodHandler = ({ runtime, params }) => {
  const markup = readReplyMarkup(params);
  const message = messageToEdit(runtime, params);
  const nextMarkup = markup.kind === 'inline' ? markup.markup : undefined;
  if (sameContent(message, message.text, message.entities, nextMarkup)) {
    throw new BotApiError(400, Descriptions.notModified);
  }
  runtime.store.editMessage(message, { text: message.text, entities: message.entities, reply_markup: nextMarkup });
  return runtime.store.toTgMessage(message);
};

const deleteMessage: MethodHandler = ({ runtime, params }) => {
  const chat = knownChat(runtime, params);
  const message = runtime.store.message(chat.chat.id, readMessageId(params));
  if (message === undefined || message.deleted) throw new BotApiError(400, Descriptions.messageToDeleteNotFound);
  message.deleted = true;
  return true;
};

const sendChatAction: MethodHandler = ({ runtime, params }) => {
  readChatAction(params);
  writableChat(runtime, params);
  return true;
};

const answerCallbackQuery: MethodHandler = ({ runtime, params }) => {
  const id = readString(params, 'callback_query_id');
  const query = id === undefined ? undefined : runtime.store.callbackQueries.get(id);
  if (query === undefined || query.answered || Date.now() - query.createdAt > runtime.callbackQueryTimeoutMs) {
    throw new BotApiError(400, Descriptions.queryTooOld);
  }
  const text = readString(params, 'text');
  const url = readString(params, 'url');
  const cacheTime = readInt(params, 'cache_time');
  query.answered = true;
  query.answer = {
    ...(text !== undefined && { text }),
    show_alert: readBool(params, 'show_alert'),
    ...(url !== undefined && { url }),
    ...(cacheTime !== undefined && { cache_time: cacheTime }),
  };
  return true;
};

const setWebhook: MethodHandler = ({ runtime, params }) => {
  const request = readWebhookRequest(params);
  if (request.dropPendingUpdates) runtime.updates.clear();
  if (request.url === '') {
    return new Described(true, runtime.deleteWebhook() ? 'Webhook was deleted' : 'Webhook is already deleted');
  }
  if (request.allowedUpdates !== undefined) runtime.updates.allowedUpdates = request.allowedUpdates;
  const changed = runtime.setWebhook(request);
  runtime.poll.terminate(new BotApiError(409, Descriptions.webhookActive));
  return new Described(true, changed ? 'Webhook was set' : 'Webhook is already set');
};

const deleteWebhook: MethodHandler = ({ runtime, params }) => {
  if (readBool(params, 'drop_pending_updates')) runtime.updates.clear();
  return new Described(true, runtime.deleteWebhook() ? 'Webhook was deleted' : 'Webhook is already deleted');
};

const getWebhookInfo: MethodHandler = ({ runtime }) => runtime.webhookInfo();

/** The key of the list a `*MyCommands` call names; a scope naming a chat needs a chat the bot knows. */
function commandList(runtime: PeerRuntime, params: Params): string {
  const scope = readCommandScope(params);
  const language = readCommandLanguage(params);
  if (!('chatId' in scope)) return commandListKey(scope.type, language);
  const chat = typeof scope.chatId === 'number' ? runtime.store.chat(scope.chatId) : undefined;
  if (chat === undefined || !chat.known) throw new BotApiError(400, Descriptions.chatNotFound);
  const user = scope.type === 'chat_member' ? `:${scope.userId}` : '';
  return commandListKey(`${scope.type}:${chat.chat.id}${user}`, language);
}

const setMyCommands: MethodHandler = ({ runtime, params }) => {
  const commands = readBotCommands(params);
  const key = commandList(runtime, params);
  if (commands.length === 0) runtime.commandLists.delete(key);
  else runtime.commandLists.set(key, commands);
  return true;
};

const getMyCommands: MethodHandler = ({ runtime, params }) =>
  (runtime.commandLists.get(commandList(runtime, params)) ?? []).map((command) => ({ ...command }));

const deleteMyCommands: MethodHandler = ({ runtime, params }) => {
  runtime.commandLists.delete(commandList(runtime, params));
  return true;
};

/** Telegram caps long polls at 50 seconds. */
const MAX_POLL_TIMEOUT_SECONDS = 50;

const getUpdates: MethodHandler = async ({ runtime, params, signal }) => {
  if (runtime.hasWebhook()) throw new BotApiError(409, Descriptions.webhookActive);
  const offset = readInt(params, 'offset');
  const limit = readClampedInt(params, 'limit', 100, 1, 100);
  const timeout = readClampedInt(params, 'timeout', 0, 0, MAX_POLL_TIMEOUT_SECONDS);
  const allowed = readAllowedUpdates(params);
  if (allowed !== undefined) runtime.updates.allowedUpdates = allowed;
  if (offset !== undefined) {
    if (offset < 0) runtime.updates.keepLast(-offset);
    else runtime.updates.confirmBelow(offset);
  }
  let result = runtime.updates.available(limit);
  if (result.length === 0 && timeout > 0) {
    await runtime.poll.wait(timeout * 1000, signal);
    if (runtime.hasWebhook()) throw new BotApiError(409, Descriptions.webhookActive);
    result = runtime.updates.available(limit);
  }
  return result;
};

/** Implemented methods by canonical name. */
const HANDLERS = {
  getMe,
  sendMessage,
  sendPhoto,
  getFile,
  editMessageText,
  editMessageReplyMarkup,
  deleteMessage,
  sendChatAction,
  answerCallbackQuery,
  setWebhook,
  deleteWebhook,
  getWebhookInfo,
  getUpdates,
  setMyCommands,
  getMyCommands,
  deleteMyCommands,
} satisfies Record<string, MethodHandler>;

/** Canonical method names (the Bot API matches method names case-insensitively). */
export type MethodName = keyof typeof HANDLERS;

const BY_LOWERCASE = new Map<string, { name: MethodName; handler: MethodHandler }>(
  (Object.keys(HANDLERS) as MethodName[]).map((name) => [name.toLowerCase(), { name, handler: HANDLERS[name] }]),
);

/** Looks a method up by name, case-insensitively. */
export function findMethod(name: string): { name: MethodName; handler: MethodHandler } | undefined {
  return BY_LOWERCASE.get(name.toLowerCase());
}

/** Methods Telegram refuses to run from a webhook response (it ignores them silently). */
export function allowedInWebhookResponse(name: string): boolean {
  const lower = name.toLowerCase();
  return !(
    lower.startsWith('get') ||
    lower === 'setwebhook' ||
    lower === 'deletewebhook' ||
    lower === 'close' ||
    lower === 'logout'
  );
}
