/**
 * HTTP plumbing of the local LLM peer: routes, Bearer authentication, OpenAI-style error bodies,
 * the rate-limit window, outages and latency. The handle in `index.ts` mutates the shared state.
 */

import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readText } from '../http-body.js';
import { countTokens, defaultReply } from './reply.js';
import { type ChatRequest, ChatRequestSchema } from './schemas.js';

/** Largest request body accepted (a conversation with a bounded history is a few KiB). */
const MAX_BODY_BYTES = 1 << 20;
const WINDOW_MS = 1_000;
const ROUTES = new Set(['/v1/chat/completions', '/chat/completions']);

/** An injected outage: `down` answers 503, `500` answers 500, `timeout` holds requests unanswered. */
export type LlmOutage = 'down' | '500' | 'timeout';

/** Scripts the model's answer to a well-formed request (may be async; a throw answers 500). */
export type ReplyFn = (request: ChatRequest) => string | Promise<string>;

/** Counters since start (or the last reset). */
export interface LlmPeerStats {
  /** Requests to the chat-completions route, whatever their outcome. */
  requests: number;
  /** Requests answered 200. */
  answered: number;
  /** Requests refused with 429. */
  rateLimited: number;
  /** The most requests that arrived at the chat-completions route within any 1-s window. */
  maxPerSecond: number;
}

/** Mutable state the peer's handle shares with the server. */
export interface LlmPeerState {
  readonly keyDigest: Buffer;
  reply: ReplyFn | null;
  latencyMs: number;
  ratePerSecond: number | null;
  outage: LlmOutage | null;
  stats: LlmPeerStats;
  bodies: ChatRequest[];
  /** Start times (monotonic ms) of requests admitted past the rate limit, within the last window. */
  admitted: number[];
  /** Arrival times (monotonic ms) of all requests within the last window, for `maxPerSecond`. */
  arrivals: number[];
  /** Wakes the requests held by a `timeout` outage. */
  readonly hanging: Set<() => void>;
  /** Wakes the requests sleeping out the latency (only `stop` does, to drop them). */
  readonly sleeping: Set<() => void>;
  stopped: boolean;
}

export const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export function emptyStats(): LlmPeerStats {
  return { requests: 0, answered: 0, rateLimited: 0, maxPerSecond: 0 };
}

/** Wakes every request paused in `waiters` (they re-check the outage, or notice the peer stopped). */
export function wakeAll(waiters: Set<() => void>): void {
  const woken = [...waiters];
  waiters.clear();
  for (const wake of woken) wake();
}

/**
 * Resolves after `ms` (or only when woken, for `null`), or as soon as the client goes away; the timer
 * and listener never outlive a wake-up.
 */
function pause(waiters: Set<() => void>, res: ServerResponse, ms: number | null): Promise<void> {
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const wake = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      waiters.delete(wake);
      res.off('close', wake);
      resolve();
    };
    waiters.add(wake);
    res.once('close', wake);
    if (ms !== null) timer = setTimeout(wake, ms);
  });
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null,
    readonly headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const badRequest = (message: string, code: string | null = null): HttpError =>
  new HttpError(400, message, 'invalid_request_error', code);

function write(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': randomUUID(),
    ...headers,
  });
  res.end(text);
}

function writeError(res: ServerResponse, error: HttpError): void {
  write(res, error.status, { error: { message: error.message, type: error.type, code: error.code } }, error.headers);
}

/** True when the `Authorization: Bearer <key>` header carries the peer's key (constant-time). */
function authorised(state: LlmPeerState, header: string | undefined): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), state.keyDigest);
}

/** Drops the timestamps that fell out of the 1-s window ending at `now`. */
function slide(times: number[], now: number): void {
  while (times.length > 0 && times[0]! <= now - WINDOW_MS) times.shift();
}

/** Throws a 429 when admitting one more request would exceed the rate in the current window. */
function admit(state: LlmPeerState, now: number): void {
  slide(state.admitted, now);
  const limit = state.ratePerSecond;
  if (limit !== null && state.admitted.length >= limit) {
    state.stats.rateLimited++;
    const waitMs = state.admitted[0]! + WINDOW_MS - now;
    const seconds = Math.max(1, Math.ceil(waitMs / 1_000));
    throw new HttpError(
      429,
      `Rate limit reached: ${limit} requests per second. Please retry after ${seconds}s.`,
      'rate_limit_error',
      'rate_limit_exceeded',
      { 'retry-after': String(seconds) },
    );
  }
  state.admitted.push(now);
}

function parseRequest(text: string): ChatRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badRequest('Request body is not valid JSON', 'invalid_json');
  }
  const parsed = ChatRequestSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(body)'))];
    throw badRequest(`Invalid request body: check ${fields.join(', ')}`, 'invalid_request_body');
  }
  if (parsed.data.stream === true) throw badRequest('streaming not supported by the local peer', 'stream_unsupported');
  return parsed.data;
}

async function complete(state: LlmPeerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readText(
    req,
    MAX_BODY_BYTES,
    () => new HttpError(413, 'Request body too large', 'invalid_request_error', 'request_too_large'),
  );
  const path = (req.url ?? '/').split('?')[0]!;
  if (!ROUTES.has(path)) throw new HttpError(404, `Unknown path ${path}`, 'invalid_request_error', 'not_found');
  if (req.method !== 'POST') throw new HttpError(405, 'Use POST', 'invalid_request_error', 'method_not_allowed');

  const now = performance.now();
  state.stats.requests++;
  slide(state.arrivals, now);
  state.arrivals.push(now);
  state.stats.maxPerSecond = Math.max(state.stats.maxPerSecond, state.arrivals.length);

  if (!authorised(state, req.headers.authorization)) {
    throw new HttpError(401, 'Incorrect API key provided', 'authentication_error', 'invalid_api_key');
  }
  while (state.outage === 'timeout' && !state.stopped && !req.socket.destroyed) {
    await pause(state.hanging, res, null);
  }
  // A client that gave up on a held request is gone: nothing to admit, record or answer.
  if (state.stopped || req.socket.destroyed) return;
  if (state.outage === 'down') {
    throw new HttpError(503, 'The local model is unavailable (injected outage)', 'server_error', 'service_unavailable');
  }
  if (state.outage === '500') {
    throw new HttpError(500, 'The local model failed (injected outage)', 'server_error', 'internal_error');
  }
  admit(state, performance.now()); // not `now`: a held request starts when it is released
  const request = parseRequest(text);
  state.bodies.push(request);

  if (state.latencyMs > 0) await pause(state.sleeping, res, state.latencyMs);
  if (state.stopped || req.socket.destroyed) return;
  let content: string;
  try {
    content = await (state.reply ?? defaultReply)(request);
  } catch (error) {
    throw new HttpError(500, 'The scripted reply failed', 'server_error', 'internal_error', {}, { cause: error });
  }
  const promptTokens = request.messages.reduce((sum, message) => sum + countTokens(message.content), 0);
  const completionTokens = countTokens(content);
  state.stats.answered++;
  write(res, 200, {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1_000),
    model: request.model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  });
}

/** The peer's HTTP server over `state`. */
export function createLlmServer(state: LlmPeerState): Server {
  return createServer((req, res) => {
    complete(state, req, res).catch((error: unknown) => {
      writeError(
        res,
        error instanceof HttpError ? error : new HttpError(500, 'Internal error', 'server_error', 'internal_error'),
      );
    });
  });
}
