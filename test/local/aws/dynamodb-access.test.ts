import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws/common.js';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../../local/aws/dynamodb.js';
import { accessKeyIdOf, functionAccessKeyId } from '../../../local/aws/dynamodb-access.js';
import { FUNCTIONS } from '../../../stacks/manifest.js';
import { rejection } from '../../helpers/rejection.js';

const TABLE = 'access-table';
let dataDir: string;
let db: LocalDynamoDb;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dynamodb-access-test-'));
  db = await startLocalDynamoDb({
    dataDir,
    tableName: TABLE,
    access: Object.fromEntries(Object.entries(FUNCTIONS).map(([name, wiring]) => [name, wiring.table])),
  });
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await db.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** A client signing as function `name` (as the local runtime's functions do), or as the local admin. */
function as(name?: string): DynamoDBClient {
  const config = localClientConfig(db.endpoint);
  const client = new DynamoDBClient({
    ...config,
    maxAttempts: 1,
    ...(name === undefined ? {} : { credentials: { ...config.credentials, accessKeyId: functionAccessKeyId(name) } }),
  });
  clients.push(client);
  return client;
}

/** A tenant's items are under its prefix (`t<botId>/`): the grants name them under any tenant's prefix. */
const TENANT = 't42/';
const key = (pk: string, sk = 'item'): Record<string, AttributeValue> => ({
  pk: { S: `${TENANT}${pk}` },
  sk: { S: sk },
});
const put = (pk: string) => new PutItemCommand({ TableName: TABLE, Item: { ...key(pk), v: { N: '1' } } });
const get = (pk: string) => new GetItemCommand({ TableName: TABLE, Key: key(pk), ConsistentRead: true });

async function denied(promise: Promise<unknown>): Promise<DynamoDBServiceException> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(DynamoDBServiceException);
  const refused = error as DynamoDBServiceException;
  expect(refused.name).toBe('AccessDeniedException');
  expect(refused.$metadata.httpStatusCode).toBe(400);
  return refused;
}

const exists = async (pk: string) => (await as().send(get(pk))).Item !== undefined;

describe('Local DynamoDB access control', () => {
  it("lets a function write and read the items of its grant, a tenant's only under a tenant's prefix", async () => {
    await as('aiWorker').send(put('ai#7'));
    expect((await as('aiWorker').send(get('ai#7'))).Item?.v).toEqual({ N: '1' });
    // The same kind of item outside any tenant's keys is not granted.
    const bare = { pk: { S: 'ai#7' }, sk: { S: 'item' } };
    await denied(as('aiWorker').send(new PutItemCommand({ TableName: TABLE, Item: bare })));
    await denied(as('aiWorker').send(new GetItemCommand({ TableName: TABLE, Key: bare })));
  });

  it('refuses the ai worker a payout, a balance or a ledger entry, as AWS would, and writes nothing', async () => {
    for (const pk of ['payout#abcdefghabcdefgh', 'balance#7', 'ledger#7']) {
      const refused = await denied(as('aiWorker').send(put(pk)));
      expect(refused.message).toContain('dynamodb:PutItem');
      expect(refused.message).toContain(`'${TENANT}${pk.split('#')[0]}#'`);
      expect(await exists(pk)).toBe(false);
    }
    await denied(
      as('aiWorker').send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: key('balance#7'),
          UpdateExpression: 'ADD lamports :n',
          ExpressionAttributeValues: { ':n': { N: '1000000000' } },
        }),
      ),
    );
  });

  it('refuses a whole transaction when one of its items is outside the grant', async () => {
    const transaction = new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: TABLE, Item: { ...key('payout#aaaaaaaaaaaaaaaa', 'payout'), v: { N: '1' } } } },
        { Put: { TableName: TABLE, Item: { ...key('secrets#7'), v: { N: '1' } } } },
      ],
    });
    await denied(as('signer').send(transaction));
    expect(await exists('payout#aaaaaaaaaaaaaaaa')).toBe(false);
    // The same transaction without the foreign item goes through.
    await as('signer').send(
      new TransactWriteItemsCommand({ TransactItems: transaction.input.TransactItems!.slice(0, 1) }),
    );
  });

  it('checks each item of a transaction against the action it performs there', async () => {
    // The signer may check (read) a deposit but the ai worker may not even check a balance.
    await denied(
      as('aiWorker').send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: { ...key('ai#8'), v: { N: '1' } } } },
            {
              ConditionCheck: {
                TableName: TABLE,
                Key: key('balance#8'),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      ),
    );
    await denied(
      as('aiWorker').send(
        new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: TABLE, Key: key('payout#x') } }] }),
      ),
    );
  });

  it('separates reading from writing: the notify worker writes username items but cannot read them', async () => {
    await as('notifyWorker').send(put('username#alice'));
    await denied(as('notifyWorker').send(get('username#alice')));
    expect(await exists('username#alice')).toBe(true);
  });

  it('authorizes a query by the partition key it names', async () => {
    const query = (pk: string) =>
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ExpressionAttributeValues: { ':pk': { S: `${TENANT}${pk}` } },
      });
    await as('vaultWorker').send(query('secrets#7'));
    await denied(as('vaultWorker').send(query('session#7')));
    await denied(
      as('vaultWorker').send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: ':pk = pk',
          ExpressionAttributeValues: { ':pk': { S: `${TENANT}wallets#7` } },
        }),
      ),
    );
  });

  it('refuses a batch with one key outside the grant', async () => {
    await denied(
      as('webhook').send(
        new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: [key('session#1'), key('balance#1')] } } }),
      ),
    );
    await denied(
      as('webhook').send(
        new BatchWriteItemCommand({
          RequestItems: {
            [TABLE]: [{ PutRequest: { Item: key('session#1') } }, { DeleteRequest: { Key: key('payout#1') } }],
          },
        }),
      ),
    );
    expect(await exists('session#1')).toBe(false);
  });

  it('refuses every function a scan, and everything to a function without the table or unknown', async () => {
    await denied(as('rpcWorker').send(new ScanCommand({ TableName: TABLE })));
    await denied(as('alarmNotifier').send(get('session#1')));
    await denied(as('someoneElse').send(get('session#1')));
  });

  it('lets the local tools (the account administrator) do anything', async () => {
    await as().send(put('payout#bbbbbbbbbbbbbbbb'));
    await as().send(new ScanCommand({ TableName: TABLE, Limit: 1 }));
  });

  it('reads the access key id from a SigV4 authorization header', () => {
    expect(
      accessKeyIdOf(
        'AWS4-HMAC-SHA256 Credential=LOCALFNsigner/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host',
      ),
    ).toBe('LOCALFNsigner');
    expect(accessKeyIdOf(undefined)).toBeUndefined();
  });
});
