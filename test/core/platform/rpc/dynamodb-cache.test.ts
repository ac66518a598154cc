import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../../../core/desk/settings.js';
import { rpcCacheKey } from '../../../../core/platform/rpc/cache.js';
import { AdaptiveTimeout, DynamoRpcCache } from '../../../../core/platform/rpc/dynamodb-cache.js';
import { createRpcPool, type RpcPoolOptions } from '../../../../core/platform/rpc/pool.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import type { LocalDynamoDb } from '../../../../local/aws/dynamodb.js';
import { memoryLogger } from '../../../helpers/fakes.js';
import { type JsonRpcTestServer, startJsonRpcServer } from '../../../helpers/jsonrpc-server.js';
import { externalEndpoint, type LocalTable, startLocalTable } from '../../../helpers/local-table.js';

let db: LocalDynamoDb;
let local: LocalTable;
let client: DynamoDBClient;
let server: JsonRpcTestServer;
let clock = Date.now();

const cache = (overrides: { now?: () => number } = {}) =>
  // A generous fixed timeout: this machine is shared and dynalite's first calls can be slow.
  new DynamoRpcCache({ client, tableName: db.tableName, minTimeoutMs: 3_000, maxTimeoutMs: 3_000, ...overrides });

/** What the slow proxy does with one request: pass it on after `delayMs`, or never answer. */
type ProxyMode = { delayMs: number } | 'hang';

/**
 * An HTTP proxy in front of dynalite that delays requests or never answers them (a table that
 * is slow or has stopped answering), each request by the next scripted mode, else the default.
 */
interface SlowProxy {
  readonly client: DynamoDBClient;
  /** Requests that reached the proxy. */
  readonly received: () => number;
  script(...modes: ProxyMode[]): void;
  setDefault(mode: ProxyMode): void;
  close(): Promise<void>;
}

async function startSlowProxy(): Promise<SlowProxy> {
  const target = new URL(db.endpoint);
  const queue: ProxyMode[] = [];
  let fallback: ProxyMode = { delayMs: 0 };
  let received = 0;
  const forward = async (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 500,
              headers: { 'content-type': String(res.headers['content-type'] ?? 'application/x-amz-json-1.0') },
              body: Buffer.concat(chunks),
            }),
          );
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  const server: Server = createServer((req, res) => {
    received++;
    const mode = queue.shift() ?? fallback;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (mode === 'hang') return;
      setTimeout(() => {
        forward(req, Buffer.concat(chunks)).then(
          (answer) => {
            res.writeHead(answer.status, answer.headers);
            res.end(answer.body);
          },
          () => res.destroy(),
        );
      }, mode.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxyClient = new DynamoDBClient({ ...localClientConfig(`http://127.0.0.1:${port}`), maxAttempts: 1 });
  return {
    client: proxyClient,
    received: () => received,
    script: (...modes) => queue.push(...modes),
    setDefault: (mode) => {
      fallback = mode;
    },
    close: async () => {
      proxyClient.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let proxy: SlowProxy;
/** A cache behind the slow proxy, with the adaptive timeout's bounds. */
const slowCache = (minTimeoutMs: number, maxTimeoutMs: number) =>
  new DynamoRpcCache({ client: proxy.client, tableName: db.tableName, minTimeoutMs, maxTimeoutMs });

beforeAll(async () => {
  local = await startLocalTable('rpc-cache-test');
  ({ db, client } = local);
  server = await startJsonRpcServer();
  proxy = await startSlowProxy();
  let slot = 0;
  server.on('getBalance', () => ({ context: { slot: ++slot }, value: 1_000 }));
});
afterAll(async () => {
  await proxy.close();
  await server.close();
  await local.stop();
});
afterEach(() => {
  server.setDefault({ kind: 'answer' });
  proxy.setDefault({ delayMs: 0 });
});

describe('DynamoRpcCache', () => {
  it('stores a value under rpccache#<key> and reads it back until it expires', async () => {
    const c = cache({ now: () => clock });
    expect(await c.get('k1')).toBeUndefined();
    await c.put('k1', '{"value":1}', 10);
    expect(await c.get('k1')).toBe('{"value":1}');
    const { Item } = await client.send(
      new GetItemCommand({ TableName: db.tableName, Key: { pk: { S: 'rpccache#k1' }, sk: { S: 'rpccache' } } }),
    );
    expect(Number(Item?.expiresAt?.N)).toBe(Math.ceil((clock + 10_000) / 1000));
    clock += 10_000;
    // Not deleted yet (TTL runs late), but expired: a miss.
    expect(await c.get('k1')).toBeUndefined();
  });

  it('grants a lease to one caller at a time, again once it has expired', async () => {
    const c = cache({ now: () => clock });
    const grants = await Promise.all(Array.from({ length: 10 }, () => c.lease('k2', 1_000, 10_000)));
    expect(grants.filter((g) => g.granted)).toHaveLength(1);
    expect(await c.lease('k2', 1_000, 10_000)).toEqual({ granted: false });
    clock += 1_000;
    expect((await c.lease('k2', 1_000, 10_000)).granted).toBe(true);
  });

  it('says a lease is hot when the key was leased less than seenMs before, cold otherwise', async () => {
    const c = cache({ now: () => clock });
    expect(await c.lease('hot-1', 1_000, 10_000)).toEqual({ granted: true, hot: false });
    clock += 9_999;
    expect(await c.lease('hot-1', 1_000, 10_000)).toEqual({ granted: true, hot: true });
    clock += 10_000;
    expect(await c.lease('hot-1', 1_000, 10_000)).toEqual({ granted: true, hot: false });
    // The lease item lives as long as it can say the key is hot.
    const { Item } = await client.send(
      new GetItemCommand({ TableName: db.tableName, Key: { pk: { S: 'rpccache#hot-1' }, sk: { S: 'lease' } } }),
    );
    expect(Number(Item?.expiresAt?.N)).toBe(Math.ceil((clock + 10_000) / 1000));
  });

  it('marks a lease wanted when a caller is refused it, and a new lease starts unwanted', async () => {
    const c = cache({ now: () => clock });
    expect((await c.lease('want-1', 1_000, 10_000)).granted).toBe(true);
    expect(await c.wanted('want-1')).toBe(false);
    expect(await c.lease('want-1', 1_000, 10_000)).toEqual({ granted: false });
    expect(await c.wanted('want-1')).toBe(true);
    clock += 1_000;
    expect(await c.lease('want-1', 1_000, 10_000)).toEqual({ granted: true, hot: true });
    expect(await c.wanted('want-1')).toBe(false);
    expect(await c.wanted('never-leased')).toBe(false);
  });

  it('skips values too large for a DynamoDB item instead of failing', async () => {
    const c = cache();
    await c.put('k3', `"${'x'.repeat(400_000)}"`, 10);
    expect(await c.get('k3')).toBeUndefined();
  });

  it.skipIf(externalEndpoint)('reports an unreachable DynamoDB as a transient error', async () => {
    await db.stop();
    try {
      await expect(cache().get('k1')).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
      await expect(cache().lease('k1', 100, 1_000)).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
    } finally {
      await db.start();
    }
  });
});

describe('AdaptiveTimeout', () => {
  it('gives the longest timeout until the first answer, then follows the latency seen within its bounds', () => {
    const timeout = new AdaptiveTimeout(300, 1_000);
    expect(timeout.ms).toBe(1_000);
    timeout.sample(20);
    expect(timeout.ms).toBe(300);
    for (let i = 0; i < 50; i++) timeout.sample(450);
    expect(timeout.ms).toBeGreaterThan(450);
    expect(timeout.ms).toBeLessThan(1_000);
  });

  it('widens after timeouts, up to its longest, and narrows again once answers are fast', () => {
    const timeout = new AdaptiveTimeout(300, 1_000);
    for (let i = 0; i < 20; i++) timeout.sample(10);
    const seen = [timeout.ms];
    for (let i = 0; i < 8; i++) {
      timeout.sample(timeout.ms);
      seen.push(timeout.ms);
    }
    expect(seen[0]).toBe(300);
    expect(seen.slice(1).every((ms, i) => ms >= seen[i]!)).toBe(true);
    expect(seen.at(-1)).toBe(1_000);
    for (let i = 0; i < 50; i++) timeout.sample(10);
    expect(timeout.ms).toBe(300);
  });

  it('refuses bounds that are not 0 < min ≤ max', () => {
    expect(() => new AdaptiveTimeout(0, 100)).toThrow(RangeError);
    expect(() => new AdaptiveTimeout(300, 200)).toThrow(RangeError);
  });
});

describe('DynamoRpcCache on a slow table', () => {
  it('keeps reading from a table that answers slower than its shortest timeout', async () => {
    await cache().put('slow-1', '"v"', 60);
    proxy.setDefault({ delayMs: 500 });
    // With a fixed 300 ms timeout every one of these reads would fail.
    const c = slowCache(300, 5_000);
    for (let i = 0; i < 5; i++) expect(await c.get('slow-1')).toBe('"v"');
    expect(c.timeout.ms).toBeGreaterThan(500);
  });

  it('gives up on a table that stops answering after the timeout it learned, not the longest one', async () => {
    const c = slowCache(300, 10_000);
    for (let i = 0; i < 10; i++) await c.get('hang-1');
    // What a local table takes, with room to spare: 300 ms unless this machine is very busy.
    expect(c.timeout.ms).toBeLessThan(2_000);
    proxy.setDefault('hang');
    const started = performance.now();
    await expect(c.get('hang-1')).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
    // Far below the 10 s it could have waited.
    expect(performance.now() - started).toBeLessThan(5_000);
    // Each further timeout widens it, never past the longest.
    const before = c.timeout.ms;
    await expect(c.get('hang-1')).rejects.toMatchObject({ message: expect.stringContaining('Timeout') });
    expect(c.timeout.ms).toBeGreaterThan(before);
    expect(c.timeout.ms).toBeLessThanOrEqual(10_000);
  });
});

describe('RpcPool with the DynamoDB cache', () => {
  const pool = (options: Partial<RpcPoolOptions> = {}) =>
    createRpcPool({
      endpoints: [{ url: server.url, rps: 1000, methodRps: {}, priority: 0 }],
      maxConcurrency: 2,
      settings: stageSettings('test').solana,
      cache: cache(),
      // As generous as the cache's own timeouts (a shared machine); the budget has its own test.
      cacheBudgetMs: 3_000,
      ...options,
    });

  it('makes 100 concurrent identical reads across two containers cost one RPC call, then serves from cache', async () => {
    const before = server.count('getBalance');
    server.setDefault({ kind: 'answer', delayMs: 150 });
    const containers = [pool(), pool()];
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => containers[i % 2]!.request('getBalance', ['shared-owner'])),
    );
    expect(server.count('getBalance') - before).toBe(1);
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    const first = results[0] as { context: { slot: number } };

    // Later reads within cacheSeconds come from the cache, with the slot it was read at.
    const response = await containers[1]!.fetch('x', {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', id: 'late', method: 'getBalance', params: ['shared-owner'] }),
    });
    expect(await response.json()).toEqual({ jsonrpc: '2.0', id: 'late', result: first });
    expect(server.count('getBalance') - before).toBe(1);

    const [a, b] = containers.map((c) => c.stats());
    expect(a!.cache.misses + b!.cache.misses).toBe(1);
    expect(a!.coalesced + b!.coalesced).toBe(98);
    expect(a!.cache.hits + b!.cache.hits).toBe(2);
  });

  it('stores the JSON-RPC result under the sha256 key of method and params', async () => {
    // The second container's ask makes the key worth sharing.
    await pool().request('getBalance', ['keyed-owner', { commitment: 'confirmed' }]);
    const result = await pool().request('getBalance', ['keyed-owner', { commitment: 'confirmed' }]);
    expect(await cache().get(rpcCacheKey('getBalance', ['keyed-owner', { commitment: 'confirmed' }]))).toBe(
      JSON.stringify(result),
    );
    expect(rpcCacheKey('getBalance', [{ a: 1, b: 2 }])).toBe(rpcCacheKey('getBalance', [{ b: 2, a: 1 }]));
    expect(rpcCacheKey('getBalance', [{ a: 1 }])).toMatch(/^[0-9a-f]{64}$/);
  });

  it.skipIf(externalEndpoint)(
    'still answers reads from RPC when DynamoDB is down, and logs the cache failure',
    async () => {
      const log = memoryLogger();
      const p = pool({ log });
      const before = server.count('getBalance');
      await db.stop();
      try {
        const result = await p.request('getBalance', ['outage-owner']);
        expect(result).toMatchObject({ value: 1_000 });
        expect(server.count('getBalance') - before).toBe(1);
        expect(p.stats().cache.errors).toBeGreaterThanOrEqual(1);
        expect(log.lines.some((l) => l.event === 'solana.rpc.cache_failed')).toBe(true);
      } finally {
        await db.start();
      }
    },
  );

  it('goes to RPC once the cache lookup has taken its budget, and counts the overrun as a cache failure', async () => {
    const log = memoryLogger();
    const p = pool({ log, cache: slowCache(3_000, 3_000), cacheBudgetMs: 150 });
    const before = server.count('getBalance');
    proxy.script({ delayMs: 2_000 });
    const started = performance.now();
    expect(await p.request('getBalance', ['budget-owner'])).toMatchObject({ value: 1_000 });
    // Without the budget the read would wait the table's 2 s (its timeout is 3 s).
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(server.count('getBalance') - before).toBe(1);
    expect(p.stats().cache.errors).toBe(1);
    expect(log.lines.find((l) => l.event === 'solana.rpc.cache_failed')).toMatchObject({
      error: expect.objectContaining({ message: 'the cache took over 150 ms' }),
    });
  });

  it('keeps using the cache after one failed call, and leaves it alone only after three in a row', async () => {
    const log = memoryLogger();
    const c = slowCache(200, 1_000);
    for (let i = 0; i < 10; i++) await c.get('warm-up');
    const p = pool({ log, cache: c });
    const owner = (n: number) => [`rest-owner-${n}`];

    // One call that never answers: the read still gets its answer from RPC.
    proxy.script('hang');
    expect(await p.request('getBalance', owner(1))).toMatchObject({ value: 1_000 });
    expect(p.stats().cache.errors).toBe(1);
    // The cache is still used: get, lease and the look for waiters reach the table.
    let before = proxy.received();
    await p.request('getBalance', owner(2));
    expect(proxy.received() - before).toBe(3);

    // Three failures in a row (three reads' gets; a read whose get failed fills nothing): the cache rests.
    proxy.script('hang', 'hang', 'hang');
    await p.request('getBalance', owner(3));
    await p.request('getBalance', owner(4));
    expect(log.lines.filter((l) => l.event === 'solana.rpc.cache_resting')).toHaveLength(0);
    await p.request('getBalance', owner(5));
    expect(p.stats().cache.errors).toBe(4);
    expect(log.lines.filter((l) => l.event === 'solana.rpc.cache_resting')).toHaveLength(1);
    before = proxy.received();
    expect(await p.request('getBalance', owner(6))).toMatchObject({ value: 1_000 });
    expect(proxy.received() - before).toBe(0);
  });
});

describe('RpcPool: which results reach the shared cache', () => {
  const containerOn = (c: DynamoRpcCache, options: Partial<RpcPoolOptions> = {}) =>
    createRpcPool({
      endpoints: [{ url: server.url, rps: 1000, methodRps: {}, priority: 0 }],
      maxConcurrency: 2,
      settings: stageSettings('test').solana,
      cache: c,
      cacheBudgetMs: 3_000,
      ...options,
    });
  /** A container whose table calls go through the proxy, so they can be counted. */
  const counted = (options: Partial<RpcPoolOptions> = {}) =>
    containerOn(
      new DynamoRpcCache({ client: proxy.client, tableName: db.tableName, minTimeoutMs: 3_000, maxTimeoutMs: 3_000 }),
      options,
    );
  const stored = async (owner: string) => (await cache().get(rpcCacheKey('getBalance', [owner]))) !== undefined;

  it('reads a key nobody else asks from RPC writing only its lease, and answers the repeat from the container', async () => {
    const p = counted();
    const before = { rpc: server.count('getBalance'), table: proxy.received() };
    await p.request('getBalance', ['lonely-owner']);
    // get, lease, look for waiters: no value stored.
    expect(proxy.received() - before.table).toBe(3);
    expect(await stored('lonely-owner')).toBe(false);

    expect(await p.request('getBalance', ['lonely-owner'])).toMatchObject({ value: 1_000 });
    expect(server.count('getBalance') - before.rpc).toBe(1);
    expect(proxy.received() - before.table).toBe(3);
    expect(p.stats().cache).toMatchObject({ hits: 1, misses: 1 });
  });

  it("reads a container's own result again from RPC once cacheSeconds have passed", async () => {
    let skew = 0;
    const p = counted({ now: () => Date.now() + skew });
    const before = server.count('getBalance');
    await p.request('getBalance', ['aging-owner']);
    const cacheMs = stageSettings('test').solana.cacheSeconds * 1000;
    skew = cacheMs / 2;
    await p.request('getBalance', ['aging-owner']);
    expect(server.count('getBalance') - before).toBe(1);
    skew = cacheMs;
    await p.request('getBalance', ['aging-owner']);
    expect(server.count('getBalance') - before).toBe(2);
  });

  it('stores a key in the shared cache once a second container asks for it within cacheSeconds', async () => {
    const [a, b, c] = [counted(), counted(), counted()];
    const before = server.count('getBalance');
    await a.request('getBalance', ['second-owner']);
    expect(await stored('second-owner')).toBe(false);
    await b.request('getBalance', ['second-owner']);
    expect(await stored('second-owner')).toBe(true);
    expect(server.count('getBalance') - before).toBe(2);
    const tableBefore = proxy.received();
    await c.request('getBalance', ['second-owner']);
    expect(server.count('getBalance') - before).toBe(2);
    // A hit is one read.
    expect(proxy.received() - tableBefore).toBe(1);
  });

  it('makes a burst of one key from three containers cost one RPC call, and shares its answer', async () => {
    server.setDefault({ kind: 'answer', delayMs: 150 });
    const containers = [counted(), counted(), counted()];
    const before = server.count('getBalance');
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => containers[i % 3]!.request('getBalance', ['burst-owner'])),
    );
    expect(server.count('getBalance') - before).toBe(1);
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await stored('burst-owner')).toBe(true);
    const stats = containers.map((c) => c.stats().cache);
    expect(stats.reduce((sum, s) => sum + s.misses, 0)).toBe(1);
    expect(stats.reduce((sum, s) => sum + s.hits, 0)).toBe(2);
  });
});
