/**
 * The local LLM peer: an OpenAI-compatible Chat Completions endpoint (as DeepSeek serves it) for
 * tests, benchmarks and offline `npm run dev`.
 *
 * `POST /v1/chat/completions` (and `/chat/completions`) with `Authorization: Bearer <key>` answers a
 * `chat.completion` whose text is deterministic (see {@link defaultReply}) unless scripted with
 * `setReply`. Errors carry OpenAI's body shape `{ error: { message, type, code } }`: 401 for a wrong
 * or missing key, 400 for a malformed body or `stream: true` (the peer does not stream), 429 with
 * `Retry-After` (seconds) above the configured rate, 503/500 or a hang during an injected outage.
 * The key is never logged nor echoed in an error.
 */
import type { Server } from 'node:http';
import { close, listen, loopbackUrl } from '../ports.js';
import type { ChatRequest } from './schemas.js';
import {
  createLlmServer,
  digest,
  emptyStats,
  type LlmOutage,
  type LlmPeerState,
  type LlmPeerStats,
  type ReplyFn,
  wakeAll,
} from './server.js';

export { countTokens, defaultReply, ECHO_CHARS, LANGUAGE_PREFIXES, languagePrefix, lastUserMessage } from './reply.js';
export type { ChatMessage, ChatRequest } from './schemas.js';
export type { LlmOutage, LlmPeerStats, ReplyFn } from './server.js';

/** How to start the peer. */
export interface LlmPeerOptions {
  /** The only key accepted as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** Port on 127.0.0.1; 0 (the default) lets the OS choose. */
  port?: number;
}

/** A running peer and its test switches. */
export interface LlmPeer {
  /** `http://127.0.0.1:<port>/v1`, the base URL an OpenAI-compatible client is configured with. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Scripts the answer text; `null` restores {@link defaultReply}. */
  setReply(fn: ReplyFn | null): void;
  /** Delays every answer by `ms` (after admission, so the rate window counts request starts). */
  setLatency(ms: number): void;
  /**
   * At most `perSecond` requests may start in any 1-s sliding window; the others get 429 with
   * `Retry-After` (whole seconds until a slot frees) and do not take a slot. `null` lifts the limit.
   */
  setRateLimit(perSecond: number | null): void;
  /**
   * `down` → 503, `500` → 500, `timeout` → requests hang until the outage is cleared (they are
   * then answered normally) or the peer stops (their connections are dropped). `null` clears it.
   */
  setOutage(outage: LlmOutage | null): void;
  /** A copy of the counters since start or the last `reset`. */
  stats(): LlmPeerStats;
  /** The well-formed, admitted request bodies received, oldest first (copies). */
  requests(): ChatRequest[];
  /** Clears counters, recorded bodies, the rate window and every switch (reply, latency, rate, outage). */
  reset(): void;
  /** Stops listening and drops every open connection, including requests held by latency or an outage. */
  stop(): Promise<void>;
}

/** Starts a peer on 127.0.0.1 accepting only `options.apiKey`. */
export async function startLlmPeer(options: LlmPeerOptions): Promise<LlmPeer> {
  if (options.apiKey === '') throw new Error('the local LLM peer needs a non-empty API key');
  const state: LlmPeerState = {
    keyDigest: digest(options.apiKey),
    reply: null,
    latencyMs: 0,
    ratePerSecond: null,
    outage: null,
    stats: emptyStats(),
    bodies: [],
    admitted: [],
    arrivals: [],
    hanging: new Set(),
    sleeping: new Set(),
    stopped: false,
  };
  const server: Server = createLlmServer(state);
  const port = await listen(server, options.port ?? 0);

  return {
    baseUrl: `${loopbackUrl(port)}/v1`,
    apiKey: options.apiKey,
    setReply(fn) {
      state.reply = fn;
    },
    setLatency(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('latency must be a non-negative number of ms');
      state.latencyMs = ms;
    },
    setRateLimit(perSecond) {
      if (perSecond !== null && (!Number.isInteger(perSecond) || perSecond < 1)) {
        throw new RangeError('rate limit must be a positive integer or null');
      }
      state.ratePerSecond = perSecond;
    },
    setOutage(outage) {
      state.outage = outage;
      if (outage !== 'timeout') wakeAll(state.hanging);
    },
    stats: () => ({ ...state.stats }),
    requests: () => structuredClone(state.bodies),
    reset() {
      state.reply = null;
      state.latencyMs = 0;
      state.ratePerSecond = null;
      state.outage = null;
      state.stats = emptyStats();
      state.bodies = [];
      state.admitted = [];
      state.arrivals = [];
      wakeAll(state.hanging);
    },
    async stop() {
      state.stopped = true;
      wakeAll(state.hanging);
      wakeAll(state.sleeping);
      await close(server);
    },
  };
}
