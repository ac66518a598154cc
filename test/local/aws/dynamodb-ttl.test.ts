import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_KEYS } from '../../../core/desk/settings.js';
import { localClientConfig } from '../../../local/aws/common.js';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../local/aws/dynamodb.js';
import { withTransactions } from '../../../local/aws/dynamodb-transactions.js';
import { sweepExpired, TimeToLiveSpecs, TTL_MAX_AGE_SECONDS } from '../../../local/aws/dynamodb-ttl.js';
import { listen, loopbackUrl } from '../../../local/ports.js';

const TABLE = 'ttl-table';
/** The emulator's clock: TTL compares with it, as AWS compares with the real time. */
let clock = Date.UTC(2030, 0, 1);
const nowSeconds = () => Math.floor(clock / 1000);
let dataDir: string;
let db: LocalDynamoDb;
let client: DynamoDBClient;
let run = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dynamodb-ttl-test-'));
  db = await startLocalDynamoDb({ dataDir, tableName: TABLE, ttlSweepMs: 0, now: () => clock });
  client = new DynamoDBClient({ ...localClientConfig(db.endpoint), maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await db?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const key = (pk: string, sk = 'item'): Record<string, AttributeValue> => ({ pk: { S: pk }, sk: { S: sk } });
const fresh = () => `t#${++run}`;

async function putItem(pk: string, extra: Record<string, AttributeValue>, tableName = TABLE): Promise<void> {
  await client.send(new PutItemCommand({ TableName: tableName, Item: { ...key(pk), ...extra } }));
}

async function exists(pk: string, tableName = TABLE): Promise<boolean> {
  const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: key(pk), ConsistentRead: true }));
  return Item !== undefined;
}

const expiresAt = (seconds: number): Record<string, AttributeValue> => ({ expiresAt: { N: String(seconds) } });

describe('TTL on the local DynamoDB', () => {
  it(`is turned on for ${TABLE_KEYS.ttlAttribute} by ensureTable, and again when a new process reopens the data`, async () => {
    expect(db.table.ttl).toBe('enabled');
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
    expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: TABLE_KEYS.ttlAttribute });

    const again = await startLocalDynamoDb({ dataDir: join(dataDir, 'again'), tableName: TABLE, ttlSweepMs: 0 });
    await again.stop();
    const reopened = await startLocalDynamoDb({ dataDir: join(dataDir, 'again'), tableName: TABLE, ttlSweepMs: 0 });
    try {
      expect(reopened.table).toEqual({ created: false, ttl: 'enabled' });
    } finally {
      await reopened.stop();
    }
  });

  it('deletes only the items whose TTL is a Number of seconds in the past, at most five years back', async () => {
    const now = nowSeconds();
    const cases: [string, Record<string, AttributeValue>, boolean][] = [
      ['a second ago', expiresAt(now - 1), true],
      ['four years ago', expiresAt(now - 4 * 365 * 86_400), true],
      ['now (not below now)', expiresAt(now), false],
      ['in an hour', expiresAt(now + 3600), false],
      ['more than five years ago', expiresAt(now - TTL_MAX_AGE_SECONDS - 1), false],
      ['as a string', { expiresAt: { S: String(now - 1) } }, false],
      ['in milliseconds (far in the future)', expiresAt(clock - 1000), false],
      ['absent', { other: { N: String(now - 1) } }, false],
    ];
    const ids = cases.map(() => fresh());
    for (const [index, [, item]] of cases.entries()) await putItem(ids[index]!, item);

    const deleted = await db.sweepExpired();

    const gone = await Promise.all(ids.map(async (id) => !(await exists(id))));
    expect(Object.fromEntries(cases.map(([name], index) => [name, gone[index]]))).toEqual(
      Object.fromEntries(cases.map(([name, , expired]) => [name, expired])),
    );
    expect(deleted).toBe(2);
  });

  it('keeps an expired item readable until a sweep runs, as AWS does', async () => {
    const id = fresh();
    await putItem(id, expiresAt(nowSeconds() - 10));
    expect(await exists(id)).toBe(true);
    clock += 60_000;
    expect(await exists(id)).toBe(true);
    await db.sweepExpired();
    expect(await exists(id)).toBe(false);
  });

  it('sweeps in the background every ttlSweepMs', async () => {
    const background = await startLocalDynamoDb({
      dataDir: join(dataDir, 'background'),
      tableName: TABLE,
      ttlSweepMs: 50,
      now: () => clock,
    });
    const other = new DynamoDBClient({ ...localClientConfig(background.endpoint), maxAttempts: 1 });
    try {
      await other.send(
        new PutItemCommand({ TableName: TABLE, Item: { ...key('bg'), ...expiresAt(nowSeconds() - 1) } }),
      );
      const deadline = Date.now() + 5_000;
      let found = true;
      while (found && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        found = (await other.send(new GetItemCommand({ TableName: TABLE, Key: key('bg') }))).Item !== undefined;
      }
      expect(found).toBe(false);
    } finally {
      other.destroy();
      await background.stop();
    }
  });

  it('stops deleting once TTL is turned off, and refuses to turn it off twice', async () => {
    const table = `${TABLE}-off`;
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    const spec = (Enabled: boolean) =>
      new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: 'gone', Enabled } });
    expect((await client.send(spec(true))).TimeToLiveSpecification).toEqual({ AttributeName: 'gone', Enabled: true });
    await expect(client.send(spec(true))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'TimeToLive is already enabled',
    });
    await putItem('a', { gone: { N: String(nowSeconds() - 1) } }, table);
    await db.sweepExpired();
    expect(await exists('a', table)).toBe(false);

    await client.send(spec(false));
    expect((await client.send(new DescribeTimeToLiveCommand({ TableName: table }))).TimeToLiveDescription).toEqual({
      TimeToLiveStatus: 'DISABLED',
    });
    await expect(client.send(spec(false))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'TimeToLive is already disabled',
    });
    await putItem('b', { gone: { N: String(nowSeconds() - 1) } }, table);
    await db.sweepExpired();
    expect(await exists('b', table)).toBe(true);

    await client.send(spec(true));
    await client.send(new DeleteTableCommand({ TableName: table }));
    await db.sweepExpired();
  });

  it('answers UpdateTimeToLive and DescribeTimeToLive for an unknown table or a missing field as DynamoDB does', async () => {
    await expect(
      client.send(
        new UpdateTimeToLiveCommand({
          TableName: 'no-such-table',
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(client.send(new DescribeTimeToLiveCommand({ TableName: 'no-such-table' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(
      client.send(new UpdateTimeToLiveCommand({ TableName: TABLE, TimeToLiveSpecification: undefined as never })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('timeToLiveSpecification'),
    });
    await expect(
      client.send(
        new UpdateTimeToLiveCommand({
          TableName: TABLE,
          TimeToLiveSpecification: { AttributeName: '', Enabled: false },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('attributeName') });
  });

  it('rejects a sweep while stopped, and a negative sweep interval', async () => {
    await db.stop();
    try {
      await expect(db.sweepExpired()).rejects.toThrow('stopped');
    } finally {
      await db.start();
    }
    await expect(
      startLocalDynamoDb({ dataDir: join(dataDir, 'negative'), tableName: TABLE, ttlSweepMs: -1 }),
    ).rejects.toThrow(RangeError);
  });
});

describe('sweepExpired', () => {
  const specs = new TimeToLiveSpecs();
  const server = withTransactions(dynalite({ createTableMs: 0 }), { timeToLive: specs });
  let direct: DynamoDBClient;

  beforeAll(async () => {
    direct = new DynamoDBClient({ ...localClientConfig(loopbackUrl(await listen(server.server))), maxAttempts: 1 });
    await direct.send(
      new CreateTableCommand({
        TableName: 'sweep',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    await direct.send(
      new UpdateTimeToLiveCommand({
        TableName: 'sweep',
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      }),
    );
  });
  afterAll(async () => {
    direct?.destroy();
    await server.close();
  });

  it('does not delete an item whose TTL was extended after the sweep read it', async () => {
    const now = 2_000_000_000;
    for (const id of ['extended', 'expired']) {
      await direct.send(
        new PutItemCommand({ TableName: 'sweep', Item: { id: { S: id }, ttl: { N: String(now - 5) } } }),
      );
    }
    // The writer extends `extended` between the sweep's Scan and its DeleteItem.
    const racing = async (operation: string, input: Record<string, unknown>) => {
      if (operation === 'DeleteItem' && (input.Key as { id: { S: string } }).id.S === 'extended') {
        await direct.send(
          new PutItemCommand({ TableName: 'sweep', Item: { id: { S: 'extended' }, ttl: { N: String(now + 3600) } } }),
        );
      }
      return server.call(operation, input);
    };
    expect(await sweepExpired(racing, specs, now * 1000)).toBe(1);
    const left = async (id: string) =>
      (await direct.send(new GetItemCommand({ TableName: 'sweep', Key: { id: { S: id } } }))).Item?.ttl;
    expect(await left('extended')).toEqual({ N: String(now + 3600) });
    expect(await left('expired')).toBeUndefined();
  });

  it('reads every page of a large table', async () => {
    const now = 2_000_000_000;
    const padding = 'x'.repeat(20_000);
    for (let i = 0; i < 80; i++) {
      await direct.send(
        new PutItemCommand({
          TableName: 'sweep',
          Item: { id: { S: `big${i}` }, ttl: { N: String(now - 1) }, padding: { S: padding } },
        }),
      );
    }
    expect(await sweepExpired((op, input) => server.call(op, input), specs, now * 1000)).toBe(80);
  });

  it('fails loudly when a call fails, instead of reporting a clean sweep', async () => {
    const failing = async (operation: string, input: Record<string, unknown>) =>
      operation === 'Scan'
        ? { status: 500, body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'boom' } }
        : server.call(operation, input);
    await expect(sweepExpired(failing, specs, Date.now())).rejects.toThrow('Scan sweep: InternalServerError: boom');
  });
});
