import {
  type AttributeValue,
  type CancellationReason,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { stageSettings } from '../../../../core/desk/settings.js';
import { Table, type TransactAction, TransactionCancelled } from '../../../../core/platform/adapters/dynamodb.js';
import { AppError, TransientError } from '../../../../core/platform/errors.js';
import { createUpdateProcessor, type TurnRunner } from '../../../../core/platform/ingress/process.js';
import { checkUpdate, type ValidUpdate } from '../../../../core/platform/ingress/update.js';
import { createConsumer, handle } from '../../../../core/platform/jobs/consumer.js';
import type { ParkReason } from '../../../../core/platform/jobs/dead-letters.js';
import { DynamoJobProgress } from '../../../../core/platform/jobs/dynamodb-progress.js';
import { defineJob, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { DynamoSessionStore } from '../../../../core/platform/sessions/dynamodb-store.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import type { LocalDynamoDb } from '../../../../local/aws/dynamodb.js';
import { dynamoItemBytes } from '../../../../local/aws/meter.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { externalEndpoint, type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';
import { textUpdate } from '../../../helpers/updates.js';

let db: LocalDynamoDb;
let local: LocalTable;
let client: DynamoDBClient;
let clock = Date.now();

const ProbeJob = defineJob('test.probe', 'notify', () => z.object({ n: z.int() }));

/** An item as the SDK returns it, in the marshalled JSON form the meter sizes (binaries as base64). */
const marshalledForMeter = (item: Record<string, AttributeValue>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(item).map(([name, value]) => [
      name,
      value.B === undefined ? value : { B: Buffer.from(value.B).toString('base64') },
    ]),
  );

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

  it('keeps a session with a large latest outbox within one 1 KB write unit, deflated, and reads it back', async () => {
    const s = store();
    const keyboard = Array.from({ length: 4 }, (_, row) =>
      Array.from({ length: 2 }, (_, col) => ({ text: `Button ${row}.${col}`, callback_data: `menu:${row}:${col}` })),
    );
    const reply = {
      method: 'sendMessage',
      params: {
        chat_id: 6,
        parse_mode: 'HTML',
        text: '<b>Main menu</b>\nChoose what to do next. '.repeat(12),
        reply_markup: { inline_keyboard: keyboard },
      },
    };
    const jobs = sealJobs(
      [1, 2].map((n) => ({ job: ProbeJob, payload: { n }, chatId: 6, userId: 6 })),
      { idPrefix: 'upd-9', traceId: 'trace-upd-9', tenant: TEST_TENANT, now: new Date(clock) },
    ).map((j) => ({ queue: 'notify', envelope: j.envelope }));
    const outbox = { jobs, reply };
    const data = { lang: 'en', screen: 'menu', wallets: ['So11111111111111111111111111111111111111112'] };
    const processed = Array.from({ length: 19 }, (_, i) => ({ updateId: 1_000_000 + i }));
    expect(Buffer.byteLength(JSON.stringify({ data, processed, outbox }))).toBeGreaterThan(1_500);
    await s.save({ key: '16:16', data, expectedVersion: 0, update: { updateId: 2_000_000, outbox }, processed });

    const { Item } = await client.send(
      new GetItemCommand({ TableName: db.tableName, Key: { pk: { S: 'session#16:16' }, sk: { S: 'session' } } }),
    );
    expect(Item?.processedZ?.B).toBeDefined();
    expect(Item?.processed).toBeUndefined();
    expect(dynamoItemBytes(marshalledForMeter(Item!))).toBeLessThanOrEqual(1_024);
    const loaded = await s.load('16:16');
    expect(loaded.data).toEqual(data);
    expect(loaded.processed.at(-1)).toEqual({ updateId: 2_000_000, outbox });
    expect(loaded.processed).toHaveLength(20);
  });

  it('reads a session written before sessions were deflated', async () => {
    await client.send(
      new PutItemCommand({
        TableName: db.tableName,
        Item: {
          pk: { S: 'session#17:17' },
          sk: { S: 'session' },
          data: { S: '{"lang":"zh"}' },
          version: { N: '2' },
          processed: { S: '[{"updateId":5}]' },
          expiresAt: { N: String(Math.floor(clock / 1000) + 100) },
        },
      }),
    );
    expect(await store().load('17:17')).toEqual({
      key: '17:17',
      data: { lang: 'zh' },
      version: 2,
      processed: [{ updateId: 5 }],
    });
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
      tenant: TEST_TENANT,
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

  it.skipIf(externalEndpoint)('reports an unreachable DynamoDB as a transient error', async () => {
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

/** A client of the local table that answers every `TransactWriteItems` with this cancellation, as AWS words it. */
function cancellingClient(reasons: readonly CancellationReason[]): DynamoDBClient {
  const cancelling = new DynamoDBClient({ ...localClientConfig(db.endpoint), maxAttempts: 1 });
  cancelling.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
      throw new TransactionCanceledException({
        $metadata: { httpStatusCode: 400 },
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        CancellationReasons: [...reasons],
      });
    },
    { step: 'initialize', name: 'cancelTransactions' },
  );
  return cancelling;
}

const none: CancellationReason = { Code: 'None' };
const because = (Code: string, Message: string): CancellationReason => ({ Code, Message });
const CONDITION = because('ConditionalCheckFailed', 'The conditional request failed');
const CONFLICT = because('TransactionConflict', 'Transaction is ongoing for the item.');
const THROTTLED = because(
  'ThrottlingError',
  'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly.',
);
const PROVISIONED = because(
  'ProvisionedThroughputExceeded',
  'The level of configured provisioned throughput for the table was exceeded.',
);
const INVALID = because('ValidationError', 'Item size to update has exceeded the maximum allowed size');
const COLLECTION_FULL = because('ItemCollectionSizeLimitExceeded', 'Collection size exceeded.');

/** Two actions on fresh items: a counter and a conditional put. */
function actions(id: string): TransactAction[] {
  return [
    {
      update: {
        pk: `tx#${id}`,
        sk: 'counter',
        UpdateExpression: 'ADD #n :one',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':one': { N: '1' } },
      },
    },
    {
      put: { pk: { S: `tx#${id}` }, sk: { S: 'entry' } },
      condition: { ConditionExpression: 'attribute_not_exists(pk)' },
    },
  ];
}

async function cancelledWith(reasons: readonly CancellationReason[]): Promise<unknown> {
  const cancelling = cancellingClient(reasons);
  try {
    return await new Table(cancelling, db.tableName, Date.now).transact(actions('injected')).catch((e: unknown) => e);
  } finally {
    cancelling.destroy();
  }
}

describe('Table.transact', () => {
  it('reports a failed condition as TransactionCancelled with every reason, having written nothing', async () => {
    const table = new Table(client, db.tableName, Date.now);
    await table.put({ pk: { S: 'tx#ccf' }, sk: { S: 'entry' } });
    const error = await table.transact(actions('ccf')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCancelled);
    expect((error as TransactionCancelled).reasons).toEqual(['None', 'ConditionalCheckFailed']);
    expect(await table.get('tx#ccf', 'counter')).toBeUndefined();
  });

  it('reports an action that does not fit its item (ValidationError) as a non-transient error, having written nothing', async () => {
    const table = new Table(client, db.tableName, Date.now);
    await table.put({ pk: { S: 'tx#invalid' }, sk: { S: 'counter' }, n: { S: 'not a number' } });
    const error = await table.transact(actions('invalid')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).not.toBeInstanceOf(TransientError);
    expect(error).toMatchObject({
      code: 'dynamodb.invalid_request',
      message: 'DynamoDB TransactWriteItems refused the request: [ValidationError, None]',
    });
    expect(await table.get('tx#invalid', 'entry')).toBeUndefined();
  });

  it('reports a key of the wrong type (cancelled with ValidationError) as a non-transient error', async () => {
    const table = new Table(client, db.tableName, Date.now);
    const error = await table
      .transact([{ put: { pk: { S: 'tx#typed' }, sk: { S: 'ok' } } }, { put: { pk: { N: '1' }, sk: { S: 'x' } } }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).not.toBeInstanceOf(TransientError);
    expect(error).toMatchObject({
      code: 'dynamodb.invalid_request',
      message: 'DynamoDB TransactWriteItems refused the request: [None, ValidationError]',
    });
    expect(await table.get('tx#typed', 'ok')).toBeUndefined();
  });

  it.skipIf(externalEndpoint)(
    'reports a transaction the local engine cancels with a conflict as transient, having written nothing',
    async () => {
      const table = new Table(client, db.tableName, Date.now);
      db.setTransactionConflicts({ next: 1 });
      const error = await table.transact(actions('conflict')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect(error).toMatchObject({
        code: 'dynamodb.unavailable',
        message: expect.stringContaining('TransactionConflict'),
      });
      expect(await table.get('tx#conflict', 'entry')).toBeUndefined();
      await table.transact(actions('conflict'));
      expect(await table.get('tx#conflict', 'entry')).toBeDefined();
    },
  );

  it.each([
    ['ValidationError', [none, INVALID]],
    ['ItemCollectionSizeLimitExceeded', [COLLECTION_FULL, none]],
    ['a permanent reason beside a failed condition', [CONDITION, INVALID]],
  ])('reports a cancellation for %s as a non-transient error', async (_, reasons) => {
    const error = await cancelledWith(reasons);
    expect(error).toBeInstanceOf(AppError);
    expect(error).not.toBeInstanceOf(TransientError);
    expect(error).not.toBeInstanceOf(TransactionCancelled);
    expect(error).toMatchObject({ code: 'dynamodb.invalid_request' });
  });

  it.each([
    ['TransactionConflict', [none, CONFLICT]],
    ['ThrottlingError', [THROTTLED, THROTTLED]],
    ['ProvisionedThroughputExceeded', [PROVISIONED, none]],
    ['a code DynamoDB may add later', [none, because('SomethingNew', 'new')]],
  ])('reports a cancellation for %s as transient', async (_, reasons) => {
    const error = await cancelledWith(reasons);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({
      code: 'dynamodb.unavailable',
      message: `DynamoDB TransactWriteItems cancelled: [${reasons.map((r) => r.Code).join(', ')}]`,
    });
  });

  it.each([
    ['alone', [none, CONDITION], ['None', 'ConditionalCheckFailed']],
    ['beside a conflict', [CONFLICT, CONDITION], ['TransactionConflict', 'ConditionalCheckFailed']],
  ])('reports a failed condition %s as TransactionCancelled', async (_, reasons, codes) => {
    const error = await cancelledWith(reasons);
    expect(error).toBeInstanceOf(TransactionCancelled);
    expect((error as TransactionCancelled).reasons).toEqual(codes);
  });

  it('reads a reason without a code as None', async () => {
    const error = await cancelledWith([{}, CONDITION]);
    expect((error as TransactionCancelled).reasons).toEqual(['None', 'ConditionalCheckFailed']);
  });
});

describe('Table.transact in a job consumer', () => {
  const Write = defineJob('test.write', 'rpc', () => z.object({ reason: z.string() }));
  const reasonsByName: Record<string, CancellationReason[]> = {
    invalid: [none, INVALID],
    conflict: [none, CONFLICT],
  };

  async function consumeOne(reason: string) {
    const parked: ParkReason[] = [];
    const consume = createConsumer(
      [
        handle(Write, async (job) => {
          const cancelling = cancellingClient(reasonsByName[job.payload.reason]!);
          try {
            await new Table(cancelling, db.tableName, Date.now).transact(actions(job.id));
          } finally {
            cancelling.destroy();
          }
        }),
      ],
      memoryLogger(),
      { park: async (_, why) => void parked.push(why) },
    );
    const [sealed] = sealJobs([{ job: Write, payload: { reason }, chatId: null, userId: null }], {
      idPrefix: reason,
      traceId: reason,
      tenant: TEST_TENANT,
      now: new Date(),
    });
    const result = await consume([
      {
        messageId: 'm1',
        receiptHandle: 'r1',
        body: JSON.stringify(sealed!.envelope),
        attributes: { ApproximateReceiveCount: '1' },
      },
    ]);
    return { parked, failed: result.batchItemFailures.map((f) => f.itemIdentifier) };
  }

  it('parks a job whose transaction DynamoDB refuses for good, instead of retrying it', async () => {
    expect(await consumeOne('invalid')).toEqual({
      parked: [{ code: 'dynamodb.invalid_request', message: expect.stringContaining('[None, ValidationError]') }],
      failed: [],
    });
  });

  it('retries a job whose transaction was cancelled by a conflict', async () => {
    expect(await consumeOne('conflict')).toEqual({ parked: [], failed: ['m1'] });
  });
});
