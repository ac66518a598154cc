import { parseRetryAfter } from '../http/index.js';
import { type FailureKind, RpcEndpointError, RpcResponseError } from './errors.js';
import { classifyError, type JsonRpcId, type RpcOutcome, readResponse } from './jsonrpc.js';

/**
 * One HTTP attempt of one JSON-RPC call against one endpoint, turned into a verdict the pool can
 * act on. Nothing here throws: network errors, timeouts, bad bodies and rate limiting all come
 * back as values. No URL ever goes into an error or a message.
 */

/** What one attempt came to. */
export type AttemptResult =
  /** A usable answer: a result, or a genuine JSON-RPC error for the caller. */
  | { readonly type: 'answer'; readonly outcome: RpcOutcome; readonly latencyMs: number }
  /** HTTP 429 or a rate-limit JSON-RPC error; `retryAfterMs` from `Retry-After` when given. */
  | { readonly type: 'rate_limited'; readonly retryAfterMs: number | undefined; readonly latencyMs: number }
  /** The endpoint failed. `delivered` is false only when the request surely never reached it. */
  | {
      readonly type: 'failure';
      readonly kind: FailureKind;
      readonly error: RpcEndpointError | RpcResponseError;
      readonly delivered: boolean;
      readonly latencyMs: number | undefined;
      readonly retryAfterMs: number | undefined;
    };

/** One call to send: where, under which upstream id, and within which bounds. */
export interface AttemptRequest {
  readonly url: string;
  readonly id: JsonRpcId;
  readonly method: string;
  readonly params: unknown;
  /** Aborts the attempt (connect, headers and body) after this long. */
  readonly timeoutMs: number;
  /** Bodies above this many bytes are refused while streaming, never buffered whole. */
  readonly maxBytes: number;
  /**
   * Called once the endpoint's answer begins (its status line and headers are in): the request
   * has reached the endpoint, and been counted against its cap, by then. Not called when no
   * answer came (a connection error, a timeout before the headers).
   */
  readonly onAnswerStarted?: () => void;
}

/** Connection errors that prove the request never left (so even `requestAirdrop` may be retried). */
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** Sends one call and judges the answer. */
export async function attempt(fetchImpl: typeof fetch, request: AttemptRequest): Promise<AttemptResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    let response: Response;
    try {
      response = await fetchImpl(request.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: request.id, method: request.method, params: request.params }),
        signal: controller.signal,
      });
    } catch (error) {
      return thrown(error, controller.signal.aborted, request.method);
    }
    request.onAnswerStarted?.();
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    if (response.status === 429) {
      discard(response);
      return { type: 'rate_limited', retryAfterMs, latencyMs: elapsed() };
    }
    if (response.status < 200 || response.status > 299) {
      discard(response);
      const kind: FailureKind = response.status >= 500 ? 'http_5xx' : 'http_4xx';
      const error = new RpcEndpointError(kind, `${request.method} answered HTTP ${response.status}`, {
        status: response.status,
      });
      return { type: 'failure', kind, error, delivered: true, latencyMs: elapsed(), retryAfterMs };
    }
    let text: string | undefined;
    try {
      text = await readCapped(response, request.maxBytes);
    } catch (error) {
      return thrown(error, controller.signal.aborted, request.method);
    }
    if (text === undefined) return bad('too_large', `${request.method} answer exceeds ${request.maxBytes} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return bad('malformed', `${request.method} answered invalid JSON`);
    }
    const outcome = readResponse(json, request.id);
    if (outcome === 'not_jsonrpc') return bad(outcome, `${request.method} answered something not JSON-RPC 2.0`);
    if (outcome === 'wrong_id') return bad(outcome, `${request.method} answered with an id we did not send`);
    if ('error' in outcome) {
      const verdict = classifyError(outcome.error.code);
      if (verdict === 'rate_limited') return { type: 'rate_limited', retryAfterMs, latencyMs: elapsed() };
      if (verdict === 'node') {
        const error = new RpcEndpointError('node_error', `${request.method} answered node error ${outcome.error.code}`);
        return { type: 'failure', kind: 'node_error', error, delivered: true, latencyMs: elapsed(), retryAfterMs };
      }
    }
    return { type: 'answer', outcome, latencyMs: elapsed() };
  } finally {
    clearTimeout(timer);
  }

  function bad(reason: RpcResponseError['reason'], message: string): AttemptResult {
    const error = new RpcResponseError(reason, message);
    return {
      type: 'failure',
      kind: 'bad_response',
      error,
      delivered: true,
      latencyMs: elapsed(),
      retryAfterMs: undefined,
    };
  }
}

function thrown(error: unknown, timedOut: boolean, method: string): AttemptResult {
  if (timedOut) {
    const failure = new RpcEndpointError('timeout', `${method} timed out`, { cause: error });
    return {
      type: 'failure',
      kind: 'timeout',
      error: failure,
      delivered: true,
      latencyMs: undefined,
      retryAfterMs: undefined,
    };
  }
  const code = errorCode(error);
  // The cause is kept for its code; fetch's own messages name no URL, but the message here is ours.
  const failure = new RpcEndpointError('connection', `${method} connection failed${code ? ` (${code})` : ''}`, {
    cause: error,
  });
  return {
    type: 'failure',
    kind: 'connection',
    error: failure,
    delivered: !(code && NOT_DELIVERED.has(code)),
    latencyMs: undefined,
    retryAfterMs: undefined,
  };
}

/** The system error code of a fetch failure (`TypeError('fetch failed')` wraps it in `cause`). */
function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Reads the body as text, or `undefined` as soon as it exceeds `maxBytes` (the rest is not read). */
async function readCapped(response: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    discard(response);
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let total = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** Drops a body we will not read, so the connection can be reused or closed. */
function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}
