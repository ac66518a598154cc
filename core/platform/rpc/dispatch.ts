import type { Logger } from '../log.js';
import type { SolanaSettings } from '../settings.js';
import { CircuitBreaker } from './breaker.js';
import { type RpcEndpoint, redactUrl } from './endpoints.js';
import { type AttemptFailure, RpcEndpointError, RpcUnavailableError } from './errors.js';
import { isRepeatable, type RpcOutcome } from './jsonrpc.js';
import { acquire, type Clock, readyAt, shareOf, WindowLimiter } from './rate-limit.js';
import { EndpointCounters, type EndpointStats } from './stats.js';
import { type AttemptResult, attempt } from './transport.js';

/** Full-jitter exponential backoff between rounds over the endpoints. */
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 2_000;
/** How long a 429 without `Retry-After` benches an endpoint. */
const DEFAULT_RATE_LIMIT_MS = 1_000;
/** Shortest wait when no endpoint can be tried (e.g. a half-open probe is in flight). */
const MIN_IDLE_MS = 50;

/** What a `Dispatcher` needs; `createRpcPool` fills in the defaults. */
export interface DispatcherOptions {
  readonly endpoints: readonly RpcEndpoint[];
  readonly maxConcurrency: number;
  readonly settings: SolanaSettings;
  readonly log: Logger;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly random: () => number;
  readonly maxResponseBytes: number;
}

interface EndpointState {
  readonly index: number;
  /** `#<index> <origin>`: how logs name the endpoint. */
  readonly label: string;
  readonly config: RpcEndpoint;
  readonly limiter: WindowLimiter;
  readonly methodLimiters: ReadonlyMap<string, WindowLimiter>;
  readonly breaker: CircuitBreaker;
  /** Not used before this time (a 429's `Retry-After`). */
  cooldownUntil: number;
  readonly counters: EndpointCounters;
}

/**
 * Sends one JSON-RPC call to the best endpoint, failing over until it gets a usable answer.
 *
 * Invariants: no endpoint is sent more than its share of its caps (`shareOf`), each call
 * counted from its start until a window after it ended, so however late a call reaches the
 * endpoint it cannot push the endpoint's count in any window over the share; an endpoint in
 * its `Retry-After` or behind an open breaker gets nothing (a half-open one gets one probe);
 * at most `settings.maxAttempts` HTTP attempts per call, all of them (token waits and backoff
 * included) within the caller's deadline; a genuine JSON-RPC error is an answer, returned as is.
 */
export class Dispatcher {
  private readonly states: EndpointState[];
  private nextId = 1;
  /** Calls that ended in `RpcUnavailableError`. */
  unavailable = 0;

  constructor(private readonly options: DispatcherOptions) {
    const { settings, maxConcurrency } = options;
    this.states = options.endpoints.map((config, index) => ({
      index,
      label: `#${index} ${redactUrl(config.url)}`,
      config,
      limiter: new WindowLimiter(shareOf(config.rps, maxConcurrency)),
      methodLimiters: new Map(
        Object.entries(config.methodRps).map(([method, rps]) => [
          method,
          new WindowLimiter(shareOf(rps, maxConcurrency)),
        ]),
      ),
      breaker: new CircuitBreaker(settings.breaker.failureThreshold, settings.breaker.openSeconds * 1000),
      cooldownUntil: 0,
      counters: new EndpointCounters(),
    }));
  }

  /** Calls `method` upstream; resolves with its outcome or throws `RpcUnavailableError`. */
  async call(method: string, params: unknown, deadline: number): Promise<RpcOutcome> {
    const { clock, settings, log } = this.options;
    const failures: AttemptFailure[] = [];
    const tried = new Set<EndpointState>();
    let round = 0;
    let lastError: unknown;
    let reason = `${settings.maxAttempts} attempts failed`;
    let retryAt: number | undefined;

    while (failures.length < settings.maxAttempts) {
      const now = clock.now();
      const chosen = this.choose(method, now, deadline, tried);
      if (!chosen) {
        // Every endpoint was tried this round, or none can be used now: back off, then go round again.
        if (tried.size > 0) round++;
        const wakeAt = this.nextChance(method, now);
        const backoff =
          tried.size > 0 ? this.options.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (round - 1)) : 0;
        const at = Math.max(now + backoff, wakeAt, tried.size > 0 ? now : now + MIN_IDLE_MS);
        if (at > deadline) {
          reason = 'no endpoint usable before the deadline';
          retryAt = wakeAt;
          break;
        }
        tried.clear();
        await clock.sleep(at - now);
        continue;
      }
      tried.add(chosen);
      const limiters = this.limitersOf(chosen, method);
      const permit = await acquire(limiters, clock, deadline);
      if (permit === undefined) continue;
      const started = permit.at;
      if (chosen.cooldownUntil > started || !chosen.breaker.available(started)) {
        permit.cancel();
        continue;
      }
      const timeoutMs = Math.min(deadline - started, settings.requestTimeoutMs / 2);
      if (timeoutMs <= 0) {
        permit.cancel();
        reason = 'the deadline passed';
        break;
      }

      const ticket = chosen.breaker.admit(started);
      chosen.counters.calls++;
      let result: AttemptResult;
      // The call reached the endpoint, if at all, before its answer began (or the attempt ended):
      // the limiters count its token from its start until a window after then.
      const ended = () => permit.end(clock.now());
      try {
        result = await attempt(this.options.fetch, {
          url: chosen.config.url,
          id: this.nextId++,
          method,
          params,
          timeoutMs,
          maxBytes: this.options.maxResponseBytes,
          onAnswerStarted: ended,
        });
      } finally {
        ended();
      }
      const after = clock.now();
      const fields = { endpoint: chosen.label, method, attempt: failures.length + 1 };

      if (result.type === 'answer') {
        chosen.counters.successes++;
        chosen.counters.latency(result.latencyMs);
        if (chosen.breaker.success(ticket)) log.info('solana.rpc.breaker_closed', { endpoint: chosen.label });
        return result.outcome;
      }
      if (result.type === 'rate_limited') {
        chosen.counters.rateLimited++;
        chosen.counters.latency(result.latencyMs);
        chosen.breaker.neutral(ticket);
        const pause = result.retryAfterMs ?? DEFAULT_RATE_LIMIT_MS;
        chosen.cooldownUntil = Math.max(chosen.cooldownUntil, after + pause);
        failures.push({ endpoint: chosen.index, kind: 'rate_limited' });
        log.warn('solana.rpc.rate_limited', { ...fields, retryAfterMs: pause });
        continue;
      }
      chosen.counters.failures[result.kind]++;
      if (result.latencyMs !== undefined) chosen.counters.latency(result.latencyMs);
      if (result.retryAfterMs !== undefined)
        chosen.cooldownUntil = Math.max(chosen.cooldownUntil, after + result.retryAfterMs);
      failures.push({ endpoint: chosen.index, kind: result.kind });
      lastError = result.error;
      const status = result.error instanceof RpcEndpointError ? result.error.status : undefined;
      log.warn('solana.rpc.attempt_failed', { ...fields, kind: result.kind, status });
      if (chosen.breaker.failure(ticket, after)) log.warn('solana.rpc.breaker_opened', { endpoint: chosen.label });
      if (result.delivered && !isRepeatable(method)) {
        reason = 'not repeated: the failed attempt may have reached the node';
        break;
      }
    }

    this.unavailable++;
    const now = clock.now();
    retryAt ??= this.nextChance(method, now);
    const retryAfterSeconds =
      retryAt !== undefined && Number.isFinite(retryAt) && retryAt > now
        ? Math.ceil((retryAt - now) / 1000)
        : undefined;
    log.warn('solana.rpc.unavailable', { method, reason, attempts: failures.length, retryAfterSeconds });
    throw new RpcUnavailableError(method, failures, reason, { cause: lastError, retryAfterSeconds });
  }

  /** Counters of every endpoint, URLs redacted. */
  stats(): EndpointStats[] {
    const now = this.options.clock.now();
    return this.states.map((s) =>
      s.counters.snapshot(
        { index: s.index, url: redactUrl(s.config.url), priority: s.config.priority },
        s.breaker.state(now),
      ),
    );
  }

  private limitersOf(state: EndpointState, method: string): WindowLimiter[] {
    // Narrowest first: see `acquire`.
    const perMethod = state.methodLimiters.get(method);
    return perMethod ? [perMethod, state.limiter] : [state.limiter];
  }

  /**
   * The endpoint to try next, among those not tried this round, not cooling down after a 429,
   * let through by their breaker, and able to start before the deadline: the one that can start
   * the call soonest; among those that can start it equally soon (idle ones: at once), the best
   * priority. So a preferred endpoint takes every call it can start at once, and under load each
   * call goes where a token frees up first: every healthy endpoint is kept busy, each in
   * proportion to its cap (a bigger cap frees tokens more often), and no call waits on a busy
   * preferred endpoint while another could start it.
   */
  private choose(
    method: string,
    now: number,
    deadline: number,
    tried: ReadonlySet<EndpointState>,
  ): EndpointState | undefined {
    let best: { state: EndpointState; ready: number } | undefined;
    for (const state of this.states) {
      if (tried.has(state) || state.cooldownUntil > now || !state.breaker.available(now)) continue;
      const ready = readyAt(this.limitersOf(state, method), now);
      if (ready > deadline) continue;
      if (!best || ready < best.ready || (ready === best.ready && state.config.priority < best.state.config.priority)) {
        best = { state, ready };
      }
    }
    return best?.state;
  }

  /** The earliest time some endpoint could be chosen again (ignoring this round's tries). */
  private nextChance(method: string, now: number): number {
    return Math.min(
      ...this.states.map((s) =>
        Math.max(s.cooldownUntil, s.breaker.availableAt(now), readyAt(this.limitersOf(s, method), now)),
      ),
    );
  }
}
