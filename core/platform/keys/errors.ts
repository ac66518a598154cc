import { AppError, TransientError } from '../errors.js';

/**
 * The key service cannot be reached, is throttling, or failed internally. Retrying later can fix
 * it: a job that meets it goes back to its queue, and nothing it guards has happened yet.
 */
export class KeyServiceUnavailableError extends TransientError {
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super('keys.unavailable', message, options);
  }
}

/**
 * A ciphertext was refused: it was altered, made under another key, or made for another
 * context (KMS answers all three alike, with `InvalidCiphertextException`). Never retried.
 */
export class CiphertextRejectedError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('vault.rejected', message, options);
  }
}

/**
 * An envelope was opened for an owner or purpose other than the one it was sealed for. Told
 * apart from tampering by the envelope's authenticated header, before any key is asked for.
 */
export class WrongContextError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('vault.wrong_context', message, options);
  }
}

/** The key service refused for good (key disabled or missing, access denied, bad request). */
export class KeyServiceError extends AppError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}
