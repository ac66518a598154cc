/**
 * Structured JSON logs, one line per event, with a correlation id (the `update_id` or the job
 * id) on every line of a unit of work. Secrets never reach a line: fields whose name looks
 * secret are replaced, and bot tokens are scrubbed from every string value.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` (e.g. `{ correlationId }`). */
  child(fields: LogFields): Logger;
  /**
   * Emits a count metric, when the logger is backed by a metrics library (Powertools Metrics in
   * the Lambda entries); without it, `countMetric` writes the EMF document as a log line.
   */
  count?(name: string, dimensions: Record<string, string>, value: number): void;
}

const SECRET_KEY = /token|secret|password|passphrase|authorization|api[-_]?key|private|mnemonic|seed|plaintext/i;
// A Telegram bot token: numeric id, colon, 35 url-safe characters.
const BOT_TOKEN = /\d{3,}:[A-Za-z0-9_-]{30,}/g;
const MAX_DEPTH = 6;

/**
 * Returns a copy of `value` safe to log: secret-looking keys redacted, bot tokens and the
 * given secret values scrubbed from every string.
 */
export function redact(value: unknown, secrets: readonly string[] = [], depth = 0): unknown {
  if (typeof value === 'string') {
    let text = value.replace(BOT_TOKEN, '[redacted-token]');
    for (const secret of secrets) text = text.replaceAll(secret, '[redacted]');
    return text;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(item, secrets, depth + 1);
  }
  return out;
}

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Exact values never to print (the function's own secrets); values under 8 characters are ignored. */
  secrets?: readonly string[];
  /** Where lines go; defaults to stdout (CloudWatch in Lambda). */
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions, base: LogFields = {}): Logger {
  const threshold = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 8);
  const emit = (level: Exclude<LogLevel, 'silent'>, event: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    const line = redact(
      { level, timestamp: now().toISOString(), service: options.service, event, ...base, ...fields },
      secrets,
    );
    write(JSON.stringify(line));
  };
  return {
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}
