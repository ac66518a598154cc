import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../../local/aws/common.js';
import { ensureTable, type LocalDynamoDb, startLocalDynamoDb } from '../../local/aws/dynamodb.js';

/** A table of the stage layout and a client for it (no SDK retries): on dynalite in a temp folder, or on `DYNAMODB_ENDPOINT`. */
export interface LocalTable {
  db: LocalDynamoDb;
  client: DynamoDBClient;
  tableName: string;
  stop(): Promise<void>;
}

/**
 * Another DynamoDB to run the adapter tests against instead of dynalite, as a cross-check (e.g.
 * AWS's DynamoDB Local: `DYNAMODB_ENDPOINT=http://127.0.0.1:8000 npx vitest run dynamodb`).
 * Tests that need the local engine's switches (taking it away, conflicts, an on-demand TTL sweep)
 * skip themselves there (`it.skipIf(externalEndpoint)`).
 */
export const externalEndpoint: string | undefined = process.env.DYNAMODB_ENDPOINT || undefined;

/**
 * Where a test's fake clock should start when the items it writes carry a TTL (`expiresAt`): the
 * real time, rounded up to a whole minute (so 5-s windows and the like start on a boundary). The
 * local DynamoDB deletes items whose TTL is behind the real time, as AWS does whatever clock wrote
 * them, so a clock far in the past would see its items vanish mid-test.
 */
export const nearNow = (): number => Math.ceil(Date.now() / 60_000) * 60_000;

export async function startLocalTable(name: string): Promise<LocalTable> {
  if (externalEndpoint) return startExternalTable(externalEndpoint, name);
  const dir = await mkdtemp(join(tmpdir(), `${name}-`));
  const db = await startLocalDynamoDb({ dataDir: dir, tableName: name });
  const client = new DynamoDBClient({ ...localClientConfig(db.endpoint), maxAttempts: 1 });
  return {
    db,
    client,
    tableName: db.tableName,
    async stop() {
      client.destroy();
      await db.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh table (`<name>-<random>`) on another endpoint, deleted again by `stop()`. */
async function startExternalTable(endpoint: string, name: string): Promise<LocalTable> {
  const tableName = `${name}-${randomBytes(4).toString('hex')}`;
  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 1 });
  const table = await ensureTable(client, tableName);
  const missing = (what: string) => () => {
    throw new Error(`${what} needs the local engine; DYNAMODB_ENDPOINT is set (skip the test there)`);
  };
  const db: LocalDynamoDb = {
    endpoint,
    tableName,
    table,
    running: true,
    stop: missing('stop()'),
    start: missing('start()'),
    sweepExpired: missing('sweepExpired()'),
    setTransactionConflicts: (mode) => {
      // Turning a switch off that the engine does not have is a no-op; turning it on is not.
      if ((mode.next ?? 0) > 0 || (mode.fraction ?? 0) > 0) missing('setTransactionConflicts()')();
    },
    transactionConflicts: 0,
  };
  return {
    db,
    client,
    tableName,
    async stop() {
      await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      client.destroy();
    },
  };
}
