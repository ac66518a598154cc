import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDepositStore } from '../../../../core/desk/deposits/dynamodb-store.js';
import { DynamoLedger } from '../../../../core/desk/ledger/dynamodb-ledger.js';
import { DynamoTxStore } from '../../../../core/desk/solana/dynamodb-tx-store.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import type { LocalDynamoDb } from '../../../../local/aws/dynamodb.js';
import { creditDeposit } from '../../../helpers/deposits.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';

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

describe('DynamoLedger', () => {
  it('adds deposits up, newest entry first, and keeps users apart', async () => {
    let now = 1_000;
    const deposits = new DynamoDepositStore({ client, tableName: db.tableName, now: () => now });
    const ledger = new DynamoLedger({ client, tableName: db.tableName, now: () => now });
    for (const [signature, lamports] of [
      ['sigL2', 1n],
      ['sigL3', 2n],
    ] as const) {
      now += 1_000;
      await creditDeposit(deposits, { signature, userId: 78, lamports });
    }
    expect(await ledger.balance(78)).toBe(3n);
    expect((await ledger.history(78, 10)).map((e) => e.ref)).toEqual(['sigL3', 'sigL2']);
    expect(await ledger.balance(79)).toBe(0n);
    expect(await ledger.history(79, 10)).toEqual([]);
  });
});
