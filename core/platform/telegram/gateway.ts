import { AppError, TransientError } from '../errors.js';
import type { TelegramCall } from './calls.js';

/**
 * Makes Bot API calls. Implementations translate Telegram's answers into these errors so
 * callers decide by type: rate limited and unavailable are worth retrying, forbidden means
 * the user blocked the bot (stop sending), rejected means the call itself is wrong.
 */
export interface ChatGateway {
  call(call: TelegramCall): Promise<unknown>;
}

/** 429: wait `retryAfterSeconds` before calling again. */
export class TelegramRateLimitedError extends TransientError {
  constructor(description: string, retryAfterSeconds: number) {
    super('telegram.rate_limited', `Telegram rate limit: ${description}`, { retryAfterSeconds });
  }
}

/** 403: the user blocked the bot, or the bot was removed from the chat. */
export class TelegramForbiddenError extends AppError {
  constructor(description: string) {
    super('telegram.forbidden', `Telegram refused: ${description}`);
  }
}

/** 400 and other 4xx: retrying the same call cannot succeed. */
export class TelegramRejectedError extends AppError {
  constructor(
    readonly errorCode: number,
    description: string,
  ) {
    super('telegram.rejected', `Telegram rejected the call (${errorCode}): ${description}`);
  }
}
