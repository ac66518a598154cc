import * as z from 'zod/mini';

/**
 * JSON-RPC 2.0 as the pool speaks it: parsing what web3.js sends, validating what providers
 * answer, and deciding which JSON-RPC errors are the request's fault and which the node's.
 */

/** A request or response id. */
export type JsonRpcId = string | number | null;

/** One call of a request body (a batch has several). */
export interface JsonRpcCall {
  readonly id: JsonRpcId;
  readonly method: string;
  /** Positional (array) or named (object) params; absent when the request had none. */
  readonly params: unknown;
}

/** The `error` member of a JSON-RPC response, kept as the node sent it. */
export interface JsonRpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** What a call produced: a result, or a genuine JSON-RPC error handed back unchanged. */
export type RpcOutcome = { readonly result: unknown } | { readonly error: JsonRpcErrorObject };

const IdSchema = z.union([z.string(), z.number(), z.null()]);

const CallSchema = z.object({
  jsonrpc: z.literal('2.0'),
  id: IdSchema,
  method: z.string().check(z.minLength(1)),
  params: z.optional(z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())])),
});

const BodySchema = z.union([CallSchema, z.array(CallSchema).check(z.minLength(1))]);

/**
 * Parses a request body into its calls. Returns `undefined` when the text is not a JSON-RPC 2.0
 * request or a non-empty batch of them (notifications without an `id` are not supported: web3.js
 * never sends them and they would have no answer to return).
 */
export function parseRequestBody(text: string): { batch: boolean; calls: JsonRpcCall[] } | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = BodySchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const list = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  return {
    batch: Array.isArray(parsed.data),
    calls: list.map((c) => ({ id: c.id, method: c.method, params: c.params })),
  };
}

// Loose: the error goes back to the caller unchanged, members we do not know included.
const ErrorObjectSchema = z.looseObject({ code: z.int(), message: z.string(), data: z.optional(z.unknown()) });
const ResponseSchema = z.object({ jsonrpc: z.literal('2.0'), id: IdSchema, error: z.optional(ErrorObjectSchema) });

/** Why a response could not be used (see `RpcResponseError`). */
export type ResponseProblem = 'not_jsonrpc' | 'wrong_id';

/**
 * Checks that `value` is the JSON-RPC 2.0 response to the request with id `id`: right version,
 * same id, and exactly one of `result` or a well-formed `error`.
 */
export function readResponse(value: unknown, id: JsonRpcId): RpcOutcome | ResponseProblem {
  const parsed = ResponseSchema.safeParse(value);
  if (!parsed.success || typeof value !== 'object' || value === null) return 'not_jsonrpc';
  const result = (value as { result?: unknown }).result;
  const hasResult = 'result' in value;
  const { error } = parsed.data;
  // Exactly one of the two; a `result: null` beside an error is tolerated (some proxies add it).
  if (error ? hasResult && result !== null : !hasResult) return 'not_jsonrpc';
  if (parsed.data.id !== id) return 'wrong_id';
  return error ? { error } : { result };
}

/** How the pool treats a JSON-RPC error code. */
export type ErrorClass = 'genuine' | 'node' | 'rate_limited';

/**
 * JSON-RPC errors that describe the node, not the request, so another endpoint may well answer:
 * - -32005 NodeUnhealthy ("Node is behind by N slots");
 * - -32004 BlockNotAvailable and -32014 BlockStatusNotAvailableYet (this node has not got it yet);
 * - -32016 MinContextSlotNotReached (this node is behind the slot the caller needs);
 * - -32603 Internal error (the standard code providers use for their own upstream failures).
 * Not included: -32007 SlotSkipped and -32009 LongTermStorageSlotSkipped (the slot really has no
 * block), -32001 BlockCleanedUp (a retention limit of the provider's plan, not a fault), and every
 * request error (-32602 invalid params, -32002 preflight failure, -32003 signature failure…).
 * Codes from Agave's `rpc-client-api/src/custom_error.rs`.
 */
const NODE_ERRORS: ReadonlySet<number> = new Set([-32005, -32004, -32014, -32016, -32603]);

/** Rate limiting reported in a JSON-RPC body instead of (or as well as) HTTP 429, as some providers do. */
const RATE_LIMIT_ERRORS: ReadonlySet<number> = new Set([429, -32429]);

/**
 * Whether a JSON-RPC error code is the request's fault (`genuine`: returned to the caller, never
 * retried), the node's (`node`: an endpoint failure, failed over), or rate limiting.
 */
export function classifyError(code: number): ErrorClass {
  if (RATE_LIMIT_ERRORS.has(code)) return 'rate_limited';
  return NODE_ERRORS.has(code) ? 'node' : 'genuine';
}

/**
 * Methods whose identical concurrent calls may share one upstream call: reads only. Solana's read
 * methods all start with `get`, plus two that do not; anything else (sendTransaction,
 * requestAirdrop, simulateTransaction, provider extensions) is never coalesced.
 */
export function isSharedRead(method: string): boolean {
  return /^get[A-Z]/.test(method) || method === 'isBlockhashValid' || method === 'minimumLedgerSlot';
}

/**
 * Methods that must not be sent twice when an attempt may have reached the node (a timeout, a
 * dropped connection): a second airdrop is a second airdrop. `sendTransaction` is not here: the
 * same signed transaction sent twice lands at most once.
 */
export function isRepeatable(method: string): boolean {
  return method !== 'requestAirdrop';
}

/**
 * JSON with object keys sorted, so that equal params written in a different key order give the
 * same coalescing and cache key.
 */
export function stableStringify(value: unknown): string {
  const text: string | undefined = JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
  return text ?? 'null';
}

/** Serialises one response for a caller: its own id, the shared outcome. */
export function responseJson(id: JsonRpcId, outcome: RpcOutcome): string {
  return 'error' in outcome
    ? JSON.stringify({ jsonrpc: '2.0', id, error: outcome.error })
    : JSON.stringify({ jsonrpc: '2.0', id, result: outcome.result });
}
