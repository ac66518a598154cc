/**
 * Reading and validating Bot API method parameters the way the Bot API server does.
 *
 * Parameters arrive either as JSON values or, from form bodies, as strings (objects then come as JSON text);
 * every reader accepts both. Files uploaded in a multipart body ({@link UploadedFile}) are only seen by
 * {@link readInputFile}: to every other reader they are absent, as in the Bot API server, which keeps uploaded
 * files apart from the other fields. Violations throw {@link BotApiError} with Telegram's status and description.
 */
import { BotApiError, badRequest, Descriptions } from './errors.js';
import { UploadedFile } from './files.js';
import { characterCount, type FormattedText, MarkupError, parseMarkup, trimFormatted } from './markup.js';
import type {
  TgBotCommand,
  TgInlineKeyboardButton,
  TgInlineKeyboardMarkup,
  TgMessageEntity,
  UpdateType,
} from './types.js';

/** Decoded method parameters. */
export type Params = Record<string, unknown>;

/** Longest message text, in characters, after entity parsing. */
export const MAX_TEXT_LENGTH = 4096;
/** Longest media caption, in characters, after entity parsing. */
export const MAX_CAPTION_LENGTH = 1024;
/** Longest `callback_data`, in UTF-8 bytes. */
export const MAX_CALLBACK_DATA_BYTES = 64;

/** The fields of `InlineKeyboardButton` that give it an action; a button needs exactly one. */
const BUTTON_ACTIONS = [
  'callback_data',
  'url',
  'login_url',
  'web_app',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
] as const;

/** Every update type of the Bot API (`allowed_updates` values). */
export const ALL_UPDATE_TYPES = [
  'message',
  'edited_message',
  'channel_post',
  'edited_channel_post',
  'business_connection',
  'business_message',
  'edited_business_message',
  'deleted_business_messages',
  'message_reaction',
  'message_reaction_count',
  'inline_query',
  'chosen_inline_result',
  'callback_query',
  'shipping_query',
  'pre_checkout_query',
  'purchased_paid_media',
  'poll',
  'poll_answer',
  'my_chat_member',
  'chat_member',
  'chat_join_request',
  'chat_boost',
  'removed_chat_boost',
] as const;

/** Types not delivered unless asked for explicitly (an empty or absent `allowed_updates`). */
const OPT_IN_UPDATE_TYPES = new Set<string>(['chat_member', 'message_reaction', 'message_reaction_count']);

/** Whether an update of `type` is delivered under the stored `allowed_updates` setting. */
export function isUpdateAllowed(type: UpdateType, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined || allowed.length === 0) return !OPT_IN_UPDATE_TYPES.has(type);
  return allowed.includes(type);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A parameter's value; an uploaded file counts as absent (only {@link readInputFile} reads those). */
function fieldValue(params: Params, name: string): unknown {
  const value = params[name];
  return value instanceof UploadedFile ? undefined : value;
}

/** A parameter as a string (numbers and booleans converted, objects as JSON); `undefined` when absent. */
export function readString(params: Params, name: string): string | undefined {
  const value = fieldValue(params, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A parameter as an integer; `undefined` when absent or empty. */
export function readInt(params: Params, name: string): number | undefined {
  const value = fieldValue(params, name);
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw badRequest(`invalid ${name} specified`);
  return number;
}

/** An integer parameter clamped into `[min, max]` (the Bot API clamps rather than rejects). */
export function readClampedInt(params: Params, name: string, fallback: number, min: number, max: number): number {
  const value = readInt(params, name);
  return value === undefined ? fallback : Math.min(max, Math.max(min, value));
}

/** A parameter as a boolean (`true`, `"true"`, `"1"`). */
export function readBool(params: Params, name: string): boolean {
  const value = fieldValue(params, name);
  return value === true || value === 1 || value === 'true' || value === '1' || value === 'True';
}

/** A parameter that holds a JSON value, given inline (JSON body) or as JSON text (form body). */
function readJson(params: Params, name: string, parseError: string): unknown {
  const value = fieldValue(params, name);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(parseError);
  }
}

/** `chat_id`: an integer id, or `@username` (resolved by the caller). */
export function readChatId(params: Params): number | string {
  const value = fieldValue(params, 'chat_id');
  if (value === undefined || value === null || value === '') throw badRequest('chat_id is empty');
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^-?\d+$/.test(trimmed)) return Number(trimmed);
    if (trimmed.startsWith('@')) return trimmed;
  }
  throw badRequest('chat not found');
}

/** `message_id` of an existing message. */
export function readMessageId(params: Params): number {
  const id = readInt(params, 'message_id');
  if (id === undefined) throw badRequest('message identifier is not specified');
  return id;
}

type ParseMode = 'HTML' | 'MarkdownV2' | 'Markdown';

function readParseMode(params: Params): ParseMode | undefined {
  const mode = readString(params, 'parse_mode');
  if (mode === undefined || mode === '') return undefined;
  switch (mode.toLowerCase()) {
    case 'html':
      return 'HTML';
    case 'markdownv2':
      return 'MarkdownV2';
    case 'markdown':
      return 'Markdown';
    default:
      throw badRequest('unsupported parse_mode');
  }
}

/** Explicit entities of a text (`entities`) or caption (`caption_entities`). */
function readExplicitEntities(params: Params, name: string, textLength: number): TgMessageEntity[] {
  const value = readJson(params, name, `can't parse ${name} JSON object`);
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw badRequest(`field "${name}" must be an Array`);
  const entities: TgMessageEntity[] = [];
  for (const item of value) {
    if (!isRecord(item) || typeof item.type !== 'string')
      throw badRequest('can\'t parse MessageEntity: Field "type" must be of type String');
    const offset = item.offset;
    const length = item.length;
    if (typeof offset !== 'number' || typeof length !== 'number' || offset < 0 || length <= 0) {
      throw badRequest("can't parse MessageEntity: wrong offset or length");
    }
    if (offset + length > textLength) continue;
    entities.push({ ...(item as Record<string, unknown>), type: item.type, offset, length });
  }
  return entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
}

/**
 * The message text of `field` with its entities: markup parsed per `parse_mode` (or explicit `entities`).
 * Rejects a missing text and bad markup; {@link finishText} applies the length rules.
 */
export function readFormattedText(params: Params, field = 'text'): FormattedText {
  const raw = readString(params, field);
  if (raw === undefined || raw === '') throw new BotApiError(400, Descriptions.textEmpty);
  return formatRaw(params, raw, 'entities');
}

/**
 * A media caption with its entities (`parse_mode`, or explicit `caption_entities`), parsed like
 * {@link readFormattedText} parses `text`; empty when there is none. {@link finishCaption} applies the length rule.
 */
export function readCaption(params: Params): FormattedText {
  const raw = readString(params, 'caption');
  if (raw === undefined || raw === '') return { text: '', entities: [] };
  return formatRaw(params, raw, 'caption_entities');
}

/** `raw` with its entities: markup parsed per `parse_mode`, or the explicit entities of `entitiesField`. */
function formatRaw(params: Params, raw: string, entitiesField: string): FormattedText {
  const mode = readParseMode(params);
  if (mode === undefined) return { text: raw, entities: readExplicitEntities(params, entitiesField, raw.length) };
  try {
    return parseMarkup(raw, mode);
  } catch (error) {
    if (error instanceof MarkupError) throw badRequest(`can't parse entities: ${error.message}`);
    throw error;
  }
}

/**
 * Trims surrounding whitespace and enforces 1–4096 characters, as Telegram's servers do after the Bot API
 * parsed the markup (so these errors come after `chat not found`, like on api.telegram.org).
 */
export function finishText(formatted: FormattedText): FormattedText {
  const trimmed = trimFormatted(formatted);
  if (trimmed.text === '') throw new BotApiError(400, Descriptions.textEmpty);
  if (characterCount(trimmed.text) > MAX_TEXT_LENGTH) throw new BotApiError(400, Descriptions.textTooLong);
  return trimmed;
}

/** Trims a caption like {@link finishText} trims text and enforces at most 1024 characters; it may be empty. */
export function finishCaption(formatted: FormattedText): FormattedText {
  const trimmed = trimFormatted(formatted);
  if (characterCount(trimmed.text) > MAX_CAPTION_LENGTH) throw new BotApiError(400, Descriptions.captionTooLong);
  return trimmed;
}

/** A file parameter (`photo`, ...): a file uploaded in the request, or the `file_id` of a file sent before. */
export type InputFile = { kind: 'upload'; file: UploadedFile } | { kind: 'file_id'; fileId: string };

/**
 * The file parameter `name`, as the Bot API server reads it: a non-empty string is a `file_id` (or
 * `attach://<field>`, naming the multipart field that holds the upload); otherwise the file uploaded under
 * `name`. Neither: 400 `there is no <what> in the request`.
 */
export function readInputFile(params: Params, name: string, what: string): InputFile {
  let uploadField = name;
  const id = readString(params, name);
  if (id !== undefined && id !== '') {
    if (!id.startsWith('attach://')) return { kind: 'file_id', fileId: id };
    uploadField = id.slice('attach://'.length);
  }
  const upload = params[uploadField];
  if (upload instanceof UploadedFile) return { kind: 'upload', file: upload };
  throw badRequest(`there is no ${what} in the request`);
}

/** What a `reply_markup` parameter amounted to. */
export type ReplyMarkup =
  | { kind: 'none' }
  | { kind: 'inline'; markup: TgInlineKeyboardMarkup }
  /** A reply keyboard, keyboard removal or force reply: valid, but not part of the message object. */
  | { kind: 'reply' };

const buttonError = (detail: string): BotApiError => badRequest(`can't parse inline keyboard button: ${detail}`);

function readInlineButton(value: unknown): TgInlineKeyboardButton {
  if (!isRecord(value)) throw buttonError('InlineKeyboardButton must be an Object');
  if (!('text' in value)) throw buttonError('Can\'t find field "text"');
  if (typeof value.text !== 'string') throw buttonError('Field "text" must be of type String');
  // Telegram treats an empty callback_data as absent.
  const actions = BUTTON_ACTIONS.filter(
    (field) =>
      value[field] !== undefined && value[field] !== null && !(field === 'callback_data' && value[field] === ''),
  );
  if (actions.length === 0) throw buttonError('Text buttons are unallowed in the inline keyboard');
  if (actions.length > 1) throw buttonError(`only one of the fields ${actions.join(', ')} can be specified`);
  const action = actions[0]!;
  const button: TgInlineKeyboardButton = { text: value.text };
  if (action === 'callback_data') {
    const data = value.callback_data;
    if (typeof data !== 'string') throw buttonError('Field "callback_data" must be of type String');
    if (Buffer.byteLength(data, 'utf8') > MAX_CALLBACK_DATA_BYTES)
      throw new BotApiError(400, Descriptions.buttonDataInvalid);
    button.callback_data = data;
  } else if (action === 'url') {
    const url = value.url;
    if (typeof url !== 'string') throw buttonError('Field "url" must be of type String');
    if (!/^(https?|tg|ton):\/\/\S+$/i.test(url) && !/^[\w-]+(\.[\w-]+)+(\/\S*)?$/.test(url)) {
      throw badRequest('BUTTON_URL_INVALID');
    }
    button.url = url;
  } else {
    button[action] = value[action];
  }
  return button;
}

/** `reply_markup`: inline keyboards are validated button by button; other keyboards are checked for shape. */
export function readReplyMarkup(params: Params): ReplyMarkup {
  const value = readJson(params, 'reply_markup', "can't parse reply keyboard markup JSON object");
  if (value === undefined) return { kind: 'none' };
  if (!isRecord(value)) throw badRequest('object expected as reply markup');
  if ('inline_keyboard' in value) {
    const rows = value.inline_keyboard;
    const arrayOfArrays = 'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays';
    if (!Array.isArray(rows)) throw badRequest(arrayOfArrays);
    const inline_keyboard: TgInlineKeyboardButton[][] = [];
    for (const row of rows) {
      if (!Array.isArray(row)) throw badRequest(arrayOfArrays);
      const buttons = row.map(readInlineButton);
      if (buttons.length > 0) inline_keyboard.push(buttons);
    }
    return { kind: 'inline', markup: { inline_keyboard } };
  }
  if ('keyboard' in value) {
    const rows = value.keyboard;
    const arrayOfArrays = 'field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays';
    if (!Array.isArray(rows) || rows.some((row) => !Array.isArray(row))) throw badRequest(arrayOfArrays);
    for (const row of rows as unknown[][]) {
      for (const button of row) {
        if (typeof button !== 'string' && !(isRecord(button) && typeof button.text === 'string')) {
          throw badRequest("can't parse keyboard button: KeyboardButton must be a String or an Object");
        }
      }
    }
    return { kind: 'reply' };
  }
  if ('remove_keyboard' in value || 'force_reply' in value) return { kind: 'reply' };
  throw badRequest("can't parse reply keyboard markup JSON object");
}

/** The actions `sendChatAction` accepts. */
const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);

/** `sendChatAction.action`. */
export function readChatAction(params: Params): string {
  const action = readString(params, 'action');
  if (action === undefined || action === '') throw badRequest('parameter "action" is required');
  if (!CHAT_ACTIONS.has(action.toLowerCase())) throw badRequest('wrong parameter action in request');
  return action.toLowerCase();
}

/** `allowed_updates` as stored (`undefined` = "keep the previous setting", per the Bot API). */
export function readAllowedUpdates(params: Params): string[] | undefined {
  const value = readJson(params, 'allowed_updates', "can't parse allowed_updates JSON object");
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw badRequest("can't parse allowed_updates JSON object");
  // Unknown names are ignored, like Telegram does.
  const known = new Set<string>(ALL_UPDATE_TYPES);
  return value.filter((item): item is string => typeof item === 'string' && known.has(item));
}

/** A validated `setWebhook` request. */
export interface WebhookRequest {
  /** Empty: remove the webhook. */
  url: string;
  secretToken?: string;
  maxConnections: number;
  allowedUpdates?: string[];
  dropPendingUpdates: boolean;
}

const SECRET_TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * `setWebhook` parameters. Locally `http:` URLs and any port are accepted (Telegram requires https on
 * 443/80/88/8443); `max_connections` is clamped into 1–100 (default 40) as the Bot API server does.
 */
export function readWebhookRequest(params: Params): WebhookRequest {
  const url = (readString(params, 'url') ?? '').trim();
  const request: WebhookRequest = {
    url,
    maxConnections: readClampedInt(params, 'max_connections', 40, 1, 100),
    allowedUpdates: readAllowedUpdates(params),
    dropPendingUpdates: readBool(params, 'drop_pending_updates'),
  };
  if (url !== '') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw badRequest('invalid webhook URL specified');
    }
    if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
      throw badRequest('invalid webhook URL specified');
    }
  }
  const secret = readString(params, 'secret_token');
  if (secret !== undefined && secret !== '') {
    if (secret.length > 256) throw badRequest('secret token is too long');
    if (!SECRET_TOKEN.test(secret)) throw badRequest('secret token contains unallowed characters');
    request.secretToken = secret;
  }
  return request;
}

/** A validated `BotCommandScope`: its type, and the chat (and user) it names. */
export type CommandScope =
  | { type: 'default' | 'all_private_chats' | 'all_group_chats' | 'all_chat_administrators' }
  | { type: 'chat' | 'chat_administrators'; chatId: number | string }
  | { type: 'chat_member'; chatId: number | string; userId: number };

const GLOBAL_SCOPES = new Set(['default', 'all_private_chats', 'all_group_chats', 'all_chat_administrators']);
const CHAT_SCOPES = new Set(['chat', 'chat_administrators', 'chat_member']);

/** `scope` of the `*MyCommands` methods; absent means `default`, as in the Bot API. */
export function readCommandScope(params: Params): CommandScope {
  const value = readJson(params, 'scope', "can't parse BotCommandScope JSON object");
  if (value === undefined) return { type: 'default' };
  if (!isRecord(value) || typeof value.type !== 'string') throw badRequest("can't parse BotCommandScope JSON object");
  const { type } = value;
  if (GLOBAL_SCOPES.has(type)) return { type } as CommandScope;
  if (!CHAT_SCOPES.has(type)) throw badRequest('unsupported bot command scope type');
  const chatId = readChatId(value);
  if (type !== 'chat_member') return { type: type as 'chat' | 'chat_administrators', chatId };
  const userId = readInt(value, 'user_id');
  if (userId === undefined) throw badRequest('user not found');
  return { type: 'chat_member', chatId, userId };
}

/** `language_code` of the `*MyCommands` methods: empty (every language) or two lowercase letters (ISO 639-1). */
export function readCommandLanguage(params: Params): string {
  const code = readString(params, 'language_code') ?? '';
  if (code !== '' && !/^[a-z]{2}$/.test(code)) throw badRequest('invalid language code specified');
  return code;
}

/** Most commands in one list. */
export const MAX_BOT_COMMANDS = 100;

/**
 * `commands` of `setMyCommands`: at most 100, each a command of 1–32 lowercase English letters, digits
 * and underscores (no slash) and a description of 1–256 characters, as Telegram checks them.
 */
export function readBotCommands(params: Params): TgBotCommand[] {
  const value = readJson(params, 'commands', "can't parse commands JSON object");
  if (value === undefined) throw badRequest('parameter "commands" is required');
  if (!Array.isArray(value)) throw badRequest("can't parse commands JSON object");
  if (value.length > MAX_BOT_COMMANDS) throw badRequest('too many commands specified');
  return value.map((item) => {
    if (!isRecord(item)) throw badRequest("can't parse BotCommand JSON object");
    if (typeof item.command !== 'string') throw badRequest('can\'t parse BotCommand: Can\'t find field "command"');
    if (typeof item.description !== 'string') {
      throw badRequest('can\'t parse BotCommand: Can\'t find field "description"');
    }
    if (!/^[a-z0-9_]{1,32}$/.test(item.command)) throw badRequest('BOT_COMMAND_INVALID');
    const description = item.description.trim();
    if (description === '') throw badRequest('command description must be non-empty');
    if ([...description].length > 256) throw badRequest('command description is too long');
    return { command: item.command, description };
  });
}
