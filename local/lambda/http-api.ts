/**
 * A local API Gateway HTTP API: an HTTP server on loopback that turns each request into a
 * payload format 2.0 event, invokes the route's function and maps its result back the way
 * API Gateway does (including its 404, 413 and 500 answers).
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { readBody } from '../http-body.js';
import { close, listen, loopbackUrl } from '../ports.js';
import { type HttpRequestData, httpApiEvent } from './events.js';
import type { InvokeResult } from './pool.js';

/** API Gateway's payload limit: larger requests get 413 before any function runs. */
export const HTTP_API_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** One route: `routeKey` is `METHOD /path` (or `ANY /path`), as in the stack. */
export interface HttpRoute {
  readonly routeKey: string;
  readonly invoke: (event: APIGatewayProxyEventV2) => Promise<InvokeResult>;
}

/** Routes and limits of a local HTTP API. */
export interface HttpApiOptions {
  readonly routes: readonly HttpRoute[];
  /** Defaults to `HTTP_API_MAX_BODY_BYTES`; tests lower it. */
  readonly maxBodyBytes?: number;
}

/** A running local HTTP API. */
export interface LocalHttpApi {
  /** `http://127.0.0.1:<port>` (routes are relative to it: `${url}/telegram`). */
  readonly url: string;
  /** Stops listening and drops open connections. Idempotent. */
  stop(): Promise<void>;
}

/** A response as API Gateway would write it. */
export interface HttpResponseData {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly cookies: readonly string[];
  readonly body: Buffer;
}

const json = (statusCode: number, message: string): HttpResponseData => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  cookies: [],
  body: Buffer.from(JSON.stringify({ message })),
});

/**
 * Maps a function result to the HTTP response, per the payload 2.0 rules: a result with a
 * `statusCode` is used as is (`headers`, `cookies`, `body`, `isBase64Encoded`); any other result
 * becomes a 200 `application/json` response whose body is the result (a string as is, anything
 * else as JSON). A failed invocation or a malformed result is a 500.
 */
export function httpResponse(result: InvokeResult): HttpResponseData {
  if (!result.ok) return json(500, 'Internal Server Error');
  const payload = result.payload;
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload) && 'statusCode' in payload) {
    return structuredResponse(payload as Record<string, unknown>) ?? json(500, 'Internal Server Error');
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  };
}

function structuredResponse(payload: Record<string, unknown>): HttpResponseData | undefined {
  const { statusCode, headers = {}, cookies = [], body = '', isBase64Encoded = false } = payload;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return;
  if (typeof headers !== 'object' || headers === null || typeof body !== 'string' || !Array.isArray(cookies)) return;
  const flatHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) flatHeaders[name.toLowerCase()] = String(value);
  return {
    statusCode,
    headers: flatHeaders,
    cookies: cookies.map(String),
    body: Buffer.from(body, isBase64Encoded === true ? 'base64' : 'utf8'),
  };
}

/** Starts the API on a free loopback port. */
export async function startHttpApi(options: HttpApiOptions): Promise<LocalHttpApi> {
  const maxBodyBytes = options.maxBodyBytes ?? HTTP_API_MAX_BODY_BYTES;
  const apiId = randomBytes(5).toString('hex');
  const routes = new Map(options.routes.map((route) => [route.routeKey, route]));
  // Routes with path parameters (`POST /telegram/{botId}`): one segment each, as API Gateway matches them.
  const withParameters = options.routes
    .filter((route) => route.routeKey.includes('{'))
    .map((route) => ({
      route,
      pattern: new RegExp(
        `^${route.routeKey
          .split(/\{[^}/]+\}/)
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]+')}$`,
      ),
    }));

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, json(500, 'Internal Server Error'), 'unknown');
      else res.destroy(error instanceof Error ? error : undefined);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomBytes(12).toString('base64url');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route =
      routes.get(`${method} ${path}`) ??
      routes.get(`ANY ${path}`) ??
      withParameters.find((candidate) => candidate.pattern.test(`${method} ${path}`))?.route ??
      routes.get('$default');
    if (!route) {
      req.resume();
      send(res, json(404, 'Not Found'), requestId);
      return;
    }
    const body = await readBody(req, maxBodyBytes);
    if (body === 'too-large') {
      send(res, json(413, 'Request Entity Too Large'), requestId);
      return;
    }
    const request: HttpRequestData = {
      method,
      url: req.url ?? '/',
      headers: pairs(req.rawHeaders),
      body,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      protocol: `HTTP/${req.httpVersion}`,
    };
    const event = httpApiEvent(request, { routeKey: route.routeKey, apiId, requestId });
    send(res, httpResponse(await route.invoke(event)), requestId);
  }

  await listen(server);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('HTTP API is not listening on a TCP port');
  return { url: loopbackUrl(address.port), stop: () => close(server) };
}

function send(res: ServerResponse, response: HttpResponseData, requestId: string): void {
  res.statusCode = response.statusCode;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  if (response.cookies.length > 0) res.setHeader('set-cookie', [...response.cookies]);
  res.setHeader('apigw-requestid', requestId);
  res.setHeader('content-length', response.body.length);
  res.end(response.body);
}

function pairs(raw: readonly string[]): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) result.push([raw[i] ?? '', raw[i + 1] ?? '']);
  return result;
}
