/**
 * `Retry-After` as HTTP services send it (RFC 9110 §10.2.3), shared by every adapter that honours
 * it (the Solana RPC pool, the AI provider). Neutral: no transport, no domain.
 */

/**
 * Longest `Retry-After` honoured; a larger value is taken as this (a garbage header must not bench
 * a dependency for days).
 */
export const MAX_RETRY_AFTER_MS = 600_000;

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP date (relative to `now`), clamped to
 * `[0, MAX_RETRY_AFTER_MS]`; `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
