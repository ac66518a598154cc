import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GenerateDataKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws/common.js';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../local/aws/dynamodb.js';
import {
  dynamoItemBytes,
  type Meter,
  type MeterRecord,
  meterTotals,
  readUnitsFor,
  sqsBilledRequests,
  startMeter,
  writeUnitsFor,
} from '../../../local/aws/meter.js';
import { type LocalSqsServer, startSqsServer } from '../../../local/aws/sqs.js';
import { type LocalStack, startLocalStack } from '../../../local/index.js';
import { type KmsEmulator, startKmsEmulator } from '../../../local/kms/index.js';

const TABLE = 'meter-table';
const CALLER = 'meter-test';

let dataDir: string;
let dynamodb: LocalDynamoDb;
let sqsServer: LocalSqsServer;
let kms: KmsEmulator;
let meter: Meter;
let ddb: DynamoDBClient;
let sqs: SQSClient;
let kmsClient: KMSClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'meter-test-'));
  [dynamodb, sqsServer, kms] = await Promise.all([
    startLocalDynamoDb({ dataDir, tableName: TABLE }),
    startSqsServer(),
    startKmsEmulator({ dataDir }),
  ]);
  meter = await startMeter({ dynamodb: dynamodb.endpoint, sqs: sqsServer.endpoint, kms: kms.endpoint });
  const client = (endpoint: string) => ({ ...localClientConfig(endpoint), maxAttempts: 1, userAgentAppId: CALLER });
  ddb = new DynamoDBClient(client(meter.endpoints.dynamodb));
  sqs = new SQSClient(client(meter.endpoints.sqs));
  kmsClient = new KMSClient(client(meter.endpoints.kms));
});
afterAll(async () => {
  for (const c of [ddb, sqs, kmsClient]) c?.destroy();
  await meter?.stop();
  await Promise.all([dynamodb?.stop(), sqsServer?.stop(), kms?.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `call` and returns the one record the meter made of it. */
async function recordOf<T>(call: () => Promise<T>): Promise<{ output: T; record: MeterRecord }> {
  const mark = meter.mark();
  const output = await call();
  const records = meter.since(mark);
  expect(records).toHaveLength(1);
  return { output, record: records[0]! };
}

/** An item of exactly `bytes` billed bytes (names and string values). */
function item(pk: string, sk: string, bytes: number) {
  const base = { pk: { S: pk }, sk: { S: sk }, data: { S: '' } };
  const fill = bytes - dynamoItemBytes(base);
  return { ...base, data: { S: 'x'.repeat(fill) } };
}

const put = (it: ReturnType<typeof item>, extra: object = {}) =>
  ddb.send(new PutItemCommand({ TableName: TABLE, Item: it, ...extra }));
const key = (pk: string, sk: string) => ({ pk: { S: pk }, sk: { S: sk } });

describe('the unit math', () => {
  it('bills reads per 4 KB, halved when eventually consistent and doubled in transactions', () => {
    expect(readUnitsFor(1)).toBe(0.5);
    expect(readUnitsFor(4096, { consistent: true })).toBe(1);
    expect(readUnitsFor(4097, { consistent: true })).toBe(2);
    expect(readUnitsFor(4097, { transactional: true })).toBe(4);
    expect(readUnitsFor(0, { consistent: true })).toBe(1);
  });

  it('bills writes per KB with a minimum of one, doubled in transactions', () => {
    expect(writeUnitsFor(0)).toBe(1);
    expect(writeUnitsFor(1024)).toBe(1);
    expect(writeUnitsFor(1025)).toBe(2);
    expect(writeUnitsFor(1025, { transactional: true })).toBe(4);
  });

  it('bills SQS payloads per started 64 KB chunk', () => {
    expect(sqsBilledRequests(0)).toBe(1);
    expect(sqsBilledRequests(65_536)).toBe(1);
    expect(sqsBilledRequests(65_537)).toBe(2);
    expect(sqsBilledRequests(256 * 1024)).toBe(4);
  });

  it('sizes items by attribute names and values', () => {
    expect(dynamoItemBytes({ pk: { S: 'abc' }, ok: { BOOL: true }, n: { N: '12345' } })).toBe(2 + 3 + 2 + 1 + 1 + 4);
    expect(dynamoItemBytes({ l: { L: [{ S: 'ab' }, { NULL: true }] } })).toBe(1 + 3 + (1 + 2) + (1 + 1));
    expect(dynamoItemBytes({ b: { B: Buffer.alloc(10).toString('base64') } })).toBe(11);
  });

  it('leaves idle long polls out of the totals and adds up the rest by operation and caller', () => {
    const base = {
      service: 'sqs',
      caller: 'x',
      status: 200,
      readUnits: 0,
      writeUnits: 0,
      requestBytes: 1,
      responseBytes: 1,
    } as const;
    const totals = meterTotals([
      { ...base, operation: 'ReceiveMessage', billedRequests: 1, empty: true },
      { ...base, operation: 'ReceiveMessage', billedRequests: 2, empty: false },
      { ...base, operation: 'ReceiveMessage', billedRequests: 1, empty: false },
    ]);
    expect(totals).toEqual([
      {
        service: 'sqs',
        operation: 'ReceiveMessage',
        caller: 'x',
        calls: 2,
        billedRequests: 3,
        readUnits: 0,
        writeUnits: 0,
      },
    ]);
  });
});

describe('the DynamoDB meter (dynalite behind it)', () => {
  it('records the operation, the caller and the emulator’s write and read units', async () => {
    const small = item('a', '1', 1_500);
    const { record: written } = await recordOf(() => put(small));
    expect(written).toMatchObject({
      service: 'dynamodb',
      operation: 'PutItem',
      caller: CALLER,
      status: 200,
      writeUnits: writeUnitsFor(1_500),
      readUnits: 0,
      capacity: 'emulator',
    });
    expect(written.writeUnits).toBe(2);

    const consistent = await recordOf(() =>
      ddb.send(new GetItemCommand({ TableName: TABLE, Key: key('a', '1'), ConsistentRead: true })),
    );
    expect(consistent.record.readUnits).toBe(1);
    const eventual = await recordOf(() => ddb.send(new GetItemCommand({ TableName: TABLE, Key: key('a', '1') })));
    expect(eventual.record.readUnits).toBe(0.5);
    const absent = await recordOf(() => ddb.send(new GetItemCommand({ TableName: TABLE, Key: key('a', 'nope') })));
    expect(absent.record.readUnits).toBe(0.5);

    await put(item('a', '2', 5_000));
    const big = await recordOf(() =>
      ddb.send(new GetItemCommand({ TableName: TABLE, Key: key('a', '2'), ConsistentRead: true })),
    );
    expect(big.record.readUnits).toBe(readUnitsFor(5_000, { consistent: true }));
    expect(big.record.readUnits).toBe(2);
  });

  it('bills an update on the larger of the item before and after', async () => {
    await put(item('u', '1', 5_000));
    const { record } = await recordOf(() =>
      ddb.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: key('u', '1'),
          UpdateExpression: 'SET #d = :d',
          ExpressionAttributeNames: { '#d': 'data' },
          ExpressionAttributeValues: { ':d': { S: 'short' } },
        }),
      ),
    );
    expect(record.writeUnits).toBe(5);
  });

  it('hides ConsumedCapacity from a caller that did not ask for it, and passes it to one that did', async () => {
    const plain = await recordOf(() => put(item('c', '1', 100)));
    expect(plain.output.ConsumedCapacity).toBeUndefined();
    const asked = await recordOf(() => put(item('c', '1', 100), { ReturnConsumedCapacity: 'TOTAL' }));
    expect(asked.output.ConsumedCapacity?.CapacityUnits).toBe(1);
    expect(asked.record.writeUnits).toBe(1);
  });

  it('estimates a write refused by its condition on the existing item’s size', async () => {
    await put(item('f', '1', 3_000));
    const mark = meter.mark();
    await expect(put(item('f', '1', 100), { ConditionExpression: 'attribute_not_exists(pk)' })).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    const [record] = meter.since(mark);
    expect(record).toMatchObject({ operation: 'PutItem', status: 400, writeUnits: 3, capacity: 'estimate' });
  });

  it('bills a query on the sum of the items read, and an empty one at the minimum', async () => {
    await put(item('q', '1', 1_500));
    await put(item('q', '2', 5_000));
    const query = (pk: string, consistent: boolean) =>
      ddb.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk } },
          ConsistentRead: consistent,
        }),
      );
    expect((await recordOf(() => query('q', true))).record.readUnits).toBe(readUnitsFor(6_500, { consistent: true }));
    expect((await recordOf(() => query('q', false))).record.readUnits).toBe(1);
    const empty = await recordOf(() => query('nothing-here', false));
    expect(empty.record).toMatchObject({ readUnits: 0.5, capacity: 'estimate' });
  });

  it('bills batches per item', async () => {
    const items = [item('b', '1', 1_500), item('b', '2', 1_500), item('b', '3', 500)];
    const { record: written } = await recordOf(() =>
      ddb.send(
        new BatchWriteItemCommand({ RequestItems: { [TABLE]: items.map((Item) => ({ PutRequest: { Item } })) } }),
      ),
    );
    expect(written.writeUnits).toBe(2 + 2 + 1);
    await put(item('b', '4', 5_000));
    const { record: read } = await recordOf(() =>
      ddb.send(
        new BatchGetItemCommand({
          RequestItems: { [TABLE]: { Keys: [key('b', '1'), key('b', '4')], ConsistentRead: true } },
        }),
      ),
    );
    expect(read.readUnits).toBe(1 + 2);
  });

  it('doubles transactional writes, counts a ConditionCheck, and estimates a cancelled transaction', async () => {
    await put(item('t', 'guard', 100));
    const { record } = await recordOf(() =>
      ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: item('t', '1', 1_500) } },
            {
              ConditionCheck: { TableName: TABLE, Key: key('t', 'guard'), ConditionExpression: 'attribute_exists(pk)' },
            },
          ],
        }),
      ),
    );
    expect(record).toMatchObject({ operation: 'TransactWriteItems', writeUnits: 2 * 2 + 2, capacity: 'estimate' });

    const mark = meter.mark();
    await expect(
      ddb.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: item('t', '1', 1_500), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    expect(meter.since(mark)[0]).toMatchObject({ writeUnits: 4, capacity: 'estimate' });
  });

  it('drops the connection, and records nothing, while the emulator is away', async () => {
    await dynamodb.stop();
    try {
      const mark = meter.mark();
      const error = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: key('a', '1') })).then(
        () => undefined,
        (e: unknown) => e as { $metadata?: { httpStatusCode?: number } },
      );
      expect(error).toBeDefined();
      expect(error?.$metadata?.httpStatusCode).toBeUndefined();
      expect(meter.since(mark)).toEqual([]);
    } finally {
      await dynamodb.start();
    }
  });
});

describe('the SQS meter (fauxqs behind it)', () => {
  it('hands out queue URLs on its own origin and bills each 64 KB chunk of a payload', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'metered' }));
    expect(QueueUrl?.startsWith(meter.endpoints.sqs)).toBe(true);
    expect(meter.meteredQueueUrl(QueueUrl!.replace(meter.endpoints.sqs, sqsServer.endpoint))).toBe(QueueUrl);

    const big = 'y'.repeat(100 * 1024);
    const sent = await recordOf(() => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: big })));
    expect(sent.record).toMatchObject({
      operation: 'SendMessage',
      caller: CALLER,
      queue: 'metered',
      billedRequests: 2,
    });
    const batch = await recordOf(() =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: 'z'.repeat(1_000) })),
        }),
      ),
    );
    expect(batch.record.billedRequests).toBe(1);

    const received = await recordOf(() =>
      sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 })),
    );
    const messages = received.output.Messages ?? [];
    expect(messages.length).toBeGreaterThan(0);
    const payload = messages.reduce((sum, m) => sum + Buffer.byteLength(m.Body ?? ''), 0);
    expect(received.record).toMatchObject({ empty: false, billedRequests: sqsBilledRequests(payload) });
    // Bodies come back whole through the proxy.
    for (const m of messages) expect([big, 'z'.repeat(1_000)]).toContain(m.Body);

    const deleted = await recordOf(() =>
      sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      ),
    );
    expect(deleted.output.Successful).toHaveLength(messages.length);
    expect(deleted.record).toMatchObject({ operation: 'DeleteMessageBatch', billedRequests: 1 });
  });

  it('marks a receive that found nothing as empty, and names FIFO queues', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'metered.fifo', Attributes: { FifoQueue: 'true' } }),
    );
    const { record } = await recordOf(() => sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 })));
    expect(record).toMatchObject({ queue: 'metered.fifo', empty: true, billedRequests: 1 });
  });
});

describe('the KMS meter (the KMS emulator behind it)', () => {
  it('records each request with the key it named', async () => {
    const symmetric = await kms.ensureKey('alias/meter-data', 'SYMMETRIC_DEFAULT');
    const signing = await kms.ensureKey('alias/meter-sign', 'ECC_NIST_EDWARDS25519');
    const dataKey = await recordOf(() =>
      kmsClient.send(new GenerateDataKeyCommand({ KeyId: symmetric, KeySpec: 'AES_256' })),
    );
    expect(dataKey.record).toMatchObject({
      service: 'kms',
      operation: 'GenerateDataKey',
      keyId: symmetric,
      billedRequests: 1,
    });
    const signed = await recordOf(() =>
      kmsClient.send(
        new SignCommand({
          KeyId: signing,
          Message: new Uint8Array(32),
          MessageType: 'RAW',
          SigningAlgorithm: 'ED25519_SHA_512',
        }),
      ),
    );
    expect(signed.record).toMatchObject({ operation: 'Sign', keyId: signing, caller: CALLER });
  });
});

describe('startLocalStack({ meter: true })', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ meter: true, onFunctionLog: () => undefined });
  }, 90_000);
  afterAll(() => stack?.stop());

  it('meters every function’s AWS requests, named by function, while the bot works as usual', async () => {
    const user = stack.telegram.user(4_242, { first_name: 'Metered' });
    await user.sendText('/start');
    await stack.telegram.waitFor(() => user.botMessages().length > 0 || undefined, 20_000);
    const records = stack.meter!.records();
    const webhook = records.filter((r) => r.caller === 'webhook');
    expect(webhook.map((r) => r.operation)).toEqual(expect.arrayContaining(['GetItem', 'PutItem', 'SendMessageBatch']));
    expect(webhook.filter((r) => r.service === 'dynamodb').every((r) => r.capacity === 'emulator')).toBe(true);
    expect(webhook.find((r) => r.operation === 'PutItem')!.writeUnits).toBeGreaterThanOrEqual(1);
    // The jobs reached their queues through the proxy and the pollers took them from there.
    await stack.telegram.waitFor(
      () =>
        records.some((r) => r.caller === 'local' && r.operation === 'ReceiveMessage' && r.empty === false) || undefined,
      20_000,
    );
    expect(stack.runner!.stats().functions.webhook!.durationMs).toBeGreaterThan(0);
  });

  it('leaves the schedule to watchPoll(), which sends through the meter', async () => {
    const mark = stack.meter!.mark();
    await stack.watchPoll();
    expect(stack.meter!.since(mark).some((r) => r.caller === 'local' && r.operation === 'SendMessage')).toBe(true);
  });
});
