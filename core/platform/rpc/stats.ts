import type { BreakerState } from './breaker.js';
import { FAILURE_KINDS, type FailureKind } from './errors.js';

/** Counters of one endpoint, safe to log and to serve on `/stats` (the URL is redacted). */
export interface EndpointStats {
  /** Position in the configured list; errors and logs name endpoints `#<index>`. */
  readonly index: number;
  /** Origin only (`redactUrl`). */
  readonly url: string;
  readonly priority: number;
  readonly breaker: BreakerState;
  /** HTTP attempts sent. */
  readonly calls: number;
  /** Attempts that produced a usable answer (a result or a genuine JSON-RPC error). */
  readonly successes: number;
  /** Attempts answered 429 (or a rate-limit JSON-RPC error). */
  readonly rateLimited: number;
  /** Failed attempts by kind. */
  readonly failures: Readonly<Record<FailureKind, number>>;
  /** Latency of attempts that got an answer, in ms; percentiles over the most recent ones. */
  readonly latencyMs: { readonly count: number; readonly sum: number; readonly p50?: number; readonly p99?: number };
}

/** Pool-wide counters next to the per-endpoint ones. */
export interface RpcPoolStats {
  readonly endpoints: readonly EndpointStats[];
  /** Calls that joined an identical call already in flight instead of going upstream. */
  readonly coalesced: number;
  /**
   * Cached reads: `hits` includes answers from the container's own memory and hits found while
   * waiting for another container's fill.
   */
  readonly cache: { readonly hits: number; readonly misses: number; readonly errors: number };
  /** Calls that ended in `RpcUnavailableError`. */
  readonly unavailable: number;
}

const RESERVOIR = 512;

/** Mutable counters of one endpoint. */
export class EndpointCounters {
  calls = 0;
  successes = 0;
  rateLimited = 0;
  readonly failures = Object.fromEntries(FAILURE_KINDS.map((kind) => [kind, 0])) as Record<FailureKind, number>;
  private latencyCount = 0;
  private latencySum = 0;
  private readonly recent: number[] = [];

  latency(ms: number): void {
    this.recent[this.latencyCount % RESERVOIR] = ms;
    this.latencyCount++;
    this.latencySum += ms;
  }

  snapshot(identity: Pick<EndpointStats, 'index' | 'url' | 'priority'>, breaker: BreakerState): EndpointStats {
    const sorted = [...this.recent].sort((a, b) => a - b);
    return {
      ...identity,
      breaker,
      calls: this.calls,
      successes: this.successes,
      rateLimited: this.rateLimited,
      failures: { ...this.failures },
      latencyMs: {
        count: this.latencyCount,
        sum: this.latencySum,
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
      },
    };
  }
}

function percentile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}
