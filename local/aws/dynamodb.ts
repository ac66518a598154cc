/**
 * Local DynamoDB: dynalite (LevelDB on disk) on a loopback port, with the app's single table.
 *
 * Data lives under `dataDir`, so sessions survive a restart of the dev stack. The emulator can
 * be stopped and started again on the same port with the same data, which is how fault tests
 * take DynamoDB away from a running function and bring it back. dynalite lacks transactions and
 * TTL: `withTransactions` adds `TransactWriteItems` and `TransactGetItems` on the same port, and
 * `UpdateTimeToLive` and `DescribeTimeToLive`, whose expired items a sweep deletes every few
 * seconds as AWS does within days (`dynamodb-ttl.ts`). Fault switch: `setTransactionConflicts`
 * cancels transactions with `TransactionConflict`, as AWS does under contention.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { TABLE_KEYS } from '../../core/desk/settings.js';
import { listen, loopbackUrl } from '../ports.js';
import { localClientConfig } from './common.js';
import { authorizeTableRequest, type TableAccessPolicy } from './dynamodb-access.js';
import { type ConflictMode, TransactionConflicts } from './dynamodb-conflicts.js';
import { type TransactionalDynalite, TransactionTokens, withTransactions } from './dynamodb-transactions.js';
import { sweepExpired, TimeToLiveSpecs } from './dynamodb-ttl.js';

/** How often the local DynamoDB deletes expired items by default (AWS: within days, typically minutes). */
export const TTL_SWEEP_MS = 5_000;

/** Physical table name of a stage (the single table of §4 "Sessions"). */
export const tableNameFor = (stage: string): string => `${stage}-table`;

/** What `ensureTable` found or did. */
export interface TableSetup {
  /** False when the table already existed (data kept from an earlier run). */
  readonly created: boolean;
  /**
   * `enabled` when TTL is on (already, or by `UpdateTimeToLive`); `unsupported` when the engine does
   * not implement it (plain dynalite, without `withTransactions`: items are never expired). Readers
   * filter expired items themselves either way, as DynamoDB deletes them up to days late.
   */
  readonly ttl: 'enabled' | 'unsupported';
}

/**
 * Creates the table from `TABLE_KEYS` (string `pk`/`sk`, on-demand billing, TTL on
 * `expiresAt` where supported) unless it exists, waits until it is ACTIVE, and turns TTL on
 * unless it is on already. Works against any DynamoDB endpoint.
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
    const { TimeToLiveDescription: ttl } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const on = ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING';
    if (on && ttl?.AttributeName === TABLE_KEYS.ttlAttribute) return 'enabled';
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
  /**
   * Milliseconds between two sweeps of expired items (default `TTL_SWEEP_MS`); 0 sweeps only when
   * `sweepExpired()` is called.
   */
  readonly ttlSweepMs?: number;
  /** The clock TTL compares with (default `Date.now`); AWS uses the real time, whatever the writer's clock. */
  readonly now?: () => number;
  /** Decides which transactions the conflict switch cancels, and on which item (default `Math.random`). */
  readonly random?: () => number;
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
  /**
   * Deletes the items expired now, as the background sweep does (waiting for a sweep under way
   * first); resolves with how many. Rejects while stopped.
   */
  sweepExpired(): Promise<number>;
  /**
   * The conflict fault switch: cancels the `next` transactions, then each with probability
   * `fraction`, with a `TransactionConflict` reason on one item, as AWS does under contention
   * (see `dynamodb-conflicts.ts`); `{}` turns it off. Holds across `stop()`/`start()`.
   */
  setTransactionConflicts(mode: ConflictMode): void;
  /** Transactions the switch has cancelled so far. */
  readonly transactionConflicts: number;
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
  const conflicts = new TransactionConflicts(options.random ? { random: options.random } : {});
  const timeToLive = new TimeToLiveSpecs();
  const now = options.now ?? Date.now;
  const sweepMs = options.ttlSweepMs ?? TTL_SWEEP_MS;
  if (!Number.isFinite(sweepMs) || sweepMs < 0) throw new RangeError(`ttlSweepMs must be ≥ 0, not ${sweepMs}`);
  let server: TransactionalDynalite | undefined;
  let port = 0;
  let timer: NodeJS.Timeout | undefined;
  /** The sweep under way, if any: sweeps never overlap, and `stop()` waits for one to end. */
  let sweeping: Promise<number> | undefined;

  const sweep = (): Promise<number> => {
    const current = server;
    if (!current) return Promise.reject(new Error('local DynamoDB is stopped'));
    sweeping ??= sweepExpired((operation, input) => current.call(operation, input), timeToLive, now()).finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  };
  const sweepLater = (): void => {
    if (sweeping || !server) return;
    sweep().catch((error: unknown) => {
      // A sweep cut short by stop() is expected; anything else would hide expiry, so say it.
      if (server) console.error(`[local dynamodb] TTL sweep failed: ${error instanceof Error ? error.message : error}`);
    });
  };

  const start = async (): Promise<void> => {
    if (server) return;
    const { access } = options;
    const next = withTransactions(dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }), {
      tokens,
      conflicts,
      timeToLive,
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

    if (sweepMs > 0) timer = setInterval(sweepLater, sweepMs).unref();
  };
  const stop = async (): Promise<void> => {
    const current = server;
    if (!current) return;
    server = undefined;
    clearInterval(timer);
    await sweeping?.catch(() => undefined);
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
    async sweepExpired() {
      await sweeping?.catch(() => undefined);
      return sweep();
    },
    setTransactionConflicts: (mode) => conflicts.set(mode),
    get transactionConflicts() {
      return conflicts.cancelled;
    },
  };
}
