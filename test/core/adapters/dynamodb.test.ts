import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoJobProgress, DynamoSessionStore, Table } from '../../../core/adapters/dynamodb.js';
import { AppError, TransientError } from '../../../core/errors.js';
import { createUpdateProcessor, type TurnRunner } from '../../../core/ingress/process.js';
import { checkUpdate, type ValidUpdate } from '../../../core/ingress/update.js';
import { stageSettings } from '../../../core/settings.js';
import type { LocalDynamoDb } from '../../../local/aws/dynamodb.js';
import { MemoryJobQueue, memoryLogger } from '../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../helpers/local-table.js';
import { textUpdate } from '../../helpers/updates.js';

let db: LocalDynamoDb;
let local: LocalTable;
let client: DynamoDBClient;
let clock = Date.now();

const store = (overrides: Partial<ConstructorParameters<typeof DynamoSessionStore>[0]> = {}) =>
  new DynamoSessionStore({
    client,
    tableName: db.tableName,
    sessionIdleSeconds: 3600,
    updateDedupeSeconds: 600,
    now: () => clock,
    ...overrides,
  });

beforeAll(async () => {
  local = await startLocalTable('adapter-test');
  ({ db, client } = local);
});
afterAll(async () => {
  await local.stop();
});

const allowed = stageSettings('test').webhook.allowedUpdates;
const valid = (raw: unknown): ValidUpdate => {
  const check = checkUpdate(raw, allowed);
  if (!check.ok) throw new Error(check.detail);
  return check.value;
};

describe('DynamoSessionStore', () => {
  it('reads a missing session as new, version 0', async () => {
    expect(await store().load('1:1')).toEqual({ key: '1:1', data: undefined, version: 0, processed: [] });
  });

  it('saves with a version and refuses a save that expects a stale version', async () => {
    const s = store();
    await s.save({ key: '2:2', data: { lang: 'en' }, expectedVersion: 0, update: { updateId: 1 }, processed: [] });
    const loaded = await s.load('2:2');
    expect(loaded).toMatchObject({ data: { lang: 'en' }, version: 1, processed: [{ updateId: 1 }] });
    await expect(
      s.save({ key: '2:2', data: { lang: 'zh' }, expectedVersion: 0, update: { updateId: 2 }, processed: [] }),
    ).rejects.toMatchObject({ code: 'session.conflict' });
    expect((await s.load('2:2')).data).toEqual({ lang: 'en' });
  });

  it('treats an expired session as new but keeps its version for the condition', async () => {
    const s = store({ sessionIdleSeconds: 10 });
    await s.save({ key: '3:3', data: { lang: 'zh' }, expectedVersion: 0, update: { updateId: 1 }, processed: [] });
    clock += 11_000;
    const loaded = await s.load('3:3');
    expect(loaded).toEqual({ key: '3:3', data: undefined, version: 1, processed: [] });
    await s.save({
      key: '3:3',
      data: { lang: 'en' },
      expectedVersion: loaded.version,
      update: { updateId: 2 },
      processed: [],
    });
    expect((await s.load('3:3')).data).toEqual({ lang: 'en' });
  });

  it('remembers a bounded number of updates, and outboxes only for the newest', async () => {
    const s = store({ rememberUpdates: 5, rememberOutboxes: 2 });
    let version = 0;
    let processed: Awaited<ReturnType<typeof s.load>>['processed'] = [];
    for (let id = 1; id <= 8; id++) {
      await s.save({
        key: '4:4',
        data: {},
        expectedVersion: version,
        update: { updateId: id, outbox: { jobs: [] } },
        processed,
      });
      ({ version, processed } = await s.load('4:4'));
    }
    expect(processed.map((p) => p.updateId)).toEqual([4, 5, 6, 7, 8]);
    expect(processed.map((p) => p.outbox !== undefined)).toEqual([false, false, false, true, true]);
  });

  it('claims a sessionless update once and returns its outbox to a redelivery', async () => {
    const s = store();
    const outbox = { jobs: [], reply: { method: 'sendMessage', params: { chat_id: 1, text: 'x' } } };
    expect(await s.claim(77, outbox)).toEqual({ duplicate: false });
    expect(await s.claim(77, { jobs: [] })).toEqual({ duplicate: true, outbox });
  });

  it('reads an item whose stored data is corrupt as a session with no data', async () => {
    await client.send(
      new PutItemCommand({
        TableName: db.tableName,
        Item: {
          pk: { S: 'session#5:5' },
          sk: { S: 'session' },
          data: { S: '{nope' },
          version: { N: '3' },
          processed: { S: '[{"bad":1}]' },
          expiresAt: { N: String(Math.floor(clock / 1000) + 100) },
        },
      }),
    );
    expect(await store().load('5:5')).toEqual({ key: '5:5', data: undefined, version: 3, processed: [] });
  });

  it('loses no write when fifty updates for one chat arrive at once', async () => {
    const counting: TurnRunner = async (update, session) => ({
      session: { count: ((session as { count?: number } | undefined)?.count ?? 0) + 1, last: update.updateId },
      calls: [],
      jobs: [],
    });
    // Remembering all fifty ids lets the test see that each was applied once.
    const s = store({ rememberUpdates: 50 });
    const process = createUpdateProcessor({
      sessions: s,
      ledger: s,
      queue: new MemoryJobQueue(),
      runTurn: counting,
      log: memoryLogger(),
    });
    const updates = Array.from({ length: 50 }, () => valid(textUpdate({ id: 6 }, 'hi')));
    const results = await Promise.all(updates.map((u) => process(u)));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    const final = await s.load('6:6');
    expect(final.data).toMatchObject({ count: 50 });
    expect(final.version).toBe(50);
    expect(new Set(final.processed.map((p) => p.updateId))).toEqual(new Set(updates.map((u) => u.updateId)));
  });

  it('reports an unreachable DynamoDB as a transient error', async () => {
    await db.stop();
    try {
      await expect(store().load('1:1')).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
      await expect(
        store().save({ key: '1:1', data: {}, expectedVersion: 0, update: { updateId: 1 }, processed: [] }),
      ).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
    } finally {
      await db.start();
    }
  });
});

describe('DynamoJobProgress', () => {
  it('records and reads how far a job got', async () => {
    const progress = new DynamoJobProgress({ client, tableName: db.tableName, retainSeconds: 60 });
    expect(await progress.done('u1.0')).toBe(0);
    await progress.record('u1.0', 2);
    expect(await progress.done('u1.0')).toBe(2);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: db.tableName, Key: { pk: { S: 'job#u1.0' }, sk: { S: 'progress' } } }),
    );
    expect(Number(Item?.expiresAt?.N)).toBeGreaterThan(Date.now() / 1000);
  });
});

describe('Table errors', () => {
  it('reports a request DynamoDB refuses outright (an empty key) as a non-transient error, so a job carrying it is parked', async () => {
    const table = new Table(client, local.tableName, Date.now);
    const error = await table.get('', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).not.toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'dynamodb.invalid_request' });
  });
});
