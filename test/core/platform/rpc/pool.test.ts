import { afterEach, describe, expect, it } from 'vitest';
import { stageSettings } from '../../../../core/desk/settings.js';
import { TransientError } from '../../../../core/platform/errors.js';
import type { RpcEndpoint } from '../../../../core/platform/rpc/endpoints.js';
import { RpcResponseError, RpcUnavailableError } from '../../../../core/platform/rpc/errors.js';
import { createRpcPool, type RpcPoolOptions } from '../../../../core/platform/rpc/pool.js';
import type { SolanaSettings } from '../../../../core/platform/settings.js';
import { memoryLogger } from '../../../helpers/fakes.js';
import { type JsonRpcTestServer, startJsonRpcServer } from '../../../helpers/jsonrpc-server.js';

const SECRET = 'pool-test-api-key-93f1';
const servers: JsonRpcTestServer[] = [];

async function server(): Promise<JsonRpcTestServer> {
  const s = await startJsonRpcServer({ path: `/v2/${SECRET}` });
  let slot = 0;
  s.on('getSlot', () => ++slot);
  s.on('getBalance', (params) => ({ context: { slot: ++slot }, value: (params as unknown[])[0] === 'rich' ? 10 : 5 }));
  s.on('sendTransaction', () => 'sig');
  s.on('requestAirdrop', () => 'sig');
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const settings = (overrides: Partial<SolanaSettings> = {}): SolanaSettings => ({
  ...stageSettings('test').solana,
  ...overrides,
});

const endpoint = (url: string, extra: Partial<RpcEndpoint> = {}): RpcEndpoint => ({
  url,
  rps: 1000,
  methodRps: {},
  priority: 0,
  ...extra,
});

/** A clock that only moves when told to (or when the pool sleeps). */
function manualClock() {
  const clock = {
    time: 1_000_000,
    sleeps: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.time += ms;
    },
  };
  return clock;
}

const pool = (endpoints: RpcEndpoint[], options: Partial<RpcPoolOptions> = {}) =>
  createRpcPool({ endpoints, maxConcurrency: 1, settings: settings(), ...options });

const rpcBody = (id: number | string, method: string, params: unknown[] = []) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, params });

describe('RpcPool dispatch', () => {
  it('sends to the preferred endpoint by priority', async () => {
    const [a, b] = [await server(), await server()];
    const p = pool([endpoint(a.url, { priority: 1 }), endpoint(b.url, { priority: 0 })]);
    expect(await p.request('getSlot', [])).toBe(1);
    expect([a.count(), b.count()]).toEqual([0, 1]);
  });

  it.each([
    ['a 503', { kind: 'status', status: 503 }, 'http_5xx'],
    ['a dropped connection', { kind: 'drop' }, 'connection'],
    [
      'a node that is behind (-32005)',
      { kind: 'rpc-error', code: -32005, message: 'Node is behind by 42 slots' },
      'node_error',
    ],
    ['a 401 (bad key on that endpoint)', { kind: 'status', status: 401 }, 'http_4xx'],
  ] as const)('fails over to the next endpoint on %s', async (_case, behaviour, kind) => {
    const [a, b] = [await server(), await server()];
    a.script(behaviour);
    const p = pool([endpoint(a.url), endpoint(b.url, { priority: 1 })]);
    expect(await p.request('getSlot', [])).toBe(1);
    expect([a.count(), b.count()]).toEqual([1, 1]);
    expect(p.stats().endpoints[0]!.failures[kind]).toBe(1);
  });

  it('fails over when an endpoint does not answer in time', async () => {
    const [a, b] = [await server(), await server()];
    a.setDefault({ kind: 'hang' });
    const p = pool([endpoint(a.url), endpoint(b.url, { priority: 1 })], {
      settings: settings({ requestTimeoutMs: 600 }),
    });
    const started = performance.now();
    expect(await p.request('getSlot', [])).toBe(1);
    expect(performance.now() - started).toBeLessThan(600);
    expect(p.stats().endpoints[0]!.failures.timeout).toBe(1);
  });

  it('fails over when the connection is refused', async () => {
    const b = await server();
    const dead = await startJsonRpcServer();
    await dead.close();
    const p = pool([endpoint(dead.url), endpoint(b.url, { priority: 1 })]);
    expect(await p.request('getSlot', [])).toBe(1);
    expect(p.stats().endpoints[0]!.failures.connection).toBe(1);
  });

  it('leaves an endpoint alone after a 429 until its Retry-After has passed', async () => {
    const [a, b] = [await server(), await server()];
    a.script({ kind: 'status', status: 429, retryAfter: '2' });
    const clock = manualClock();
    const p = pool([endpoint(a.url), endpoint(b.url, { priority: 1 })], clock);
    await p.request('getSlot', []);
    await p.request('getSlot', []);
    expect([a.count(), b.count()]).toEqual([1, 2]);
    clock.time += 1_900;
    await p.request('getSlot', []);
    expect(a.count()).toBe(1);
    clock.time += 200;
    await p.request('getSlot', []);
    expect([a.count(), b.count()]).toEqual([2, 3]);
    expect(p.stats().endpoints[0]).toMatchObject({ rateLimited: 1, breaker: 'closed' });
  });

  it('opens the breaker after consecutive failures, probes once half-open, and closes on success', async () => {
    const [a, b] = [await server(), await server()];
    a.setDefault({ kind: 'status', status: 500 });
    const clock = manualClock();
    const p = pool([endpoint(a.url), endpoint(b.url, { priority: 1 })], {
      ...clock,
      settings: settings({ breaker: { failureThreshold: 2, openSeconds: 5 } }),
    });
    await p.request('getSlot', []);
    await p.request('getSlot', []);
    expect(p.stats().endpoints[0]!.breaker).toBe('open');
    await p.request('getSlot', []);
    expect([a.count(), b.count()]).toEqual([2, 3]);

    clock.time += 5_000;
    expect(p.stats().endpoints[0]!.breaker).toBe('half-open');
    await p.request('getSlot', []);
    expect(a.count()).toBe(3);
    expect(p.stats().endpoints[0]!.breaker).toBe('open');

    clock.time += 5_000;
    a.setDefault({ kind: 'answer' });
    await p.request('getSlot', []);
    expect(a.count()).toBe(4);
    expect(p.stats().endpoints[0]!.breaker).toBe('closed');
  });

  it('throws RpcUnavailableError after maxAttempts, backing off with jitter between rounds', async () => {
    const a = await server();
    a.setDefault({ kind: 'status', status: 503 });
    const clock = manualClock();
    const p = pool([endpoint(a.url)], { ...clock, random: () => 0.5, settings: settings({ maxAttempts: 3 }) });
    const error = await p.request('getSlot', []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcUnavailableError);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({
      code: 'solana.rpc_unavailable',
      failures: [
        { endpoint: 0, kind: 'http_5xx' },
        { endpoint: 0, kind: 'http_5xx' },
        { endpoint: 0, kind: 'http_5xx' },
      ],
    });
    expect(a.count()).toBe(3);
    expect(clock.sleeps).toEqual([50, 100]);
    expect(p.stats().unavailable).toBe(1);
  });

  it('reports when an endpoint will be usable again when every one is rate-limited past the deadline', async () => {
    const a = await server();
    a.script({ kind: 'status', status: 429, retryAfter: '30' });
    const p = pool([endpoint(a.url)], manualClock());
    await expect(p.request('getSlot', [])).rejects.toMatchObject({
      code: 'solana.rpc_unavailable',
      retryAfterSeconds: 30,
    });
    expect(a.count()).toBe(1);
  });

  it('returns a genuine JSON-RPC error (-32602) to the caller without retrying', async () => {
    const [a, b] = [await server(), await server()];
    a.script({ kind: 'rpc-error', code: -32602, message: 'Invalid param: WrongSize', data: { x: 1 } });
    const p = pool([endpoint(a.url), endpoint(b.url, { priority: 1 })]);
    await expect(p.request('getBalance', ['bad'])).rejects.toMatchObject({
      code: 'solana.rpc_error',
      rpcCode: -32602,
      data: { x: 1 },
    });
    a.script({ kind: 'rpc-error', code: -32002, message: 'Transaction simulation failed' });
    const response = await p.fetch('http://ignored', {
      method: 'POST',
      body: rpcBody('mine', 'sendTransaction', ['tx']),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      id: 'mine',
      error: { code: -32002, message: 'Transaction simulation failed' },
    });
    expect([a.count(), b.count()]).toEqual([2, 0]);
  });

  it('does not repeat requestAirdrop after an attempt that may have reached the node', async () => {
    const [a, b] = [await server(), await server()];
    a.script({ kind: 'drop' });
    const p = pool([endpoint(a.url), endpoint(b.url, { priority: 1 })]);
    await expect(p.request('requestAirdrop', ['addr', 1])).rejects.toBeInstanceOf(RpcUnavailableError);
    expect(b.count()).toBe(0);
  });
});

describe('RpcPool response validation', () => {
  it.each([
    ['malformed JSON', { kind: 'malformed' }, 'malformed'],
    ['a body that is not JSON-RPC', { kind: 'not-jsonrpc' }, 'not_jsonrpc'],
    ['an answer to another id', { kind: 'wrong-id' }, 'wrong_id'],
    ['a body over the size cap', { kind: 'huge', bytes: 3 * 1024 * 1024 }, 'too_large'],
  ] as const)('types %s as a bad response', async (_case, behaviour, reason) => {
    const a = await server();
    a.script(behaviour);
    const p = pool([endpoint(a.url)], { maxResponseBytes: 1024 * 1024, settings: settings({ maxAttempts: 1 }) });
    const error = await p.request('getSlot', []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcUnavailableError);
    expect((error as Error).cause).toBeInstanceOf(RpcResponseError);
    expect((error as Error).cause).toMatchObject({ code: 'solana.bad_response', reason });
    expect(p.stats().endpoints[0]!.failures.bad_response).toBe(1);
  });

  it('fails over from a bad response to the next endpoint', async () => {
    const [a, b] = [await server(), await server()];
    a.script({ kind: 'wrong-id' });
    const p = pool([endpoint(a.url), endpoint(b.url, { priority: 1 })]);
    expect(await p.request('getSlot', [])).toBe(1);
    expect(b.count()).toBe(1);
  });
});

describe('RpcPool.fetch', () => {
  it('shares one upstream call among ten identical concurrent reads, each answered under its own id', async () => {
    const a = await server();
    a.setDefault({ kind: 'answer', delayMs: 100 });
    const p = pool([endpoint(a.url)]);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => p.fetch('x', { method: 'POST', body: rpcBody(i, 'getBalance', ['addr']) })),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { id: number; result: unknown }[];
    expect(bodies.map((b) => b.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(bodies.map((b) => JSON.stringify(b.result))).size).toBe(1);
    expect(a.count()).toBe(1);
    expect(p.stats().coalesced).toBe(9);
  });

  it('never shares sendTransaction calls', async () => {
    const a = await server();
    a.setDefault({ kind: 'answer', delayMs: 50 });
    const p = pool([endpoint(a.url)]);
    await Promise.all(Array.from({ length: 3 }, () => p.request('sendTransaction', ['same-tx'])));
    expect(a.count()).toBe(3);
  });

  it('answers a batch in request order, each element under its own id', async () => {
    const a = await server();
    const p = pool([endpoint(a.url)]);
    const body = JSON.stringify([
      { jsonrpc: '2.0', id: 'b1', method: 'getBalance', params: ['rich'] },
      { jsonrpc: '2.0', id: 'b2', method: 'getSlot', params: [] },
      { jsonrpc: '2.0', id: 'b3', method: 'nope', params: [] },
    ]);
    const answer = await (await p.fetch('x', { method: 'POST', body })).json();
    expect(answer).toMatchObject([
      { id: 'b1', result: { value: 10 } },
      { id: 'b2', result: expect.any(Number) },
      { id: 'b3', error: { code: -32601 } },
    ]);
    expect(a.count()).toBe(3);
  });

  it('refuses a body that is not JSON-RPC 2.0 and sends nothing', async () => {
    const a = await server();
    const p = pool([endpoint(a.url)]);
    await expect(p.fetch('x', { method: 'POST', body: '{"method":"getSlot"}' })).rejects.toMatchObject({
      code: 'solana.bad_request',
    });
    expect(a.count()).toBe(0);
  });
});

describe('RpcPool rate caps', () => {
  /** The largest number of times in any window [t, t + windowMs). */
  const maxInWindow = (times: readonly number[], windowMs = 1000) => {
    const sorted = [...times].sort((x, y) => x - y);
    let max = 0;
    for (let i = 0, j = 0; i < sorted.length; i++) {
      while (sorted[i]! - sorted[j]! >= windowMs) j++;
      max = Math.max(max, i - j + 1);
    }
    return max;
  };

  /** A fetch that notes when each request left the pool (on the pool's clock). */
  const recordingFetch = (sent: { method: string; at: number }[]): typeof fetch => {
    return (input, init) => {
      sent.push({ method: (JSON.parse(String(init?.body)) as { method: string }).method, at: Date.now() });
      return fetch(input, init);
    };
  };

  it('keeps two containers together within the endpoint cap in every second', async () => {
    const a = await server();
    const config = [endpoint(a.url, { rps: 10 })];
    const sent: { method: string; at: number }[] = [];
    const containers = [1, 2].map(() => pool(config, { maxConcurrency: 2, fetch: recordingFetch(sent) }));
    await Promise.all(
      containers.flatMap((p, c) => Array.from({ length: 10 }, (_, i) => p.request('getBalance', [`addr-${c}-${i}`]))),
    );
    expect(sent).toHaveLength(20);
    expect(maxInWindow(sent.map((s) => s.at))).toBeLessThanOrEqual(10);
    // At the provider too, however late requests reach it: a token is held until a window after
    // the answer (999 ms: the pool's clock counts whole milliseconds, the server's does not).
    const arrivals = a.requests.map((r) => r.at);
    expect(maxInWindow(arrivals, 999)).toBeLessThanOrEqual(10);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThanOrEqual(900);
  });

  it('caps a method on its own without holding up other methods', async () => {
    const a = await server();
    a.on('getSignaturesForAddress', () => []);
    const sent: { method: string; at: number }[] = [];
    const p = pool([endpoint(a.url, { methodRps: { getSignaturesForAddress: 4 } })], { fetch: recordingFetch(sent) });
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => p.request('getSignaturesForAddress', [`addr-${i}`])),
      ...Array.from({ length: 10 }, (_, i) => p.request('getBalance', [`addr-${i}`])),
    ]);
    const capped = sent.filter((s) => s.method === 'getSignaturesForAddress').map((s) => s.at);
    const others = sent.filter((s) => s.method === 'getBalance').map((s) => s.at);
    expect(capped).toHaveLength(8);
    expect(maxInWindow(capped)).toBeLessThanOrEqual(4);
    const fifth = [...capped].sort((x, y) => x - y)[4]!;
    expect(fifth - Math.min(...capped)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...others)).toBeLessThan(fifth);
    expect(a.count('getSignaturesForAddress')).toBe(8);
  });
});

describe('RpcPool.stats', () => {
  it('counts calls, outcomes and latency per endpoint with the URL redacted, and never logs it', async () => {
    const [a, b] = [await server(), await server()];
    const dead = await startJsonRpcServer({ path: `/v2/${SECRET}` });
    const deadServer = dead.url;
    await dead.close();
    a.script({ kind: 'status', status: 502 }, { kind: 'status', status: 429 });
    const log = memoryLogger();
    const p = pool([endpoint(a.url), endpoint(b.url, { priority: 1 }), endpoint(deadServer, { priority: 2 })], {
      log,
      settings: settings({ maxAttempts: 4 }),
    });
    await p.request('getSlot', []);
    await p.request('getSlot', []);
    await p.request('getSlot', []);
    b.setDefault({ kind: 'status', status: 500 });
    const error = await p.request('getBalance', ['x']).catch((e: unknown) => e);

    const stats = p.stats();
    expect(stats.endpoints[0]).toMatchObject({
      index: 0,
      url: new URL(a.url).origin,
      calls: 2,
      successes: 0,
      rateLimited: 1,
      failures: { http_5xx: 1 },
      breaker: 'closed',
    });
    expect(stats.endpoints[0]!.latencyMs.count).toBe(2);
    expect(stats.endpoints[0]!.latencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(stats.endpoints[1]!.successes).toBe(3);
    expect(stats.endpoints[2]!.failures.connection).toBeGreaterThanOrEqual(1);
    for (const text of [JSON.stringify(stats), JSON.stringify(log.lines), String(error), JSON.stringify(error)]) {
      expect(text).not.toContain(SECRET);
    }
    expect(log.lines.map((l) => l.event)).toEqual(
      expect.arrayContaining(['solana.rpc.attempt_failed', 'solana.rpc.rate_limited']),
    );
  });
});

describe('RpcPool construction', () => {
  it('refuses an empty endpoint list', async () => {
    expect(() => pool([])).toThrow(/at least one endpoint/);
  });
});
