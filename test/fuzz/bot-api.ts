/**
 * Whether a Bot API call the bot makes (a webhook reply, or a call queued in `telegram.send`) is
 * one Telegram would accept as to its shape: the method exists, the ids are there and well typed,
 * the text is 1–4,096 characters after its HTML parses, the inline keyboard's buttons are valid and
 * their callback data fit in 64 bytes. It reuses the local Telegram peer's validators, which
 * follow the Bot API server; chat and message existence are not checked (they depend on state).
 */
import { BotApiError } from '../../local/telegram/errors.js';
import {
  finishText,
  type Params,
  readChatAction,
  readChatId,
  readFormattedText,
  readMessageId,
  readReplyMarkup,
  readString,
} from '../../local/telegram/validate.js';

/** Where an edit points: an inline message, or a message in a chat. */
function readEditTarget(params: Params): void {
  const inline = params.inline_message_id;
  if (inline !== undefined) {
    if (typeof inline !== 'string' || inline === '') throw new Error('inline_message_id must be a non-empty string');
    return;
  }
  readChatId(params);
  readMessageId(params);
}

function readInlineMarkup(params: Params): void {
  const markup = readReplyMarkup(params);
  if (markup.kind === 'reply') throw new Error('an edit takes only an inline keyboard');
}

const CHECKS: Readonly<Record<string, (params: Params) => void>> = {
  sendMessage(params) {
    readChatId(params);
    finishText(readFormattedText(params));
    readReplyMarkup(params);
  },
  editMessageText(params) {
    readEditTarget(params);
    finishText(readFormattedText(params));
    readInlineMarkup(params);
  },
  editMessageReplyMarkup(params) {
    readEditTarget(params);
    readInlineMarkup(params);
  },
  deleteMessage(params) {
    readChatId(params);
    readMessageId(params);
  },
  sendChatAction(params) {
    readChatId(params);
    readChatAction(params);
  },
  answerCallbackQuery(params) {
    const id = params.callback_query_id;
    if (typeof id !== 'string' || id === '') throw new Error('callback_query_id must be a non-empty string');
    const text = readString(params, 'text');
    if (text !== undefined && [...text].length > 200) throw new Error('answer text over 200 characters');
    if (params.show_alert !== undefined && typeof params.show_alert !== 'boolean') throw new Error('show_alert');
  },
};

/** Why Telegram would refuse `method` with `params` for its shape; undefined when it would not. */
export function botApiProblem(method: unknown, params: Params): string | undefined {
  if (typeof method !== 'string') return 'method is not a string';
  const check = CHECKS[method];
  if (!check) return `${method} is not a method the bot is expected to call`;
  try {
    check(params);
    return undefined;
  } catch (error) {
    if (error instanceof BotApiError) return `${method}: ${error.description}`;
    return `${method}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
