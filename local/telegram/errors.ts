import type { ApiErrorBody } from './types.js';

/**
 * A Bot API error answer, thrown by validators and method handlers and turned into
 * `{ ok: false, error_code, description, parameters? }` with the same HTTP status.
 *
 * Descriptions are Telegram's own strings (tdlib/telegram-bot-api), so code that matches on them
 * behaves the same against the peer and against api.telegram.org.
 */
export class BotApiError extends Error {
  readonly errorCode: number;
  readonly description: string;
  readonly parameters: ApiErrorBody['parameters'];

  constructor(errorCode: number, description: string, parameters?: ApiErrorBody['parameters']) {
    super(description);
    this.name = 'BotApiError';
    this.errorCode = errorCode;
    this.description = description;
    this.parameters = parameters;
  }

  /** The JSON body Telegram would send (without `ok`). */
  toBody(): ApiErrorBody {
    return this.parameters === undefined
      ? { error_code: this.errorCode, description: this.description }
      : { error_code: this.errorCode, description: this.description, parameters: this.parameters };
  }
}

/** 400 `Bad Request: <detail>`. */
export const badRequest = (detail: string): BotApiError => new BotApiError(400, `Bad Request: ${detail}`);

/** 403 `Forbidden: <detail>`. */
export const forbidden = (detail: string): BotApiError => new BotApiError(403, `Forbidden: ${detail}`);

/** 409 `Conflict: <detail>`. */
export const conflict = (detail: string): BotApiError => new BotApiError(409, `Conflict: ${detail}`);

/** 429 `Too Many Requests: retry after N` with `parameters.retry_after`, for admission policies. */
export const tooManyRequests = (retryAfterSeconds: number): BotApiError =>
  new BotApiError(429, `Too Many Requests: retry after ${retryAfterSeconds}`, { retry_after: retryAfterSeconds });

/** The descriptions tests and callers match on, in one place. */
export const Descriptions = {
  unauthorized: 'Unauthorized',
  notFound: 'Not Found',
  textEmpty: 'Bad Request: message text is empty',
  textTooLong: 'Bad Request: message is too long',
  captionTooLong: 'Bad Request: message caption is too long',
  noPhoto: 'Bad Request: there is no photo in the request',
  imageProcessFailed: 'Bad Request: IMAGE_PROCESS_FAILED',
  photoInvalidDimensions: 'Bad Request: PHOTO_INVALID_DIMENSIONS',
  wrongFileId: 'Bad Request: wrong file identifier/HTTP URL specified',
  invalidFileId: 'Bad Request: invalid file_id',
  noTextToEdit: 'Bad Request: there is no text in the message to edit',
  chatNotFound: 'Bad Request: chat not found',
  messageToEditNotFound: 'Bad Request: message to edit not found',
  messageToDeleteNotFound: 'Bad Request: message to delete not found',
  notModified:
    'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
  buttonDataInvalid: 'Bad Request: BUTTON_DATA_INVALID',
  queryTooOld: 'Bad Request: query is too old and response timeout expired or query ID is invalid',
  blocked: 'Forbidden: bot was blocked by the user',
  webhookActive:
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
  terminatedByOtherPoll:
    'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
} as const;
