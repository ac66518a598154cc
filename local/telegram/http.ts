/**
 * HTTP plumbing of the peer: routing `/bot<token>/<method>` and `/file/bot<token>/<file_path>`, decoding request
 * parameters and writing Bot API responses. Parameters come from the query string and from a JSON,
 * `application/x-www-form-urlencoded` or `multipart/form-data` body, as the Bot API takes them; in a multipart
 * body, text fields are string parameters exactly like form fields and file fields become {@link UploadedFile}s.
 * Other content types get 400.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBytes } from '../http-body.js';
import { BotApiError, badRequest } from './errors.js';
import { UploadedFile } from './files.js';
import type { ApiErrorBody } from './types.js';

/** Largest request body accepted, except multipart. */
const MAX_BODY_BYTES = 1 << 20;
/** Largest `multipart/form-data` body accepted: Telegram takes photo uploads of up to 10 MB. */
const MAX_MULTIPART_BODY_BYTES = 10 << 20;

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

/** Splits `/file/bot<token>/<file_path>`; `undefined` for any other path. */
export function fileRoute(pathname: string): { token: string; filePath: string } | undefined {
  const match = /^\/file\/bot([^/]+)\/(.+)$/.exec(pathname);
  if (match === null) return undefined;
  try {
    return { token: decodeURIComponent(match[1]!), filePath: decodeURIComponent(match[2]!) };
  } catch {
    return undefined;
  }
}

/** The media type of a `content-type` header, lowercased, without parameters. */
const mediaType = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/** Decodes a JSON or form-encoded body into parameters. */
function decodeText(body: string, type: string): Record<string, unknown> {
  if (body.trim() === '') return {};
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
    `unsupported content type "${type}": the local Telegram peer accepts application/json, application/x-www-form-urlencoded and multipart/form-data`,
  );
}

/** Decodes a `multipart/form-data` body (`contentType` carries its boundary): text fields and uploaded files. */
async function decodeMultipart(body: Buffer, contentType: string): Promise<Record<string, unknown>> {
  if (body.length === 0) return {};
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw badRequest("can't parse multipart/form-data request body");
  }
  const params: Record<string, unknown> = {};
  for (const [name, value] of form) {
    params[name] =
      typeof value === 'string'
        ? value
        : new UploadedFile(value.name, value.type, Buffer.from(await value.arrayBuffer()));
  }
  return params;
}

/** Decodes a request body of the given content type into parameters. */
export async function decodeBody(body: Buffer, contentType: string | undefined): Promise<Record<string, unknown>> {
  const type = mediaType(contentType);
  if (type === 'multipart/form-data') return decodeMultipart(body, contentType!);
  return decodeText(body.toString('utf8'), type);
}

/** All parameters of a request: query string first, body fields override. */
export async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const contentType = req.headers['content-type'];
  const maxBytes = mediaType(contentType) === 'multipart/form-data' ? MAX_MULTIPART_BODY_BYTES : MAX_BODY_BYTES;
  const body = await readBytes(req, maxBytes, () => new BotApiError(413, 'Request Entity Too Large'));
  return { ...params, ...(await decodeBody(body, contentType)) };
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
