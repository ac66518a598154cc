import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunction } from '../../../local/lambda/build.js';
import { HTTP_API_MAX_BODY_BYTES, type LocalHttpApi, startHttpApi } from '../../../local/lambda/http-api.js';
import { FunctionPool } from '../../../local/lambda/pool.js';

const fixture = fileURLToPath(new URL('../../fixtures/functions/http-echo.ts', import.meta.url));

let outdir: string;
let pool: FunctionPool;
let api: LocalHttpApi;
beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'http-api-test-'));
  const { outfile } = await buildFunction(fixture, { outdir });
  pool = new FunctionPool({ name: 'echo', bundle: outfile, env: {}, timeoutMs: 2_000, memoryMb: 128, concurrency: 2 });
  const invoke = (event: APIGatewayProxyEventV2) => pool.invoke(event);
  api = await startHttpApi({
    routes: [
      'POST /telegram',
      'GET /string',
      'GET /object',
      'GET /nothing',
      'GET /binary',
      'GET /cookies',
      'GET /throw',
    ].map((routeKey) => ({ routeKey, invoke })),
    maxBodyBytes: 1_024,
  });
});
afterAll(async () => {
  await api.stop();
  await pool.stop();
  await rm(outdir, { recursive: true, force: true });
});

async function echo(
  init: RequestInit & { query?: string } = {},
): Promise<{ response: Response; event: APIGatewayProxyEventV2 }> {
  const response = await fetch(`${api.url}/telegram${init.query ? `?${init.query}` : ''}`, { method: 'POST', ...init });
  return { response, event: (await response.json()) as APIGatewayProxyEventV2 };
}

describe('startHttpApi', () => {
  it('turns a request into a payload 2.0 event with lower-cased headers and a text body', async () => {
    const { event } = await echo({
      query: 'a=1&b=two%20words&a=3',
      headers: {
        'Content-Type': 'application/json',
        'X-Telegram-Bot-Api-Secret-Token': 's3cret',
        Cookie: 'c1=v1; c2=v2',
      },
      body: JSON.stringify({ update_id: 1 }),
    });

    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /telegram',
      rawPath: '/telegram',
      rawQueryString: 'a=1&b=two%20words&a=3',
      queryStringParameters: { a: '1,3', b: 'two words' },
      cookies: ['c1=v1', 'c2=v2'],
      body: '{"update_id":1}',
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        routeKey: 'POST /telegram',
        stage: '$default',
        http: { method: 'POST', path: '/telegram', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
      },
    });
    expect(event.headers['x-telegram-bot-api-secret-token']).toBe('s3cret');
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.headers.cookie).toBeUndefined();
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(5_000);
    expect(event.requestContext.requestId).toMatch(/\S+/);
  });

  it('base64-encodes a binary body and sets isBase64Encoded', async () => {
    const bytes = new Uint8Array([0, 159, 146, 150, 255]);
    const { event } = await echo({ headers: { 'content-type': 'application/octet-stream' }, body: bytes });

    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(Buffer.from(bytes));
  });

  it('omits body for an empty request', async () => {
    const { event } = await echo();
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
  });

  it('maps a structured result to its status, headers and body', async () => {
    const { response } = await echo({ body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-echo')).toBe('yes');
    expect(response.headers.get('apigw-requestid')).toMatch(/\S+/);
  });

  it('answers 200 application/json with the result as body when the handler returns no statusCode', async () => {
    const asString = await fetch(`${api.url}/string`);
    const asObject = await fetch(`${api.url}/object`);

    expect(asString.status).toBe(200);
    expect(asString.headers.get('content-type')).toBe('application/json');
    expect(await asString.text()).toBe('plain string result');
    expect(await asObject.json()).toEqual({ hello: 'world' });
  });

  it('decodes a base64 result body and sends each cookie as its own set-cookie header', async () => {
    const binary = await fetch(`${api.url}/binary`);
    const cookies = await fetch(`${api.url}/cookies`);

    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(cookies.status).toBe(204);
    expect(cookies.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);
    expect(cookies.headers.get('x-multi')).toBe('one');
  });

  it('answers 500 Internal Server Error when the function fails', async () => {
    const response = await fetch(`${api.url}/throw`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('answers 404 Not Found for a route it does not have, without invoking anything', async () => {
    const before = pool.stats().invocations;
    const wrongMethod = await fetch(`${api.url}/telegram`);
    const wrongPath = await fetch(`${api.url}/elsewhere`, { method: 'POST' });

    expect(wrongMethod.status).toBe(404);
    expect(await wrongPath.json()).toEqual({ message: 'Not Found' });
    expect(pool.stats().invocations).toBe(before);
  });

  it('answers 413 when the body exceeds the payload limit, without invoking anything', async () => {
    const before = pool.stats().invocations;
    const response = await fetch(`${api.url}/telegram`, { method: 'POST', body: 'x'.repeat(1_025) });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(pool.stats().invocations).toBe(before);
    expect(HTTP_API_MAX_BODY_BYTES).toBe(10 * 1024 * 1024);
  });
});
