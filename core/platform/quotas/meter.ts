import type { CounterMetric, GaugeMetric, Metric, Plan, QuotaWindow } from './plans.js';

/** A counted event: `used` is the window's count after it (accepted) or as it stands (refused). */
export type Consumed =
  | { readonly ok: true; readonly used: number; readonly limit: number }
  | { readonly ok: false; readonly used: number; readonly limit: number; readonly resetsAt: number };

/** A gauge's move: `used` after it (accepted) or as it stands (refused). */
export interface Adjusted {
  readonly ok: boolean;
  readonly used: number;
  readonly limit: number;
}

/** One metric in the /usage report; `resetsAt` (ms) for counters, the end of their window. */
export interface MetricUsage {
  readonly metric: Metric;
  readonly used: number;
  readonly limit: number;
  readonly resetsAt?: number;
}

/** A tenant's usage: its plan and every metric, in `METRICS` order. */
export interface Usage {
  readonly plan: Plan;
  readonly metrics: readonly MetricUsage[];
}

/**
 * The notice of an over-quota window that tells the operator, and the one that answers a chat.
 * Each is sent at most once per window (`claimNotices`).
 */
export const OPERATOR_NOTICE = 'operator';
export const chatNotice = (chat: number | string): string => `chat:${chat}`;

/**
 * A tenant's quotas (its storage is scoped to the tenant by the client it is built on). Every
 * method fails with a `TransientError` when the table cannot be reached: a quota is never passed
 * silently.
 */
export interface QuotaMeter {
  readonly plan: Plan;
  /** Counts `amount` (a positive integer) in the current window, unless it would pass the limit. */
  consume(metric: CounterMetric, amount?: number): Promise<Consumed>;
  /**
   * Counts the event named `key` (a broadcast's id, a question's job id) in the current window,
   * unless it would pass the limit. Counted once however often asked in the window: a redelivery
   * is accepted again (`ok`) without counting twice.
   */
  consumeOnce(metric: CounterMetric, key: string): Promise<Consumed>;
  /** Moves a gauge by `delta` (an integer): an increase is refused past the limit; a decrease stops at 0. */
  adjust(metric: GaugeMetric, delta: number): Promise<Adjusted>;
  /**
   * Sets what the thing named `key` (a watch, a stored record) holds of a gauge to `amount` (a
   * positive integer), moving the gauge by the difference, unless a growth would pass the limit.
   * Asking again for the same amount moves nothing (a redelivery is accepted again), so the gauge
   * is always the sum of what is held.
   */
  hold(metric: GaugeMetric, key: string, amount: number): Promise<Adjusted>;
  /** Takes back what `key` holds of a gauge; nothing if it holds nothing (a redelivered release). */
  release(metric: GaugeMetric, key: string): Promise<Adjusted>;
  /** Every metric's use, limit and window end. */
  usage(): Promise<Usage>;
  /**
   * Records notices (`OPERATOR_NOTICE`, `chatNotice(chat)`) as given for the current window of
   * `metric` (the UTC day for a gauge) and returns those this call was the first to record: send
   * only those. Past `MAX_NOTICES` in a window no more chats are recorded (nor answered).
   */
  claimNotices(metric: Metric, notices: readonly string[]): Promise<string[]>;
}

/** Chats answered (and the operator told) per metric and window, at most: bounds the bot's own sends. */
export const MAX_NOTICES = 500;

const SPAN_MS: Readonly<Record<QuotaWindow, number>> = { hour: 3_600_000, day: 86_400_000 };

/** The UTC window holding `now`: its id (`2026120714` for an hour, `20261207` for a day), start and end (ms). */
export function windowAt(window: QuotaWindow, now: number): { id: string; start: number; end: number } {
  const span = SPAN_MS[window];
  const start = Math.floor(now / span) * span;
  const digits = new Date(start).toISOString().replace(/\D/g, '');
  return { id: digits.slice(0, window === 'hour' ? 10 : 8), start, end: start + span };
}
