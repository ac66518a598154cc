import { describeError } from '../../platform/errors.js';
import type { Logger } from '../../platform/log.js';
import {
  acquire,
  CircuitBreaker,
  type Clock,
  type RpcCache,
  type RpcEndpoint,
  redactUrl,
  rpcCacheKey,
  shareOf,
  WindowLimiter,
} from '../../platform/rpc/index.js';
import { type PriceTable, parseTokenPrices, tokenPriceUrl } from './quote.js';

/** How long a price answer is shared by every container (prices are indicative: a minute is fine). */
const DEFAULT_CACHE_SECONDS = 60;
/** What one request may take, and all of them together: a balance waits no longer for its value. */
const DEFAULT_REQUEST_TIMEOUT_MS = 2_000;
const DEFAULT_BUDGET_MS = 3_000;
/** Consecutive failures that open a source's breaker, and for how long. */
const BREAKER_FAILURES = 3;
const BREAKER_OPEN_MS = 30_000;
const MAX_ANSWER_BYTES = 64 * 1024;

/** Where indicative prices come from. */
export interface PriceSource {
  /** Prices of the source's mints, or `undefined` when no source answered (never throws). */
  prices(): Promise<PriceTable | undefined>;
}

/** How to build a price source; `sources` (see `parseRpcEndpoints(json, 'PRICE_URLS')`) and `mints` are required. */
export interface PriceSourceOptions {
  /** CoinGecko-`simple/token_price`-shaped endpoints, each with its `rps` cap and `priority` (lower first). */
  readonly sources: readonly RpcEndpoint[];
  /** The mints asked about, always the same list: one cache entry for the whole fleet. */
  readonly mints: readonly string[];
  /** How many containers share each source's `rps` (the rpc consumer's maximum concurrency). */
  readonly maxConcurrency: number;
  /** Shared with the RPC pool's reads; without it every call goes to a source. */
  readonly cache?: RpcCache;
  readonly cacheSeconds?: number;
  readonly requestTimeoutMs?: number;
  /** Total time for one `prices()` call, waiting for a rate token included. */
  readonly budgetMs?: number;
  readonly log?: Logger;
  readonly fetch?: typeof fetch;
  /** Clock of rate limiting and breakers (request timeouts use real timers). */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Source {
  readonly endpoint: RpcEndpoint;
  readonly limiter: WindowLimiter;
  readonly breaker: CircuitBreaker;
}

/**
 * Indicative prices under the RPC pool's rules: answers are shared through the cache (`get`, and
 * `put` after a fill) for `cacheSeconds`, identical calls in flight share one request; each source
 * gets at most this container's share of its `rps` (`shareOf`, a token held until a window after
 * the call ended, as the pool does); sources are tried by priority, skipping one whose breaker is
 * open, one that answers 429, 5xx, a malformed or oversized body, or nothing within the timeout;
 * a cache failure never fails the read. When no source answers within the budget, `prices()`
 * resolves `undefined`: a balance is then shown without its value, never held up or failed.
 */
export function createPriceSource(options: PriceSourceOptions): PriceSource {
  const clock: Clock = {
    now: options.now ?? Date.now,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const cacheSeconds = options.cacheSeconds ?? DEFAULT_CACHE_SECONDS;
  const mints = [...options.mints].sort();
  const key = rpcCacheKey('prices.token_price', mints);
  const sources: Source[] = [...options.sources]
    .sort((a, b) => a.priority - b.priority)
    .map((endpoint) => ({
      endpoint,
      limiter: new WindowLimiter(shareOf(endpoint.rps, options.maxConcurrency)),
      breaker: new CircuitBreaker(BREAKER_FAILURES, BREAKER_OPEN_MS),
    }));
  let inFlight: Promise<PriceTable | undefined> | undefined;

  const warn = (event: string, source: Source, detail: Record<string, unknown>) =>
    options.log?.warn(event, { source: redactUrl(source.endpoint.url), ...detail });

  async function cached(): Promise<PriceTable | undefined> {
    if (!options.cache) return undefined;
    try {
      const value = await options.cache.get(key);
      return value === undefined ? undefined : parseTokenPrices(JSON.parse(value), mints);
    } catch {
      return undefined;
    }
  }

  /** One source's answer, or `undefined` (it was busy, down, slow or wrong). */
  async function ask(source: Source, deadline: number): Promise<{ table: PriceTable; raw: unknown } | undefined> {
    if (!source.breaker.available(clock.now())) return undefined;
    const permit = await acquire([source.limiter], clock, deadline);
    if (!permit) return undefined;
    if (!source.breaker.available(clock.now())) {
      permit.cancel();
      return undefined;
    }
    const ticket = source.breaker.admit(clock.now());
    try {
      const response = await doFetch(tokenPriceUrl(source.endpoint.url, mints), {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(Math.max(1, Math.min(timeoutMs, deadline - clock.now()))),
      });
      const text = await response.text();
      if (response.status === 429) {
        source.breaker.neutral(ticket);
        warn('prices.rate_limited', source, {});
        return undefined;
      }
      const raw = response.ok && text.length <= MAX_ANSWER_BYTES ? parseJson(text) : undefined;
      const table = raw === undefined ? undefined : parseTokenPrices(raw, mints);
      if (!table) {
        source.breaker.failure(ticket, clock.now());
        warn('prices.bad_answer', source, { status: response.status });
        return undefined;
      }
      source.breaker.success(ticket);
      return { table, raw };
    } catch (error) {
      source.breaker.failure(ticket, clock.now());
      warn('prices.unreachable', source, { error: describeError(error) });
      return undefined;
    } finally {
      permit.end(clock.now());
    }
  }

  async function fill(): Promise<PriceTable | undefined> {
    const hit = await cached();
    if (hit) return hit;
    const deadline = clock.now() + budgetMs;
    for (const source of sources) {
      const answer = await ask(source, deadline);
      if (!answer) continue;
      await options.cache?.put(key, JSON.stringify(answer.raw), cacheSeconds).catch(() => undefined);
      return answer.table;
    }
    return undefined;
  }

  return {
    prices() {
      inFlight ??= fill().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
