import { AppError, TransientError } from '../../platform/errors.js';

/** The provider answered 429: too many requests. `retryAfterSeconds` is its `Retry-After`, when it sent one. */
export class AiRateLimitedError extends TransientError {
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super('ai.rate_limited', message, options);
  }
}

/** The provider is down or broken for now: 5xx, a network failure, or an answer that is not a completion. */
export class AiUnavailableError extends TransientError {
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super('ai.unavailable', message, options);
  }
}

/** A request ran past its timeout (or the answer's deadline) without an answer. */
export class AiTimeoutError extends TransientError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ai.timeout', message, options);
  }
}

/**
 * The provider refused the request itself (400, 401, 403, 404, 422…): a wrong key, model or request.
 * Retrying cannot help; an operator must fix the configuration.
 */
export class AiRejectedError extends AppError {
  readonly status: number;

  constructor(status: number, message: string, options: { cause?: unknown } = {}) {
    super('ai.rejected', message, options);
    this.status = status;
  }
}
