import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDepositStore, DynamoLedger, DynamoTxStore } from '../../../core/adapters/dynamodb-ledger.js';
import { depositIdOf } from '../../../core/deposit/store.js';
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
      lang: 'en' as const,
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

describe('DynamoLedger', () => {
  const found = (signature: string, userId: number, lamports: bigint) => ({
    signature,
    userId,
    wallet: 'w',
    lamports,
    slot: 1,
    blockTime: null,
    lang: 'zh' as const,
  });

  it('credits a confirmed deposit once, with its ledger entry, however many admins press at once', async () => {
    const deposits = new DynamoDepositStore({ client, tableName: db.tableName });
    const ledger = new DynamoLedger({ client, tableName: db.tableName });
    await deposits.record(found('sigL1', 77, 1_500_000_000n));
    const id = depositIdOf('sigL1');
    expect((await ledger.depositById(id))?.status).toBe('found');

    const decisions = await Promise.all(Array.from({ length: 8 }, (_, i) => ledger.decideDeposit(id, true, 900 + i)));
    expect(decisions.filter((d) => d.outcome === 'credited')).toHaveLength(1);
    expect(decisions.filter((d) => d.outcome === 'decided')).toHaveLength(7);
    expect(await ledger.balance(77)).toBe(1_500_000_000n);
    const history = await ledger.history(77, 10);
    expect(history).toEqual([expect.objectContaining({ kind: 'deposit', lamports: 1_500_000_000n, ref: 'sigL1' })]);
    // A later rejection changes nothing.
    expect((await ledger.decideDeposit(id, false, 901)).outcome).toBe('decided');
    expect(await ledger.balance(77)).toBe(1_500_000_000n);
  });

  it('adds deposits up, newest entry first, and keeps users apart', async () => {
    let now = 1_000;
    const deposits = new DynamoDepositStore({ client, tableName: db.tableName });
    const ledger = new DynamoLedger({ client, tableName: db.tableName, now: () => now });
    for (const [sig, lamports] of [
      ['sigL2', 1n],
      ['sigL3', 2n],
    ] as const) {
      await deposits.record(found(sig, 78, lamports));
      now += 1_000;
      await ledger.decideDeposit(depositIdOf(sig), true, 900);
    }
    expect(await ledger.balance(78)).toBe(3n);
    expect((await ledger.history(78, 10)).map((e) => e.ref)).toEqual(['sigL3', 'sigL2']);
    expect(await ledger.balance(79)).toBe(0n);
    expect(await ledger.history(79, 10)).toEqual([]);
  });

  it('rejects without crediting, and knows no deposit by an unknown id', async () => {
    const deposits = new DynamoDepositStore({ client, tableName: db.tableName });
    const ledger = new DynamoLedger({ client, tableName: db.tableName });
    await deposits.record(found('sigL4', 80, 5n));
    const rejected = await ledger.decideDeposit(depositIdOf('sigL4'), false, 900);
    expect(rejected).toMatchObject({ outcome: 'rejected', deposit: { lang: 'zh', lamports: 5n } });
    expect((await ledger.decideDeposit(depositIdOf('sigL4'), true, 900)).outcome).toBe('decided');
    expect(await ledger.balance(80)).toBe(0n);
    expect(await ledger.decideDeposit('aaaaaaaaaaaaaaaa', true, 900)).toEqual({ outcome: 'missing' });
  });
});

describe('pending gauges', () => {
  it('counts deposits found and not decided, moving with each decision, a repeat record counting once', async () => {
    const deposits = new DynamoDepositStore({ client, tableName: db.tableName });
    const ledger = new DynamoLedger({ client, tableName: db.tableName });
    const before = await ledger.pendingDeposits();
    const record = (signature: string) =>
      deposits.record({ signature, userId: 91, wallet: 'w', lamports: 7n, slot: 1, blockTime: null, lang: 'en' });
    await Promise.all([record('sigG1'), record('sigG1'), record('sigG2'), record('sigG3')]);
    expect(await ledger.pendingDeposits()).toBe(before + 3);
    await ledger.decideDeposit(depositIdOf('sigG1'), true, 1);
    await ledger.decideDeposit(depositIdOf('sigG1'), false, 1);
    await ledger.decideDeposit(depositIdOf('sigG2'), false, 1);
    expect(await ledger.pendingDeposits()).toBe(before + 1);
  });
});
