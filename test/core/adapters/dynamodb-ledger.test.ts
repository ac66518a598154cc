import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDepositStore, DynamoTxStore } from '../../../core/adapters/dynamodb-ledger.js';
import { localClientConfig } from '../../../local/aws/common.js';
import type { LocalDynamoDb } from '../../../local/aws/dynamodb.js';
import { type LocalTable, startLocalTable } from '../../helpers/local-table.js';

let db: LocalDynamoDb;
let local: LocalTable;
let client: DynamoDBClient;

beforeAll(async () => {
  local = await startLocalTable('ledger-test');
  ({ db, client } = local);
});
afterAll(async () => {
  await local.stop();
});

describe('DynamoDepositStore', () => {
  it('records a signature once, concurrent finders included', async () => {
    const store = new DynamoDepositStore({ client, tableName: db.tableName });
    const deposit = {
      signature: 'sigA',
      userId: 1,
      wallet: 'w',
      lamports: 12_345_678_901_234_567n,
      slot: 9,
      blockTime: null,
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => store.record(deposit)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps a cursor per wallet', async () => {
    const store = new DynamoDepositStore({ client, tableName: db.tableName });
    expect(await store.cursor('w1')).toBeUndefined();
    await store.setCursor('w1', 'newest');
    expect(await store.cursor('w1')).toBe('newest');
    expect(await store.cursor('w2')).toBeUndefined();
  });
});

describe('DynamoTxStore', () => {
  it('fixes one signature per job and keeps the first final status', async () => {
    const store = new DynamoTxStore({ client, tableName: db.tableName });
    expect(await store.begin({ jobId: 'j1', signature: 'S1', lastValidBlockHeight: 10 })).toMatchObject({
      status: 'sending',
    });
    const again = await store.begin({ jobId: 'j1', signature: 'S2', lastValidBlockHeight: 99 });
    expect(again).toEqual({ jobId: 'j1', signature: 'S1', lastValidBlockHeight: 10, status: 'sending' });
    await store.finish('j1', 'confirmed');
    await store.finish('j1', 'expired');
    expect((await store.begin({ jobId: 'j1', signature: 'S1', lastValidBlockHeight: 10 })).status).toBe('confirmed');
  });

  it('reports an unreachable table as transient', async () => {
    const store = new DynamoTxStore({
      client: new DynamoDBClient({ ...localClientConfig('http://127.0.0.1:9'), maxAttempts: 1 }),
      tableName: 't',
    });
    await expect(store.begin({ jobId: 'j', signature: 's', lastValidBlockHeight: 1 })).rejects.toMatchObject({
      code: 'dynamodb.unavailable',
    });
  });
});
