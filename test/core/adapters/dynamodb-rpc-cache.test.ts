import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRpcCache } from '../../../core/adapters/dynamodb-rpc-cache.js';
import { stageSettings } from '../../../core/settings.js';
import { rpcCacheKey } from '../../../core/solana/cache.js';
import { createRpcPool, type RpcPoolOptions } from '../../../core/solana/pool.js';
import type { LocalDynamoDb } from '../../../local/aws/dynamodb.js';
import { memoryLogger } from '../../helpers/fakes.js';
import { type JsonRpcTestServer, startJsonRpcServer } from '../../helpers/jsonrpc-server.js';
import { type LocalTable, startLocalTable } from '../../helpers/local-table.js';

let db: LocalDynamoDb;
let local: LocalTable;
let client: DynamoDBClient;
let server: JsonRpcTestServer;
let clock = Date.now();

const cache = (overrides: { now?: () => number } = {}) =>
  // A generous timeout: this machine is shared and dynalite's first calls can be slow.
  new DynamoRpcCache({ client, tableName: db.tableName, timeoutMs: 3_000, ...overrides });

beforeAll(async () => {
  local = await startLocalTable('rpc-cache-test');
  ({ db, client } = local);
  server = await startJsonRpcServer();
  let slot = 0;
  server.on('getBalance', () => ({ context: { slot: ++slot }, value: 1_000 }));
});
afterAll(async () => {
  await server.close();
  await local.stop();
});
afterEach(() => {
  server.setDefault({ kind: 'answer' });
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
    const grants = await Promise.all(Array.from({ length: 10 }, () => c.lease('k2', 1_000)));
    expect(grants.filter(Boolean)).toHaveLength(1);
    expect(await c.lease('k2', 1_000)).toBe(false);
    clock += 1_000;
    expect(await c.lease('k2', 1_000)).toBe(true);
  });

  it('skips values too large for a DynamoDB item instead of failing', async () => {
    const c = cache();
    await c.put('k3', `"${'x'.repeat(400_000)}"`, 10);
    expect(await c.get('k3')).toBeUndefined();
  });

  it('reports an unreachable DynamoDB as a transient error', async () => {
    await db.stop();
    try {
      await expect(cache().get('k1')).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
      await expect(cache().lease('k1', 100)).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
    } finally {
      await db.start();
    }
  });
});

describe('RpcPool with the DynamoDB cache', () => {
  const pool = (options: Partial<RpcPoolOptions> = {}) =>
    createRpcPool({
      endpoints: [{ url: server.url, rps: 1000, methodRps: {}, priority: 0 }],
      maxConcurrency: 2,
      settings: stageSettings('test').solana,
      cache: cache(),
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
    const p = pool();
    const result = await p.request('getBalance', ['keyed-owner', { commitment: 'confirmed' }]);
    expect(await cache().get(rpcCacheKey('getBalance', ['keyed-owner', { commitment: 'confirmed' }]))).toBe(
      JSON.stringify(result),
    );
    expect(rpcCacheKey('getBalance', [{ a: 1, b: 2 }])).toBe(rpcCacheKey('getBalance', [{ b: 2, a: 1 }]));
    expect(rpcCacheKey('getBalance', [{ a: 1 }])).toMatch(/^[0-9a-f]{64}$/);
  });

  it('still answers reads from RPC when DynamoDB is down, and logs the cache failure', async () => {
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
  });
});
