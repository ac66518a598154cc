/**
 * The single gate every HTTP request to an endpoint passes before any method runs: outages, rate limits
 * and added latency, switched per endpoint by tests.
 *
 * Rate limits count JSON-RPC calls (each element of a batch counts) in a sliding one-second window,
 * globally and per method, like providers' plans ("10 rps", "40 req/10 s per method"); over the limit the
 * whole HTTP request is refused with 429 and a `Retry-After` header. Refused calls do not consume quota.
 */

/** Outage modes: refuse connections, answer 503, or accept and never answer. */
export type DownMode = false | 'refuse' | '503' | 'hang';

/** Rate limits of one endpoint. */
export interface RateLimits {
  /** Calls per second across methods; `undefined` for no global limit. */
  rps: number | undefined;
  /** Calls per second per method name. */
  perMethod: Readonly<Record<string, number>>;
  /** `Retry-After` to send; by default the seconds until the window frees a slot (at least 1). */
  retryAfterSeconds: number | undefined;
}

/** The switches of one endpoint and its rate-limit windows. */
export class EndpointState {
  latencyMs = 0;
  down: DownMode = false;
  limits: RateLimits = { rps: undefined, perMethod: {}, retryAfterSeconds: undefined };
  /** Admission times (ms) of calls in the last second, globally and by method. */
  readonly windows = { global: [] as number[], byMethod: new Map<string, number[]>() };

  /** Replaces the limits and forgets the windows. */
  setLimits(limits: RateLimits): void {
    this.limits = limits;
    this.windows.global.length = 0;
    this.windows.byMethod.clear();
  }
}

/** What the gate decided for one HTTP request. */
export type Admission =
  | { kind: 'down'; mode: '503' | 'hang' }
  | { kind: 'rateLimited'; retryAfterSeconds: number }
  | { kind: 'admitted'; delayMs: number };

const WINDOW_MS = 1_000;

/** Drops entries older than the window; returns the seconds until the oldest one leaves it. */
function prune(window: number[], now: number): number {
  while (window.length > 0 && window[0]! <= now - WINDOW_MS) window.shift();
  const oldest = window[0];
  return oldest === undefined ? 1 : Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1_000));
}

/**
 * Admits an HTTP request carrying JSON-RPC calls to `methods` (one entry per call; `''` for a call
 * without a valid method, which counts only against the global limit). Records admitted calls.
 */
export function admit(state: EndpointState, methods: readonly string[], now: number): Admission {
  if (state.down === '503' || state.down === 'hang') return { kind: 'down', mode: state.down };
  const { rps, perMethod, retryAfterSeconds } = state.limits;
  const { global, byMethod } = state.windows;
  const wait = prune(global, now);
  if (rps !== undefined && global.length + methods.length > rps) {
    return { kind: 'rateLimited', retryAfterSeconds: retryAfterSeconds ?? wait };
  }
  const counts = new Map<string, number>();
  for (const method of methods) if (method !== '') counts.set(method, (counts.get(method) ?? 0) + 1);
  for (const [method, count] of counts) {
    const limit = perMethod[method];
    if (limit === undefined) continue;
    const window = byMethod.get(method) ?? [];
    byMethod.set(method, window);
    const methodWait = prune(window, now);
    if (window.length + count > limit)
      return { kind: 'rateLimited', retryAfterSeconds: retryAfterSeconds ?? methodWait };
  }
  for (const method of methods) {
    global.push(now);
    if (method !== '' && perMethod[method] !== undefined) byMethod.get(method)?.push(now);
  }
  return { kind: 'admitted', delayMs: state.latencyMs };
}
