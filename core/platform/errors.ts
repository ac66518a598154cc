/**
 * The one error base of the platform. Every error we raise has a stable dotted `code`
 * (logs, metrics and tests match on it, never on messages) and an `expose` flag telling
 * whether its message may be shown to a user. Adapters translate SDK errors into these,
 * so no SDK error type leaks past a port.
 */
export class AppError extends Error {
  readonly code: string;
  readonly expose: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; expose?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.expose = options.expose ?? false;
  }
}

/** Configuration is missing or invalid; raised once at cold start. */
export class ConfigError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('config.invalid', message, options);
  }
}

/** Input from outside (an update, a job, a response) failed its schema. */
export class ValidationError extends AppError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/**
 * A dependency (DynamoDB, SQS, Telegram, ...) is unreachable, throttling or failing in a way
 * that retrying later can fix. The webhook answers 5xx for it, so Telegram redelivers.
 */
export class TransientError extends AppError {
  readonly retryAfterSeconds: number | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(code, message, options);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Another writer changed the session since it was read (optimistic lock lost). */
export class SessionConflictError extends AppError {
  constructor(key: string, options: { cause?: unknown } = {}) {
    super('session.conflict', `Session ${key} was changed concurrently`, options);
  }
}

/** Renders any thrown value as a log-safe summary: name, code and message, never its payload. */
export function describeError(error: unknown): { name: string; code?: string; message: string } {
  if (error instanceof AppError) return { name: error.name, code: error.code, message: error.message };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'NonError', message: String(error) };
}

/**
 * A job that can never succeed as sent (schema-invalid, unknown type, refused for good by a
 * dependency). Consumers park it in the DLQ at once instead of retrying it.
 */
export class PoisonJobError extends AppError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}
