import { AppError, TransientError, ValidationError } from '../errors.js';

/**
 * Errors of the Solana RPC pool. None of them ever carries an endpoint URL (provider URLs
 * embed API keys): endpoints are named by their index in the configured list (`#0`, `#1`…).
 */

/** Why one attempt against one endpoint did not produce a usable answer. */
export type FailureKind = 'timeout' | 'http_5xx' | 'http_4xx' | 'connection' | 'bad_response' | 'node_error';

/** Every failure kind, in the order stats list them. */
export const FAILURE_KINDS: readonly FailureKind[] = [
  'timeout',
  'http_5xx',
  'http_4xx',
  'connection',
  'bad_response',
  'node_error',
];

/**
 * One attempt failed for a reason that says the endpoint, not the request, is at fault
 * (timeout, 5xx, refused connection, a node that is behind…). The pool counts it against the
 * endpoint's breaker and fails over; callers only ever see it as the `cause` of
 * `RpcUnavailableError`.
 */
export class RpcEndpointError extends TransientError {
  /** HTTP status, when the failure was one. */
  readonly status: number | undefined;

  constructor(
    readonly kind: FailureKind,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super('solana.endpoint_failed', message, options);
    this.status = options.status;
  }
}

/** What was wrong with an answer that is not a usable JSON-RPC 2.0 response. */
export type BadResponseReason = 'malformed' | 'not_jsonrpc' | 'wrong_id' | 'too_large';

/**
 * An endpoint answered 2xx with something that is not the JSON-RPC 2.0 response to our request:
 * invalid JSON, a wrong shape, an `id` we did not send, or a body above the size cap. Counted as
 * an endpoint failure (kind `bad_response`) and failed over, never a crash.
 */
export class RpcResponseError extends TransientError {
  constructor(
    readonly reason: BadResponseReason,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super('solana.bad_response', message, options);
  }
}

/** One failed attempt, as reported by `RpcUnavailableError` (endpoint index, never its URL). */
export interface AttemptFailure {
  readonly endpoint: number;
  readonly kind: FailureKind | 'rate_limited';
}

/**
 * No endpoint produced an answer within the request's attempts and time budget: every one was
 * failing, rate-limited, behind an open breaker, or the budget ran out waiting. Transient: the
 * job is retried later. `retryAfterSeconds` is set when the pool knows when an endpoint will be
 * usable again (a `Retry-After` or an open breaker).
 */
export class RpcUnavailableError extends TransientError {
  constructor(
    readonly method: string,
    readonly failures: readonly AttemptFailure[],
    reason: string,
    options: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    const tried = failures.map((f) => `${f.kind}@#${f.endpoint}`).join(', ');
    super(
      'solana.rpc_unavailable',
      `Solana RPC ${method} unavailable: ${reason}${tried ? ` (${tried})` : ''}`,
      options,
    );
  }
}

/**
 * The cluster answered with a genuine JSON-RPC error (invalid params, preflight failure…): the
 * request itself is at fault, so it was not retried. Raised by `RpcPool.request`; through
 * `RpcPool.fetch` the error is handed to web3.js unchanged instead.
 */
export class RpcMethodError extends AppError {
  constructor(
    readonly method: string,
    readonly rpcCode: number,
    rpcMessage: string,
    readonly data: unknown,
  ) {
    super('solana.rpc_error', `Solana RPC ${method} failed (${rpcCode}): ${rpcMessage.slice(0, 200)}`);
  }
}

/** `RpcPool.fetch` was given a body that is not a JSON-RPC 2.0 request (or batch); nothing was sent. */
export class RpcRequestError extends ValidationError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('solana.bad_request', message, options);
  }
}
