/**
 * JSON-RPC 2.0 over HTTP, as an Agave node frames it: POST bodies holding one request or a batch,
 * `Parse error` (-32700) for invalid JSON, `Invalid request` (-32600) for malformed requests (each batch
 * element on its own), notifications (no `id`) executed but not answered, `GET /health` answered `ok`.
 */
import type { ServerResponse } from 'node:http';
import { stringifyJson } from './codec.js';
import { RpcCode, RpcError } from './errors.js';

/** Largest request body accepted (a node's default `rpc_max_request_body_size` is 50 MiB). */
export const MAX_REQUEST_BYTES = 50 * 1024 * 1024;
/** Largest response the peer writes; a larger one is answered with -32603 instead of being truncated. */
export const MAX_RESPONSE_BYTES = 128 * 1024 * 1024;

export type JsonRpcId = string | number | null;

/** One well-formed call. */
export interface RpcCallRequest {
  id: JsonRpcId;
  /** No `id` member: executed, never answered. */
  notification: boolean;
  method: string;
  params: unknown;
}

/** One element of a request: a call, or the error it gets without running. */
export type RequestEntry = { ok: true; call: RpcCallRequest } | { ok: false; id: JsonRpcId; error: RpcError };

/** A parsed body: its entries and whether it was a batch (the response is then an array). */
export interface ParsedBody {
  batch: boolean;
  entries: RequestEntry[];
}

const isId = (value: unknown): value is JsonRpcId =>
  value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));

function entryOf(value: unknown): RequestEntry {
  const invalid = (id: JsonRpcId): RequestEntry => ({
    ok: false,
    id,
    error: new RpcError(RpcCode.invalidRequest, 'Invalid request'),
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalid(null);
  const request = value as Record<string, unknown>;
  const notification = !Object.hasOwn(request, 'id');
  const id = notification ? null : request.id;
  if (!isId(id)) return invalid(null);
  const params = request.params;
  if (
    request.jsonrpc !== '2.0' ||
    typeof request.method !== 'string' ||
    (params !== undefined && (typeof params !== 'object' || params === null))
  ) {
    return invalid(id);
  }
  return { ok: true, call: { id, notification, method: request.method, params } };
}

/** Parses a request body. */
export function parseBody(text: string): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { batch: false, entries: [{ ok: false, id: null, error: new RpcError(RpcCode.parseError, 'Parse error') }] };
  }
  if (!Array.isArray(value)) return { batch: false, entries: [entryOf(value)] };
  if (value.length === 0) {
    return {
      batch: false,
      entries: [{ ok: false, id: null, error: new RpcError(RpcCode.invalidRequest, 'Invalid request') }],
    };
  }
  return { batch: true, entries: value.map(entryOf) };
}

/** A JSON-RPC response object. */
export const responseObject = (id: JsonRpcId, outcome: { result: unknown } | { error: RpcError }): unknown =>
  'result' in outcome
    ? { jsonrpc: '2.0', result: outcome.result, id }
    : { jsonrpc: '2.0', error: outcome.error.toJson(), id };

/** Serializes a JSON-RPC response body (bigints as exact integers), guarding {@link MAX_RESPONSE_BYTES}. */
export function serializeResponse(body: unknown, ids: readonly JsonRpcId[]): string {
  const text = stringifyJson(body);
  if (Buffer.byteLength(text) <= MAX_RESPONSE_BYTES) return text;
  const error = new RpcError(
    RpcCode.internalError,
    `Internal error: response of ${Buffer.byteLength(text)} bytes exceeds the local peer's cap of ${MAX_RESPONSE_BYTES} bytes`,
  );
  const errors = ids.map((id) => responseObject(id, { error }));
  return stringifyJson(Array.isArray(body) ? errors : errors[0]);
}

/** Writes a complete response (no-op if the client is gone). */
export function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
