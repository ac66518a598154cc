import { ConfigError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SolanaSettings } from '../settings.js';
import { CACHED_METHODS, type RpcCache, rpcCacheKey } from './cache.js';
import { Dispatcher } from './dispatch.js';
import type { RpcEndpoint } from './endpoints.js';
import { RpcMethodError, RpcRequestError } from './errors.js';
import { isSharedRead, parseRequestBody, type RpcOutcome, responseJson, stableStringify } from './jsonrpc.js';
import { LocalRpcCache } from './local-cache.js';
import type { Clock } from './rate-limit.js';
import type { RpcPoolStats } from './stats.js';

/** Largest upstream answer read by default (a bigger one is a `bad_response` failure). */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** A cache fill lease lasts this long; others wait for the fill at most as long. */
const LEASE_MS = 1_000;
const LEASE_POLL_MS = 50;
/** How much of the container's memory its own cache of results may take (JSON characters). */
const LOCAL_CACHE_CHARS = 8 * 1024 * 1024;
/**
 * After this many cache failures in a row (no call succeeding in between) the cache is left
 * alone for `CACHE_REST_MS` (reads go straight to RPC): one slow call under a burst is not an
 * outage, but a table that keeps failing must not add its timeout to every read.
 */
const CACHE_FAILURES_TO_REST = 3;
const CACHE_REST_MS = 5_000;
/**
 * The longest a read waits for the cache (its lookup, then its fill lease) before it goes to RPC
 * without it. The cache saves calls, but it must not make a read slower than the call itself:
 * DynamoDB answers within its region in a few milliseconds, so a read still waiting after this
 * long is held up by a table in trouble (or a busy burst), not saved by it.
 */
const DEFAULT_CACHE_BUDGET_MS = 200;

/** How to build a pool; only `endpoints`, `maxConcurrency` and `settings` are required. */
export interface RpcPoolOptions {
  /** At least one; see `parseRpcEndpoints`. */
  readonly endpoints: readonly RpcEndpoint[];
  /** The rpc consumer's maximum concurrency: how many containers share each provider cap. */
  readonly maxConcurrency: number;
  readonly settings: SolanaSettings;
  /** Shared result cache for `CACHED_METHODS`; without it those reads are only coalesced. */
  readonly cache?: RpcCache;
  readonly log?: Logger;
  readonly fetch?: typeof fetch;
  /** Clock of rate limiting, breakers, backoff and cache waits (attempt timeouts use real timers). */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); backoff jitter. */
  readonly random?: () => number;
  readonly maxResponseBytes?: number;
  /**
   * How long a read waits for the cache before going to RPC without it (`DEFAULT_CACHE_BUDGET_MS`);
   * real time, like attempt timeouts. The lookup or lease left behind may still finish; its
   * answer is dropped, and the overrun counts as a cache failure.
   */
  readonly cacheBudgetMs?: number;
}

/**
 * The Solana RPC pool of one worker container: every web3.js call goes through it as the
 * `Connection`'s `fetch`, whatever URL web3.js passes.
 *
 * Promises: each endpoint gets at most this container's share of its caps, and each call goes
 * to the endpoint that can start it soonest (see `Dispatcher`); a call fails over
 * across endpoints on 429 (honouring `Retry-After`), 5xx, timeouts, connection errors, bad
 * answers and node-health JSON-RPC errors, within `maxAttempts` and `requestTimeoutMs`, then
 * throws `RpcUnavailableError` (transient); a genuine JSON-RPC error is never retried and reaches
 * the caller unchanged; identical concurrent reads share one upstream call; `CACHED_METHODS`
 * results are kept in the container for `cacheSeconds`, and shared through the cache across
 * containers when another container asks for them within that time (see `readThrough`); a cache
 * failure never fails a read, and a slow cache never holds one up for longer than `cacheBudgetMs`.
 */
export interface RpcPool {
  /**
   * A `fetch` for web3.js: reads `init.body` (a JSON-RPC request or batch), ignores the URL and
   * headers, and resolves with a 200 `Response` holding the JSON-RPC answer (errors included),
   * each call under its own request `id`, a batch in request order. Rejects with
   * `RpcUnavailableError` when no endpoint answered (web3.js passes the error through), with
   * `RpcRequestError` when the body is not JSON-RPC 2.0. `init.signal` is not honoured: every
   * call is bounded by `requestTimeoutMs` instead.
   */
  fetch: typeof fetch;
  /** One call without web3.js: its `result`, or `RpcMethodError` for a JSON-RPC error. */
  request(method: string, params: unknown[]): Promise<unknown>;
  /** Counters for `/stats` and logs; URLs redacted. */
  stats(): RpcPoolStats;
}

/**
 * Builds the pool of one container, once at cold start (its counters, limiters and breakers
 * live as long as the container). Throws `ConfigError` for an empty endpoint list.
 */
export function createRpcPool(options: RpcPoolOptions): RpcPool {
  if (options.endpoints.length === 0) throw new ConfigError('The Solana RPC pool needs at least one endpoint');
  const log = options.log ?? silentLogger;
  const clock: Clock = {
    now: options.now ?? Date.now,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
  const { settings, cache } = options;
  const dispatcher = new Dispatcher({
    endpoints: options.endpoints,
    maxConcurrency: options.maxConcurrency,
    settings,
    log,
    fetch: options.fetch ?? globalThis.fetch,
    clock,
    random: options.random ?? Math.random,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  });
  const inflight = new Map<string, Promise<RpcOutcome>>();
  const counts = { coalesced: 0, hits: 0, misses: 0, errors: 0 };
  let cacheRestUntil = 0;
  let cacheFailuresInARow = 0;

  const cacheBudgetMs = options.cacheBudgetMs ?? DEFAULT_CACHE_BUDGET_MS;
  const cacheMs = settings.cacheSeconds * 1000;
  const local = new LocalRpcCache(LOCAL_CACHE_CHARS);

  /**
   * Runs `op` on the cache, for at most `budgetMs` when given; a failure (or an overrun) is
   * logged and counted, and a run of them rests the cache for a while.
   */
  async function cached<T>(
    op: (c: RpcCache) => Promise<T>,
    budgetMs?: number,
  ): Promise<{ ok: true; value: T } | { ok: false }> {
    if (!cache || clock.now() < cacheRestUntil) return { ok: false };
    try {
      const value = await (budgetMs === undefined ? op(cache) : within(op(cache), budgetMs));
      cacheFailuresInARow = 0;
      return { ok: true, value };
    } catch (error) {
      counts.errors++;
      log.warn('solana.rpc.cache_failed', { error: describeError(error) });
      // Calls already in flight when the cache was rested do not rest it again.
      if (clock.now() >= cacheRestUntil && ++cacheFailuresInARow >= CACHE_FAILURES_TO_REST) {
        cacheFailuresInARow = 0;
        cacheRestUntil = clock.now() + CACHE_REST_MS;
        log.warn('solana.rpc.cache_resting', { seconds: CACHE_REST_MS / 1000 });
      }
      return { ok: false };
    }
  }

  /** Polls the cache while another container fills it; the value, or `undefined` if none came in time. */
  async function awaitFill(key: string, deadline: number): Promise<{ result: unknown } | undefined> {
    const start = clock.now();
    // Leave at least half the budget for calling RPC ourselves if the fill never comes.
    const until = Math.min(start + LEASE_MS, start + (deadline - start) / 2);
    while (clock.now() + LEASE_POLL_MS <= until) {
      await clock.sleep(LEASE_POLL_MS);
      const read = await cached((c) => c.get(key));
      if (!read.ok) return undefined;
      const value = decode(read.value);
      if (value) return value;
    }
    return undefined;
  }

  /**
   * A cacheable read: the container's own results, the shared cache, a lease so one container
   * calls RPC, else RPC. The lookup and the lease together get `cacheBudgetMs`; past it the read
   * goes to RPC. The result is kept in the container, and stored in the shared cache only when
   * another container wants it: it was waiting on this lease, or missed the key lately (`hot`),
   * or held the lease while this read waited in vain. A key nobody else asks for (one user's
   * wallet) thus costs the lease write alone; a burst of one key still costs one RPC call.
   */
  async function readThrough(method: string, params: unknown, deadline: number): Promise<RpcOutcome> {
    const key = rpcCacheKey(method, params);
    const own = decode(local.get(key, clock.now()));
    if (own) {
      counts.hits++;
      return own;
    }
    const started = performance.now();
    const read = await cached((c) => c.get(key), cacheBudgetMs);
    const hit = read.ok ? decode(read.value) : undefined;
    if (hit) {
      counts.hits++;
      return hit;
    }
    const left = cacheBudgetMs - (performance.now() - started);
    const lease =
      read.ok && left > 0 ? await cached((c) => c.lease(key, LEASE_MS, cacheMs), left) : ({ ok: false } as const);
    if (lease.ok && !lease.value.granted) {
      const filled = await awaitFill(key, deadline);
      if (filled) {
        counts.hits++;
        return filled;
      }
    }
    counts.misses++;
    const outcome = await dispatcher.call(method, params, deadline);
    if ('result' in outcome) {
      const value = JSON.stringify(outcome.result);
      local.set(key, value, clock.now() + cacheMs);
      if (lease.ok && (!lease.value.granted || lease.value.hot || (await wantedElsewhere(key)))) {
        await cached((c) => c.put(key, value, settings.cacheSeconds));
      }
    }
    return outcome;
  }

  /** Whether another container joined this read's lease (a failure to tell counts as no). */
  async function wantedElsewhere(key: string): Promise<boolean> {
    const wanted = await cached((c) => c.wanted(key));
    return wanted.ok && wanted.value;
  }

  function run(method: string, params: unknown): Promise<RpcOutcome> {
    const deadline = clock.now() + settings.requestTimeoutMs;
    if (cache && CACHED_METHODS.has(method)) return readThrough(method, params, deadline);
    return dispatcher.call(method, params, deadline);
  }

  /** Identical reads in flight share one run; writes always run on their own. */
  function serve(method: string, params: unknown): Promise<RpcOutcome> {
    if (!isSharedRead(method)) return run(method, params);
    const key = `${method}\n${stableStringify(params)}`;
    const running = inflight.get(key);
    if (running) {
      counts.coalesced++;
      return running;
    }
    const promise = run(method, params).finally(() => inflight.delete(key));
    inflight.set(key, promise);
    return promise;
  }

  const poolFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = parseRequestBody(await bodyText(input, init));
    if (!request) throw new RpcRequestError('The request body is not a JSON-RPC 2.0 request or batch');
    const outcomes = await Promise.all(request.calls.map((call) => serve(call.method, call.params)));
    const answers = request.calls.map((call, i) => responseJson(call.id, outcomes[i]!));
    const body = request.batch ? `[${answers.join(',')}]` : answers[0]!;
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  };

  return {
    fetch: poolFetch,
    async request(method, params) {
      const outcome = await serve(method, params);
      if ('error' in outcome) {
        throw new RpcMethodError(method, outcome.error.code, outcome.error.message, outcome.error.data);
      }
      return outcome.result;
    },
    stats: () => ({
      endpoints: dispatcher.stats(),
      coalesced: counts.coalesced,
      cache: { hits: counts.hits, misses: counts.misses, errors: counts.errors },
      unavailable: dispatcher.unavailable,
    }),
  };
}

/** Thrown when a cache call takes longer than the read may wait for it. */
class CacheOverrunError extends Error {
  override readonly name = 'CacheOverrunError';
}

/** `work`, or a `CacheOverrunError` once `ms` have passed; `work` runs on, its outcome dropped. */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CacheOverrunError(`the cache took over ${Math.round(ms)} ms`)), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, overrun]).finally(() => clearTimeout(timer));
}

/** A cached value as an outcome; `undefined` when absent or unreadable (then it is a miss). */
function decode(value: string | undefined): { result: unknown } | undefined {
  if (value === undefined) return undefined;
  try {
    return { result: JSON.parse(value) };
  } catch {
    return undefined;
  }
}

async function bodyText(input: string | URL | Request, init: RequestInit | undefined): Promise<string> {
  const body = init?.body;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return new TextDecoder().decode(body);
  if (body == null && input instanceof Request) return input.text();
  throw new RpcRequestError('The request body must be a JSON string');
}

const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
