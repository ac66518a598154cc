/**
 * HTTP plumbing of the peer: routing `/bot<token>/<method>`, decoding request parameters and writing
 * Bot API responses. Parameters come from the query string and from a JSON or
 * `application/x-www-form-urlencoded` body; other content types (including multipart file uploads) get 400.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { readText } from '../http-body.js';
import { BotApiError, badRequest } from './errors.js';
import type { ApiErrorBody } from './types.js';

/** Largest request body accepted. */
const MAX_BODY_BYTES = 1 << 20;

/** A Bot API response before serialisation. */
export type ApiResponse = { ok: true; result: unknown; description?: string } | ({ ok: false } & ApiErrorBody);

/** Splits `/bot<token>/<method>`; `undefined` for any other path. */
export function route(pathname: string): { token: string; method: string } | undefined {
  const match = /^\/bot([^/]+)\/([A-Za-z0-9_]+)\/?$/.exec(pathname);
  if (match === null) return undefined;
  try {
    return { token: decodeURIComponent(match[1]!), method: match[2]! };
  } catch {
    return undefined;
  }
}

/** Decodes a request body of the given content type into parameters. */
export function decodeBody(body: string, contentType: string | undefined): Record<string, unknown> {
  if (body.trim() === '') return {};
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw badRequest("can't parse JSON object");
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw badRequest('JSON object expected as request body');
    }
    return parsed as Record<string, unknown>;
  }
  if (type === 'application/x-www-form-urlencoded') {
    return Object.fromEntries(new URLSearchParams(body));
  }
  throw badRequest(
    `unsupported content type "${type}": the local Telegram peer accepts application/json and application/x-www-form-urlencoded`,
  );
}

/** All parameters of a request: query string first, body fields override. */
export async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const body = await readText(req, MAX_BODY_BYTES, () => new BotApiError(413, 'Request Entity Too Large'));
  return { ...params, ...decodeBody(body, req.headers['content-type']) };
}

/** Writes a Bot API response with Telegram's status code (200, or the error code). */
export function writeResponse(res: ServerResponse, response: ApiResponse): void {
  if (res.writableEnded || res.destroyed) return;
  const status = response.ok
    ? 200
    : response.error_code >= 100 && response.error_code < 600
      ? response.error_code
      : 400;
  const body = JSON.stringify(response);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The response for a thrown error. */
export function errorResponse(error: BotApiError): ApiResponse {
  return { ok: false, ...error.toBody() };
}
