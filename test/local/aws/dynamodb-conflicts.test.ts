import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  TransactGetItemsCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws/common.js';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../local/aws/dynamodb.js';
import { CONFLICT_REASON, conflictReasons, TransactionConflicts } from '../../../local/aws/dynamodb-conflicts.js';

/** A `random` that returns these values in turn, then 0.5 forever. */
const scripted =
  (...values: number[]) =>
  () =>
    values.shift() ?? 0.5;

describe('TransactionConflicts', () => {
  it('lets every transaction through until a mode is set', () => {
    const conflicts = new TransactionConflicts({ random: () => 0 });
    expect(Array.from({ length: 5 }, () => conflicts.draw(2))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(conflicts.cancelled).toBe(0);
  });

  it('cancels exactly the next N transactions, on the item `random` picks', () => {
    const conflicts = new TransactionConflicts({ random: scripted(0, 0.99, 0.5) });
    conflicts.set({ next: 3 });
    expect([conflicts.draw(4), conflicts.draw(4), conflicts.draw(4), conflicts.draw(4)]).toEqual([0, 3, 2, undefined]);
    expect(conflicts.cancelled).toBe(3);
  });

  it('cancels a transaction when `random` falls below the fraction, and never at 0 or always at 1', () => {
    const conflicts = new TransactionConflicts({ random: scripted(0.1, 0, 0.3, 0.25) });
    conflicts.set({ fraction: 0.25 });
    expect(conflicts.draw(1)).toBe(0); // 0.1 < 0.25: cancelled; 0 picks the only action
    expect(conflicts.draw(1)).toBeUndefined(); // 0.3 ≥ 0.25
    expect(conflicts.draw(1)).toBeUndefined(); // 0.25 ≥ 0.25
    conflicts.set({ fraction: 1 });
    expect(conflicts.draw(3)).not.toBeUndefined();
    conflicts.set({ fraction: 0 });
    expect(conflicts.draw(3)).toBeUndefined();
    expect(conflicts.cancelled).toBe(2);
  });

  it('uses up `next` before the fraction applies, and `{}` turns the switch off', () => {
    const conflicts = new TransactionConflicts({ random: () => 0.9 });
    conflicts.set({ next: 1, fraction: 0.5 });
    expect(conflicts.draw(2)).toBe(1);
    expect(conflicts.draw(2)).toBeUndefined();
    conflicts.set({ next: 5 });
    conflicts.set({});
    expect(conflicts.draw(2)).toBeUndefined();
  });

  it.each([
    [{ next: -1 }, 'next must be a whole number'],
    [{ next: 1.5 }, 'next must be a whole number'],
    [{ next: Number.NaN }, 'next must be a whole number'],
    [{ fraction: -0.1 }, 'fraction must be between 0 and 1'],
    [{ fraction: 1.01 }, 'fraction must be between 0 and 1'],
    [{ fraction: Number.NaN }, 'fraction must be between 0 and 1'],
  ])('refuses the mode %o and keeps the one it had', (mode, message) => {
    const conflicts = new TransactionConflicts({ random: () => 0 });
    conflicts.set({ next: 1 });
    expect(() => conflicts.set(mode)).toThrow(new RegExp(message));
    expect(conflicts.draw(1)).toBe(0);
    expect(conflicts.draw(1)).toBeUndefined();
  });

  it('words the reasons as AWS does: TransactionConflict on the contended item, None on the others', () => {
    expect(conflictReasons(3, 1)).toEqual([
      { Code: 'None' },
      { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' },
      { Code: 'None' },
    ]);
    expect(CONFLICT_REASON.Code).toBe('TransactionConflict');
  });
});

const TABLE = 'conflict-table';
let dataDir: string;
let db: LocalDynamoDb;
let client: DynamoDBClient;
let run = 0;

describe('the local DynamoDB with the conflict switch on', () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dynamodb-conflicts-test-'));
    // Contends the last action of each cancelled transaction.
    db = await startLocalDynamoDb({ dataDir, tableName: TABLE, random: () => 0.999 });
    client = new DynamoDBClient({ ...localClientConfig(db.endpoint), maxAttempts: 1 });
  });
  afterEach(() => db.setTransactionConflicts({}));
  afterAll(async () => {
    client?.destroy();
    await db?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const key = (pk: string, sk: string): Record<string, AttributeValue> => ({ pk: { S: pk }, sk: { S: sk } });
  const put = (pk: string, sk: string): TransactWriteItem => ({ Put: { TableName: TABLE, Item: key(pk, sk) } });
  const transact = (TransactItems: TransactWriteItem[], ClientRequestToken?: string) =>
    client.send(new TransactWriteItemsCommand({ TransactItems, ClientRequestToken }));
  const exists = async (pk: string, sk: string) =>
    (await client.send(new GetItemCommand({ TableName: TABLE, Key: key(pk, sk), ConsistentRead: true }))).Item !==
    undefined;
  const fresh = () => `c#${++run}`;

  it('cancels the next transaction with TransactionCanceledException and a TransactionConflict reason, writing nothing', async () => {
    const pk = fresh();
    const before = db.transactionConflicts;
    db.setTransactionConflicts({ next: 1 });
    const error = await transact([put(pk, 'a'), put(pk, 'b')]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect(error).toMatchObject({
      message:
        'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
      CancellationReasons: [
        { Code: 'None' },
        { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' },
      ],
      $metadata: { httpStatusCode: 400 },
    });
    expect(await exists(pk, 'a')).toBe(false);
    expect(db.transactionConflicts).toBe(before + 1);

    await transact([put(pk, 'a'), put(pk, 'b')]);
    expect(await exists(pk, 'a')).toBe(true);
  });

  it('leaves no client token behind, so a retry with the same token runs', async () => {
    const pk = fresh();
    db.setTransactionConflicts({ next: 1 });
    await expect(transact([put(pk, 'a')], `token-${pk}`)).rejects.toBeInstanceOf(TransactionCanceledException);
    await transact([put(pk, 'a')], `token-${pk}`);
    expect(await exists(pk, 'a')).toBe(true);
  });

  it('cancels TransactGetItems too', async () => {
    const pk = fresh();
    db.setTransactionConflicts({ next: 1 });
    const read = client.send(
      new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: TABLE, Key: key(pk, 'a') } }] }),
    );
    await expect(read).rejects.toMatchObject({
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }],
    });
  });

  it('refuses a malformed request as before, without spending a cancellation on it', async () => {
    const pk = fresh();
    db.setTransactionConflicts({ next: 1 });
    await expect(transact([put(pk, 'a'), put(pk, 'a')])).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(transact([put(pk, 'b')])).rejects.toBeInstanceOf(TransactionCanceledException);
  });

  it('cancels about the chosen fraction of transactions and applies the others whole', async () => {
    const shared = await startLocalDynamoDb({ dataDir: join(dataDir, 'fraction'), tableName: TABLE, ttlSweepMs: 0 });
    const other = new DynamoDBClient({ ...localClientConfig(shared.endpoint), maxAttempts: 1 });
    try {
      shared.setTransactionConflicts({ fraction: 0.5 });
      const pk = fresh();
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          other
            .send(
              new TransactWriteItemsCommand({
                TransactItems: [
                  { Put: { TableName: TABLE, Item: key(pk, `a${i}`) } },
                  { Put: { TableName: TABLE, Item: key(pk, `b${i}`) } },
                ],
              }),
            )
            .then(
              () => 'applied',
              (error: unknown) => (error instanceof TransactionCanceledException ? 'cancelled' : String(error)),
            ),
        ),
      );
      const cancelled = outcomes.filter((o) => o === 'cancelled').length;
      expect(outcomes.filter((o) => o !== 'applied' && o !== 'cancelled')).toEqual([]);
      // Binomial(200, 0.5): outside 60..140 with probability below 1e-8.
      expect(cancelled).toBeGreaterThan(60);
      expect(cancelled).toBeLessThan(140);
      expect(shared.transactionConflicts).toBe(cancelled);
      for (const [i, outcome] of outcomes.entries()) {
        const a = await other.send(new GetItemCommand({ TableName: TABLE, Key: key(pk, `a${i}`) }));
        const b = await other.send(new GetItemCommand({ TableName: TABLE, Key: key(pk, `b${i}`) }));
        expect([a.Item !== undefined, b.Item !== undefined]).toEqual(
          outcome === 'applied' ? [true, true] : [false, false],
        );
      }
    } finally {
      other.destroy();
      await shared.stop();
    }
  });

  it('keeps the mode across stop() and start()', async () => {
    const pk = fresh();
    db.setTransactionConflicts({ next: 1 });
    await db.stop();
    await db.start();
    await expect(transact([put(pk, 'a')])).rejects.toBeInstanceOf(TransactionCanceledException);
    await transact([put(pk, 'a')]);
  });

  it('refuses a mode out of range', () => {
    expect(() => db.setTransactionConflicts({ fraction: 2 })).toThrow(RangeError);
  });
});
