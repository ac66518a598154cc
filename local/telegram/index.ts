/**
 * The local Telegram Bot API peer: a stand-in for api.telegram.org and Telegram's webhook delivery,
 * used by tests, benchmarks and `npm run dev`; it hosts many bots at once, as Telegram does. See `peer.ts`
 * for the behaviour it reproduces and its API, `bots.ts` for what each bot has of its own.
 */

export type { PeerGroup, PeerUser } from './actors.js';
export type { AdmissionPolicy, AdmissionRequest } from './admission.js';
export { admitAll } from './admission.js';
export type { BotRef, PeerBot, PeerBotOptions } from './bots.js';
export type { RetryPolicy } from './delivery.js';
export { BotApiError, Descriptions, tooManyRequests } from './errors.js';
export type { ImageInfo, StoredFile } from './files.js';
export { FileStore, imageInfo, UploadedFile } from './files.js';
export type { LimitName, TelegramLimiter, TelegramLimitStats, TelegramLimitsOptions } from './limits.js';
export { MESSAGE_METHODS, telegramLimits } from './limits.js';
export type { FormattedText } from './markup.js';
export { MarkupError, parseHtml, parseMarkdown, parseMarkdownV2 } from './markup.js';
export type { BotChoice, TelegramPeer, TelegramPeerOptions } from './peer.js';
export { startTelegramPeer } from './peer.js';
export type { CallbackQueryState, ChatState, PeerStore, StoredMessage } from './store.js';
export type {
  ApiCall,
  ApiErrorBody,
  Delivery,
  MessageVersion,
  SentMessage,
  TgBotCommand,
  TgCallbackQuery,
  TgChat,
  TgChatMember,
  TgChatMemberUpdated,
  TgFile,
  TgInlineKeyboardButton,
  TgInlineKeyboardMarkup,
  TgMessage,
  TgMessageEntity,
  TgPhotoSize,
  TgUpdate,
  TgUser,
  UpdateType,
  WebhookInfo,
} from './types.js';
