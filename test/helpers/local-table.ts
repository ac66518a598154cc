import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../../local/aws/common.js';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/aws/dynamodb.js';

/** A dynalite table of the stage layout in a temp folder, and a client for it (no SDK retries). */
export interface LocalTable {
  db: LocalDynamoDb;
  client: DynamoDBClient;
  tableName: string;
  stop(): Promise<void>;
}

/**
 * Where a test's fake clock should start when the items it writes carry a TTL (`expiresAt`): the
 * real time, rounded up to a whole minute (so 5-s windows and the like start on a boundary). The
 * local DynamoDB deletes items whose TTL is behind the real time, as AWS does whatever clock wrote
 * them, so a clock far in the past would see its items vanish mid-test.
 */
export const nearNow = (): number => Math.ceil(Date.now() / 60_000) * 60_000;

export async function startLocalTable(name: string): Promise<LocalTable> {
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
