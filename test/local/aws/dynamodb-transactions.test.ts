import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  IdempotentParameterMismatchException,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  TransactGetItemsCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws/common.js';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../local/aws/dynamodb.js';
import { CLIENT_TOKEN_TTL_MS, TransactionTokens } from '../../../local/aws/dynamodb-transactions.js';

const TABLE = 'tx-table';
let dataDir: string;
let db: LocalDynamoDb;
let client: DynamoDBClient;
let run = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dynamodb-tx-test-'));
  db = await startLocalDynamoDb({ dataDir, tableName: TABLE });
  client = new DynamoDBClient({ ...localClientConfig(db.endpoint), maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await db?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** A fresh user id per test, so tests sharing the table never see each other's items. */
const newUser = (): string => `user#${++run}`;
const key = (pk: string, sk: string): Record<string, AttributeValue> => ({ pk: { S: pk }, sk: { S: sk } });
const accountKey = (user: string) => key(user, 'account');
const entryKey = (user: string, signature: string) => key(user, `ledger#${signature}`);

async function putAccount(user: string, balance: number, extra: Record<string, AttributeValue> = {}): Promise<void> {
  await client.send(
    new PutItemCommand({ TableName: TABLE, Item: { ...accountKey(user), balance: { N: String(balance) }, ...extra } }),
  );
}

async function getItem(itemKey: Record<string, AttributeValue>): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: itemKey, ConsistentRead: true }));
  return Item;
}

async function balanceOf(user: string): Promise<number> {
  return Number((await getItem(accountKey(user)))?.balance?.N);
}

async function ledgerCount(user: string): Promise<number> {
  const { Count } = await client.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ledger)',
      ExpressionAttributeValues: { ':pk': { S: user }, ':ledger': { S: 'ledger#' } },
      ConsistentRead: true,
    }),
  );
  return Count ?? 0;
}

/** Credit `amount` to the account and record the ledger entry of `signature`, unless it exists. */
const credit = (user: string, signature: string, amount: number): TransactWriteItem[] => [
  {
    Update: {
      TableName: TABLE,
      Key: accountKey(user),
      UpdateExpression: 'ADD balance :amount',
      ExpressionAttributeValues: { ':amount': { N: String(amount) } },
    },
  },
  {
    Put: {
      TableName: TABLE,
      Item: { ...entryKey(user, signature), amount: { N: String(amount) } },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  },
];

/** Debit 1 if the balance allows it, with its ledger entry written first (so a half-applied debit shows). */
const debit = (user: string, signature: string): TransactWriteItem[] => [
  { Put: { TableName: TABLE, Item: { ...entryKey(user, signature), amount: { N: '-1' } } } },
  {
    Update: {
      TableName: TABLE,
      Key: accountKey(user),
      UpdateExpression: 'ADD balance :minus',
      ConditionExpression: 'balance >= :one',
      ExpressionAttributeValues: { ':minus': { N: '-1' }, ':one': { N: '1' } },
    },
  },
];

const transact = (TransactItems: TransactWriteItem[], ClientRequestToken?: string) =>
  client.send(new TransactWriteItemsCommand({ TransactItems, ClientRequestToken }));

async function cancellation(promise: Promise<unknown>): Promise<TransactionCanceledException> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TransactionCanceledException);
  return error as TransactionCanceledException;
}

describe('withTransactions (TransactWriteItems)', () => {
  it('applies neither Put and reports [None, ConditionalCheckFailed] when the second fails its condition', async () => {
    const user = newUser();
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { ...key(user, 'b'), owner: { S: 'first' } } }));

    const error = await cancellation(
      transact([
        { Put: { TableName: TABLE, Item: { ...key(user, 'a'), owner: { S: 'second' } } } },
        {
          Put: {
            TableName: TABLE,
            Item: { ...key(user, 'b'), owner: { S: 'second' } },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      ]),
    );

    expect(error.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]',
    );
    expect(error.CancellationReasons).toEqual([
      { Code: 'None' },
      {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        Item: { ...key(user, 'b'), owner: { S: 'first' } },
      },
    ]);
    expect(await getItem(key(user, 'a'))).toBeUndefined();
    expect((await getItem(key(user, 'b')))?.owner).toEqual({ S: 'first' });
  });

  it('credits the balance and writes the ledger entry together, and only once per entry key', async () => {
    const user = newUser();
    await putAccount(user, 3);

    await transact(credit(user, 'sig-1', 5));
    expect(await balanceOf(user)).toBe(8);
    expect((await getItem(entryKey(user, 'sig-1')))?.amount).toEqual({ N: '5' });

    const error = await cancellation(transact(credit(user, 'sig-1', 5)));
    expect(error.CancellationReasons?.map((reason) => reason.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    expect(error.CancellationReasons?.[1]?.Item).toBeUndefined();
    expect(await balanceOf(user)).toBe(8);
    expect(await ledgerCount(user)).toBe(1);
  });

  it('cancels everything when a ConditionCheck on a third item fails, and applies once it holds', async () => {
    const user = newUser();
    await putAccount(user, 0);
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...key(user, 'profile'), status: { S: 'frozen' } } }),
    );
    const items: TransactWriteItem[] = [
      ...credit(user, 'sig-2', 7),
      {
        ConditionCheck: {
          TableName: TABLE,
          Key: key(user, 'profile'),
          ConditionExpression: '#status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': { S: 'active' } },
        },
      },
    ];

    const error = await cancellation(transact(items));
    expect(error.CancellationReasons?.map((reason) => reason.Code)).toEqual(['None', 'None', 'ConditionalCheckFailed']);
    expect(await balanceOf(user)).toBe(0);
    expect(await ledgerCount(user)).toBe(0);

    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...key(user, 'profile'), status: { S: 'active' } } }),
    );
    await transact(items);
    expect(await balanceOf(user)).toBe(7);
    expect(await ledgerCount(user)).toBe(1);
    expect((await getItem(key(user, 'profile')))?.status).toEqual({ S: 'active' });
  });

  it('applies a Delete and reports every failing action, each with its own reason', async () => {
    const user = newUser();
    await putAccount(user, 1);
    await client.send(new PutItemCommand({ TableName: TABLE, Item: key(user, 'old') }));

    const error = await cancellation(
      transact([
        { Delete: { TableName: TABLE, Key: key(user, 'old') } },
        { Delete: { TableName: TABLE, Key: key(user, 'missing'), ConditionExpression: 'attribute_exists(pk)' } },
        ...debit(user, 'd-1').slice(1),
        {
          Update: {
            TableName: TABLE,
            Key: key(user, 'other'),
            UpdateExpression: 'SET n = :n',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':n': { N: '1' } },
          },
        },
      ]),
    );
    expect(error.CancellationReasons?.map((reason) => reason.Code)).toEqual([
      'None',
      'ConditionalCheckFailed',
      'None',
      'ConditionalCheckFailed',
    ]);
    expect(await getItem(key(user, 'old'))).toBeDefined();

    await transact([
      { Delete: { TableName: TABLE, Key: key(user, 'old'), ConditionExpression: 'attribute_exists(pk)' } },
    ]);
    expect(await getItem(key(user, 'old'))).toBeUndefined();
  });

  it('cancels with ValidationError when an update does not fit the current item, applying nothing', async () => {
    const user = newUser();
    await putAccount(user, 0, { note: { S: 'text' } });

    const error = await cancellation(
      transact([
        ...credit(user, 'sig-3', 1).slice(1),
        {
          Update: {
            TableName: TABLE,
            Key: accountKey(user),
            UpdateExpression: 'ADD note :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
          },
        },
      ]),
    );
    expect(error.CancellationReasons).toEqual([
      { Code: 'None' },
      { Code: 'ValidationError', Message: 'An operand in the update expression has an incorrect data type' },
    ]);
    expect(await ledgerCount(user)).toBe(0);
  });

  it('rejects the whole request with ValidationException when an expression is malformed', async () => {
    const user = newUser();
    const request = transact([
      ...credit(user, 'sig-4', 1).slice(1),
      { Update: { TableName: TABLE, Key: accountKey(user), UpdateExpression: 'SET' } },
    ]);
    await expect(request).rejects.toMatchObject({ name: 'ValidationException' });
    expect(await ledgerCount(user)).toBe(0);
  });

  it('cancels with ValidationError, as DynamoDB does, when a Put names its item with a key of the wrong type', async () => {
    const user = newUser();
    const error = await cancellation(
      transact([
        { Put: { TableName: TABLE, Item: key(user, 'fine') } },
        { Put: { TableName: TABLE, Item: { pk: { N: '1' }, sk: { S: 'x' } } } },
      ]),
    );
    expect(error.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]',
    );
    expect(error.CancellationReasons).toEqual([
      { Code: 'None' },
      {
        Code: 'ValidationError',
        Message: 'One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N',
      },
    ]);
    expect(await getItem(key(user, 'fine'))).toBeUndefined();
  });

  it('cancels with ValidationError when an Update, a Delete or a ConditionCheck names a key of the wrong type', async () => {
    const user = newUser();
    await putAccount(user, 5);
    const badKey = { pk: { S: user }, sk: { N: '7' } };
    const error = await cancellation(
      transact([
        {
          Update: {
            TableName: TABLE,
            Key: badKey,
            UpdateExpression: 'SET n = :n',
            ExpressionAttributeValues: { ':n': { N: '1' } },
          },
        },
        { Delete: { TableName: TABLE, Key: accountKey(user) } },
        {
          ConditionCheck: {
            TableName: TABLE,
            Key: { pk: { B: new Uint8Array([1]) }, sk: { S: 'x' } },
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
      ]),
    );
    expect(error.CancellationReasons).toEqual([
      { Code: 'ValidationError', Message: 'The provided key element does not match the schema' },
      { Code: 'None' },
      { Code: 'ValidationError', Message: 'The provided key element does not match the schema' },
    ]);
    expect(await balanceOf(user)).toBe(5);
  });

  it('rejects the whole request with ValidationException for a ConditionCheck without a condition', async () => {
    const user = newUser();
    const noCondition = { ConditionCheck: { TableName: TABLE, Key: accountKey(user) } } as TransactWriteItem;
    await expect(transact([noCondition])).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("'transactItems.1.member.conditionCheck.conditionExpression'"),
    });
  });

  it('rejects two actions on one item with ValidationException', async () => {
    const user = newUser();
    await putAccount(user, 0);
    const request = transact([
      { Put: { TableName: TABLE, Item: { ...accountKey(user), balance: { N: '100' } } } },
      ...credit(user, 'sig-5', 1).slice(0, 1),
    ]);
    await expect(request).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Transaction request cannot include multiple operations on one item',
    });
    expect(await balanceOf(user)).toBe(0);
  });

  it('rejects an empty request, more than 100 actions and an action with two operations', async () => {
    const user = newUser();
    await expect(transact([])).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Member must have length greater than or equal to 1'),
    });
    const many = Array.from({ length: 101 }, (_, i) => ({ Put: { TableName: TABLE, Item: key(user, `n${i}`) } }));
    await expect(transact(many)).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Member must have length less than or equal to 100'),
    });
    const both = { Put: { TableName: TABLE, Item: key(user, 'x') }, Delete: { TableName: TABLE, Key: key(user, 'y') } };
    await expect(transact([both])).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'TransactItems can only contain one of Check, Put, Update or Delete',
    });
    expect(await getItem(key(user, 'n0'))).toBeUndefined();
  });

  it('accepts exactly 100 actions', async () => {
    const user = newUser();
    const hundred = Array.from({ length: 100 }, (_, i) => ({ Put: { TableName: TABLE, Item: key(user, `n${i}`) } }));
    await transact(hundred);
    const { Count } = await client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: user } },
      }),
    );
    expect(Count).toBe(100);
  });

  it('fails with ResourceNotFoundException for a missing table', async () => {
    await expect(transact([{ Put: { TableName: 'no-such-table', Item: key(newUser(), 'a') } }])).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('answers a repeated ClientRequestToken without applying again, and refuses it with other parameters', async () => {
    const user = newUser();
    await putAccount(user, 0);
    const token = `token-${user}`;

    await transact(credit(user, 'sig-6', 5), token);
    await transact(credit(user, 'sig-6', 5), token);
    expect(await balanceOf(user)).toBe(5);
    expect(await ledgerCount(user)).toBe(1);

    await expect(transact(credit(user, 'sig-6', 6), token)).rejects.toBeInstanceOf(
      IdempotentParameterMismatchException,
    );
    expect(await balanceOf(user)).toBe(5);
  });

  it('runs a cancelled transaction again when retried with the same token', async () => {
    const user = newUser();
    const token = `token-${user}`;
    const items: TransactWriteItem[] = [
      { Put: { TableName: TABLE, Item: key(user, 'gated') } },
      { ConditionCheck: { TableName: TABLE, Key: accountKey(user), ConditionExpression: 'attribute_exists(pk)' } },
    ];
    await cancellation(transact(items, token));
    await putAccount(user, 0);
    await transact(items, token);
    expect(await getItem(key(user, 'gated'))).toBeDefined();
  });

  it('lets exactly ten of twenty concurrent debits through a balance of ten, never below zero', async () => {
    const user = newUser();
    await putAccount(user, 10);

    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => transact(debit(user, `d${i}`))));

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(10);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(TransactionCanceledException);
    }
    expect(await balanceOf(user)).toBe(0);
    expect(await ledgerCount(user)).toBe(10);
  });

  it('stays consistent with plain conditional UpdateItem writers running at the same time', async () => {
    const user = newUser();
    await putAccount(user, 20);
    const plainDebit = () =>
      client.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: accountKey(user),
          UpdateExpression: 'ADD balance :minus',
          ConditionExpression: 'balance >= :one',
          ExpressionAttributeValues: { ':minus': { N: '-1' }, ':one': { N: '1' } },
        }),
      );

    const writers = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? transact(debit(user, `d${i}`)) : plainDebit()));
    const results = await Promise.allSettled(writers);

    const transactions = results.filter((_, i) => i % 2 === 0);
    const plain = results.filter((_, i) => i % 2 === 1);
    for (const result of transactions) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(TransactionCanceledException);
    }
    for (const result of plain) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConditionalCheckFailedException);
    }
    const succeeded = (list: PromiseSettledResult<unknown>[]) => list.filter((r) => r.status === 'fulfilled').length;
    expect(succeeded(transactions) + succeeded(plain)).toBe(20);
    expect(await balanceOf(user)).toBe(0);
    expect(await ledgerCount(user)).toBe(succeeded(transactions));
  });

  it('returns the consumed write capacity, doubled, when asked', async () => {
    const user = newUser();
    const output = await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: TABLE, Item: key(user, 'a') } },
          { Put: { TableName: TABLE, Item: key(user, 'b') } },
        ],
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    expect(output.ConsumedCapacity).toEqual([{ TableName: TABLE, CapacityUnits: 4, WriteCapacityUnits: 4 }]);
  });

  it('creates no table the application can see', async () => {
    const { TableNames } = await client.send(new ListTablesCommand({}));
    expect(TableNames).toEqual([TABLE]);
  });
});

describe('withTransactions (TransactGetItems)', () => {
  it('reads several items in order, with projections, and an empty response for a missing item', async () => {
    const user = newUser();
    await putAccount(user, 4, { note: { S: 'n' } });
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...key(user, 'profile'), status: { S: 'active' } } }),
    );

    const { Responses } = await client.send(
      new TransactGetItemsCommand({
        TransactItems: [
          { Get: { TableName: TABLE, Key: accountKey(user), ProjectionExpression: 'balance' } },
          { Get: { TableName: TABLE, Key: key(user, 'missing') } },
          { Get: { TableName: TABLE, Key: key(user, 'profile') } },
        ],
      }),
    );

    expect(Responses).toEqual([
      { Item: { balance: { N: '4' } } },
      {},
      { Item: { ...key(user, 'profile'), status: { S: 'active' } } },
    ]);
  });

  it('rejects two reads of one item with ValidationException', async () => {
    const user = newUser();
    const get = { Get: { TableName: TABLE, Key: accountKey(user) } };
    await expect(client.send(new TransactGetItemsCommand({ TransactItems: [get, get] }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Transaction request cannot include multiple operations on one item',
    });
  });

  it('never sees half of a transaction that runs at the same time', async () => {
    const user = newUser();
    await putAccount(user, 0);
    const reads: Promise<number>[] = [];
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      writes.push(transact(credit(user, `r${i}`, 1)));
      reads.push(
        client
          .send(
            new TransactGetItemsCommand({
              TransactItems: [
                { Get: { TableName: TABLE, Key: accountKey(user) } },
                ...Array.from({ length: 10 }, (_, j) => ({ Get: { TableName: TABLE, Key: entryKey(user, `r${j}`) } })),
              ],
            }),
          )
          .then(({ Responses = [] }) => {
            const entries = Responses.slice(1).filter((response) => response.Item !== undefined).length;
            return Number(Responses[0]?.Item?.balance?.N) - entries;
          }),
      );
    }
    await Promise.all(writes);
    expect(await Promise.all(reads)).toEqual(Array.from({ length: 10 }, () => 0));
  });
});

describe('withTransactions across stop() and start()', () => {
  it('refuses transactions while stopped and serves them, and earlier client tokens, after start()', async () => {
    const user = newUser();
    await putAccount(user, 0);
    const token = `token-${user}`;
    await transact(credit(user, 'sig-7', 2), token);

    await db.stop();
    await expect(transact(credit(user, 'sig-8', 3))).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await db.start();
    await transact(credit(user, 'sig-7', 2), token);
    await transact(credit(user, 'sig-8', 3));
    expect(await balanceOf(user)).toBe(5);
    expect(await ledgerCount(user)).toBe(2);
  });

  it('never leaves a transaction half-applied when stopped in the middle of a burst', async () => {
    const user = newUser();
    await putAccount(user, 0);

    const burst = Array.from({ length: 30 }, (_, i) => transact(credit(user, `s${i}`, 1)));
    await Promise.any(burst); // the others are queued or running now
    await db.stop();
    await Promise.allSettled(burst);
    await db.start();

    const balance = await balanceOf(user);
    expect(balance).toBeGreaterThanOrEqual(1);
    expect(balance).toBeLessThan(30);
    expect(await ledgerCount(user)).toBe(balance);
  });
});

describe('TransactionTokens', () => {
  it('replays a remembered answer for the same request and forgets it after ten minutes', () => {
    let now = 1_000;
    const tokens = new TransactionTokens({ now: () => now });
    tokens.remember('t', 'request-a', { answer: 1 });

    expect(tokens.replay('t', 'request-a')).toEqual({ answer: 1 });
    expect(() => tokens.replay('t', 'request-b')).toThrow(/different payload/);

    now += CLIENT_TOKEN_TTL_MS - 1;
    expect(tokens.replay('t', 'request-a')).toEqual({ answer: 1 });
    now += 1;
    expect(tokens.replay('t', 'request-b')).toBeUndefined();
  });
});
