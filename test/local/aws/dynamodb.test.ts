import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TABLE_KEYS } from '../../../core/desk/settings.js';
import { localClientConfig } from '../../../local/aws/common.js';
import { ensureTable, type LocalDynamoDb, startLocalDynamoDb } from '../../../local/aws/dynamodb.js';
import { listen, loopbackUrl } from '../../../local/ports.js';

let dataDir: string;
const running: LocalDynamoDb[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dynamodb-test-'));
});
afterEach(async () => {
  for (const db of running.splice(0)) await db.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function start(tableName = 'test-table'): Promise<LocalDynamoDb> {
  const db = await startLocalDynamoDb({ dataDir, tableName });
  running.push(db);
  return db;
}

/** A client that fails fast instead of retrying, to observe an outage. */
const clientFor = (db: LocalDynamoDb): DynamoDBClient =>
  new DynamoDBClient({ ...localClientConfig(db.endpoint), maxAttempts: 1 });

const key = { [TABLE_KEYS.partitionKey]: { S: 'chat#42' }, [TABLE_KEYS.sortKey]: { S: 'session' } };

describe('startLocalDynamoDb', () => {
  it('creates the table from TABLE_KEYS with on-demand billing when it does not exist', async () => {
    const db = await start();
    const { Table } = await clientFor(db).send(new DescribeTableCommand({ TableName: 'test-table' }));

    expect(db.table.created).toBe(true);
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ]);
    expect(Table?.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      ]),
    );
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('turns TTL on, which plain dynalite does not implement (ensureTable then says unsupported)', async () => {
    const db = await start();
    expect(db.table.ttl).toBe('enabled');

    const plain = dynalite({ createTableMs: 0 });
    const client = new DynamoDBClient({ ...localClientConfig(loopbackUrl(await listen(plain))), maxAttempts: 1 });
    try {
      expect(await ensureTable(client, 'plain-table')).toEqual({ created: true, ttl: 'unsupported' });
    } finally {
      client.destroy();
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('refuses connections after stop() and serves the same data on the same port after start()', async () => {
    const db = await start();
    const client = clientFor(db);
    await client.send(new PutItemCommand({ TableName: 'test-table', Item: { ...key, version: { N: '1' } } }));

    await db.stop();
    expect(db.running).toBe(false);
    await expect(client.send(new GetItemCommand({ TableName: 'test-table', Key: key }))).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });

    const endpoint = db.endpoint;
    await db.start();
    const { Item } = await client.send(new GetItemCommand({ TableName: 'test-table', Key: key }));
    expect(db.endpoint).toBe(endpoint);
    expect(Item?.version).toEqual({ N: '1' });
  });

  it('keeps the table and its items when a new instance opens the same dataDir', async () => {
    const first = await start();
    await clientFor(first).send(new PutItemCommand({ TableName: 'test-table', Item: { ...key, n: { N: '7' } } }));
    await first.stop();

    const second = await start();
    const { Item } = await clientFor(second).send(new GetItemCommand({ TableName: 'test-table', Key: key }));
    expect(second.table.created).toBe(false);
    expect(Item?.n).toEqual({ N: '7' });
  });
});
