import * as z from 'zod/mini';

/** Largest file a call may carry in a job (base64 characters): far under SQS's 256 KB message. */
export const MAX_UPLOAD_BASE64 = 96_000;

/** A file uploaded with a call (an image the bot drew), carried in base64 so the call stays data. */
export const UploadSchema = z.object({
  filename: z.string().check(z.regex(/^[\w.-]{1,64}$/)),
  contentType: z.enum(['image/png', 'image/jpeg']),
  base64: z.string().check(z.maxLength(MAX_UPLOAD_BASE64), z.regex(/^[A-Za-z0-9+/]+={0,2}$/)),
});
export type Upload = z.infer<typeof UploadSchema>;

/**
 * A Bot API call the bot wants made: the method and its parameters, exactly as sent.
 * Calls are data so they can be returned in a webhook response, stored in an outbox and
 * carried by a job, and executed later by whoever holds the token. `files` are uploads sent as
 * `multipart/form-data` fields of those names (`{ photo: … }` for `sendPhoto`); a call with
 * files never rides in a webhook response.
 */
export const TelegramCallSchema = z.object({
  method: z.string().check(z.regex(/^[a-zA-Z]{3,64}$/)),
  params: z.record(z.string(), z.unknown()),
  files: z.optional(z.record(z.string().check(z.regex(/^[a-z_]{1,32}$/)), UploadSchema)),
});
export type TelegramCall = z.infer<typeof TelegramCallSchema>;

/**
 * Methods Telegram accepts as a webhook response body. A call that is not "visible" in a chat
 * (answering a button press) never changes what the user sees in order, so it may go first.
 */
export const WEBHOOK_REPLY_METHODS = new Set([
  'sendMessage',
  'editMessageText',
  'editMessageReplyMarkup',
  'answerCallbackQuery',
  'deleteMessage',
  'sendChatAction',
]);
const ORDER_FREE = new Set(['answerCallbackQuery', 'sendChatAction']);

/**
 * Splits a turn's calls into the one that rides in the webhook response (saving a round trip)
 * and the rest, which must be sent in order by a worker. Order within the chat is kept:
 * a chat-visible call goes in the response only when it is the only chat-visible call.
 * `messageReply: false`: no new message rides in the response (the chat's rate is used up).
 */
export function planDelivery(
  calls: readonly TelegramCall[],
  options: { messageReply?: boolean } = {},
): { reply?: TelegramCall; queued: TelegramCall[] } {
  const eligible = (c: TelegramCall) =>
    WEBHOOK_REPLY_METHODS.has(c.method) &&
    c.files === undefined &&
    (options.messageReply !== false || !MESSAGE_METHODS.has(c.method));
  const orderFree = calls.find((c) => ORDER_FREE.has(c.method) && eligible(c));
  const visible = calls.filter((c) => !ORDER_FREE.has(c.method));
  const reply = orderFree ?? (visible.length === 1 && eligible(visible[0]!) ? visible[0] : undefined);
  return reply ? { reply, queued: calls.filter((c) => c !== reply) } : { queued: [...calls] };
}

/**
 * Methods that put a new message into a chat: these are what Telegram's flood limits count
 * (edits, button answers and chat actions are not messages).
 */
export const MESSAGE_METHODS = new Set([
  'sendMessage',
  'sendPhoto',
  'sendDocument',
  'sendAudio',
  'sendVideo',
  'sendAnimation',
  'sendVoice',
  'sendSticker',
  'sendLocation',
  'sendContact',
  'sendPoll',
  'sendDice',
  'sendMediaGroup',
  'copyMessage',
  'forwardMessage',
]);

/** The chat a call targets (`chat_id`), if it names one. */
export function targetChat(call: TelegramCall): number | string | undefined {
  const id = call.params.chat_id;
  return typeof id === 'number' || typeof id === 'string' ? id : undefined;
}

/** Private chats have positive ids; groups, supergroups and channels negative ids or an @username. */
export function chatKind(chat: number | string): 'private' | 'group' {
  return typeof chat === 'number' && chat > 0 ? 'private' : 'group';
}
