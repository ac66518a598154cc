/**
 * Local DynamoDB: dynalite (LevelDB on disk) on a loopback port, with the app's single table.
 *
 * Data lives under `dataDir`, so sessions survive a restart of the dev stack. The emulator can
 * be stopped and started again on the same port with the same data, which is how fault tests
 * take DynamoDB away from a running function and bring it back. dynalite lacks transactions:
 * `withTransactions` adds `TransactWriteItems` and `TransactGetItems` on the same port.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { TABLE_KEYS } from '../../core/settings.js';
import { listen, loopbackUrl } from '../ports.js';
import { localClientConfig } from './common.js';
import { authorizeTableRequest, type TableAccessPolicy } from './dynamodb-access.js';
import { type TransactionalDynalite, TransactionTokens, withTransactions } from './dynamodb-transactions.js';

/** Physical table name of a stage (the single table of §4 "Sessions"). */
export const tableNameFor = (stage: string): string => `${stage}-table`;

/** What `ensureTable` found or did. */
export interface TableSetup {
  /** False when the table already existed (data kept from an earlier run). */
  readonly created: boolean;
  /**
   * `enabled` when the emulator accepted `UpdateTimeToLive`; `unsupported` when it does not
   * implement it (dynalite 4 does not: items are never expired, so readers must filter expired
   * items themselves, which the design requires anyway because DynamoDB deletes up to 2 days late).
   */
  readonly ttl: 'enabled' | 'unsupported';
}

/**
 * Creates the table from `TABLE_KEYS` (string `pk`/`sk`, on-demand billing, TTL on
 * `expiresAt` where supported) unless it exists, and waits until it is ACTIVE.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<TableSetup> {
  let created = false;
  if (!(await tableExists(client, tableName))) {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
    created = true;
  }
  await waitUntilActive(client, tableName);
  return { created, ttl: await enableTtl(client, tableName) };
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Local table ${tableName} did not become ACTIVE`);
}

async function enableTtl(client: DynamoDBClient, tableName: string): Promise<TableSetup['ttl']> {
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
      }),
    );
    return 'enabled';
  } catch (error) {
    if (error instanceof Error && error.name === 'UnknownOperationException') return 'unsupported';
    throw error;
  }
}

/** Where and how to run the local DynamoDB. */
export interface LocalDynamoDbOptions {
  /** Directory for the LevelDB files (created if missing). */
  readonly dataDir: string;
  /** Table to ensure on first start. */
  readonly tableName: string;
  /**
   * Holds each function's calls to its table grant, as IAM does on AWS (see `dynamodb-access.ts`):
   * a function signs with `functionAccessKeyId(name)`; other callers may do anything. Off when omitted.
   */
  readonly access?: TableAccessPolicy;
}

/** A running (or deliberately stopped) local DynamoDB. */
export interface LocalDynamoDb {
  /** `http://127.0.0.1:<port>`; stays the same across `stop()`/`start()`. */
  readonly endpoint: string;
  readonly tableName: string;
  /** What the first start found or did to the table. */
  readonly table: TableSetup;
  /** True between `start()` and `stop()`. */
  readonly running: boolean;
  /** Takes DynamoDB away: the port is closed and open connections dropped. Data stays on disk. Idempotent. */
  stop(): Promise<void>;
  /** Brings it back on the same port with the same data. Idempotent. */
  start(): Promise<void>;
}

/**
 * Starts dynalite on a free loopback port with its data under `dataDir` and ensures the table.
 * Tables become ACTIVE at once (no simulated CREATING delay). `TransactWriteItems` and
 * `TransactGetItems` work as on AWS (see `withTransactions`); transaction client tokens are
 * remembered across `stop()`/`start()`.
 */
export async function startLocalDynamoDb(options: LocalDynamoDbOptions): Promise<LocalDynamoDb> {
  const path = join(options.dataDir, 'dynamodb');
  await mkdir(path, { recursive: true });
  const tokens = new TransactionTokens();
  let server: TransactionalDynalite | undefined;
  let port = 0;

  const start = async (): Promise<void> => {
    if (server) return;
    const { access } = options;
    const next = withTransactions(dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }), {
      tokens,
      ...(access && {
        authorize: (headers, operation, request) => {
          const denied = authorizeTableRequest({
            policy: access,
            tableName: options.tableName,
            partitionKey: TABLE_KEYS.partitionKey,
            authorization: headers.authorization,
            operation,
            request,
          });
          // Loud: a function's SDK retries and its job is redelivered, so the cause would hide.
          if (denied) console.error(`[local dynamodb] AccessDeniedException: ${denied.body.message}`);
          return denied;
        },
      }),
    });
    port = await listen(next.server, port);
    server = next;
  };
  const stop = async (): Promise<void> => {
    const current = server;
    if (!current) return;
    server = undefined;
    // Drops the connections, lets a transaction under way finish, then closes the port and
    // LevelDB (releasing its lock so a new instance can reopen it).
    await current.close();
  };

  await start();
  const endpoint = loopbackUrl(port);
  const client = new DynamoDBClient(localClientConfig(endpoint));
  let table: TableSetup;
  try {
    table = await ensureTable(client, options.tableName);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }

  return {
    endpoint,
    tableName: options.tableName,
    table,
    get running() {
      return server !== undefined;
    },
    start,
    stop,
  };
}
