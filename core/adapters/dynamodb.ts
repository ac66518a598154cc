import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { SessionConflictError, TransientError } from '../errors.js';
import type { JobProgress } from '../jobs/progress.js';
import {
  type Outbox,
  OutboxSchema,
  ProcessedUpdateSchema,
  type SessionSave,
  type SessionSnapshot,
  type SessionStore,
  type UpdateLedger,
} from '../sessions/store.js';

export interface DynamoStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Seconds of inactivity after which a session expires. */
  sessionIdleSeconds: number;
  /** Seconds a sessionless update id is remembered. */
  updateDedupeSeconds: number;
  /** How many processed update ids a session remembers (Telegram redelivers one chat's updates in order). */
  rememberUpdates?: number;
  /** How many of those keep their outbox for re-emission. */
  rememberOutboxes?: number;
  now?: () => number;
}

const ProcessedListSchema = z.array(ProcessedUpdateSchema);

/** Translates DynamoDB SDK failures into platform errors; nothing SDK-typed escapes. */
function transient(operation: string, error: unknown): TransientError {
  const name = error instanceof Error ? error.name : 'Unknown';
  return new TransientError('dynamodb.unavailable', `DynamoDB ${operation} failed: ${name}`, { cause: error });
}

/**
 * Session store and update ledger on one DynamoDB table (`pk`/`sk`, TTL on `expiresAt`).
 * A session is one item `pk = session#<key>`, `sk = session`: data as JSON, a numeric
 * version for optimistic locking, and the list of recently applied update ids.
 */
export class DynamoSessionStore implements SessionStore, UpdateLedger {
  private readonly rememberUpdates: number;
  private readonly rememberOutboxes: number;
  private readonly now: () => number;

  constructor(private readonly options: DynamoStoreOptions) {
    this.rememberUpdates = options.rememberUpdates ?? 50;
    this.rememberOutboxes = options.rememberOutboxes ?? 3;
    this.now = options.now ?? Date.now;
  }

  async load(key: string): Promise<SessionSnapshot> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      const result = await this.options.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: `session#${key}` }, sk: { S: 'session' } },
          ConsistentRead: true,
        }),
      );
      item = result.Item;
    } catch (error) {
      throw transient('GetItem', error);
    }
    if (!item) return { key, data: undefined, version: 0, processed: [] };
    const version = Number(item.version?.N ?? '0');
    const expiresAt = Number(item.expiresAt?.N ?? '0');
    // TTL deletion runs up to days late: an expired item reads as a new session (same version).
    if (expiresAt * 1000 <= this.now()) return { key, data: undefined, version, processed: [] };
    return {
      key,
      version,
      data: parseJson(item.data?.S),
      processed: z.catch(ProcessedListSchema, []).parse(parseJson(item.processed?.S)),
    };
  }

  async save(save: SessionSave): Promise<void> {
    const processed = [...save.processed, save.update]
      .slice(-this.rememberUpdates)
      .map((entry, index, all) => (index < all.length - this.rememberOutboxes ? { updateId: entry.updateId } : entry));
    const nowSeconds = Math.floor(this.now() / 1000);
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            pk: { S: `session#${save.key}` },
            sk: { S: 'session' },
            data: { S: JSON.stringify(save.data ?? null) },
            version: { N: String(save.expectedVersion + 1) },
            processed: { S: JSON.stringify(processed) },
            updatedAt: { N: String(nowSeconds) },
            expiresAt: { N: String(nowSeconds + this.options.sessionIdleSeconds) },
          },
          ConditionExpression: save.expectedVersion === 0 ? 'attribute_not_exists(pk)' : '#version = :expected',
          ...(save.expectedVersion === 0
            ? {}
            : {
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': { N: String(save.expectedVersion) } },
              }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new SessionConflictError(save.key, { cause: error });
      throw transient('PutItem', error);
    }
  }

  async claim(updateId: number, outbox: Outbox): ReturnType<UpdateLedger['claim']> {
    const nowSeconds = Math.floor(this.now() / 1000);
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            pk: { S: `update#${updateId}` },
            sk: { S: 'update' },
            outbox: { S: JSON.stringify(outbox) },
            expiresAt: { N: String(nowSeconds + this.options.updateDedupeSeconds) },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { duplicate: false as const };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw transient('PutItem', error);
    }
    // Already claimed (a redelivery): hand back what the first delivery produced.
    try {
      const { Item } = await this.options.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: `update#${updateId}` }, sk: { S: 'update' } },
          ConsistentRead: true,
        }),
      );
      const stored = OutboxSchema.safeParse(parseJson(Item?.outbox?.S));
      return { duplicate: true as const, outbox: stored.success ? stored.data : { jobs: [] } };
    } catch (error) {
      throw transient('GetItem', error);
    }
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Job progress items `pk = job#<id>`, `sk = progress`, expiring after the DLQ retention. */
export class DynamoJobProgress implements JobProgress {
  constructor(
    private readonly options: { client: DynamoDBClient; tableName: string; retainSeconds: number; now?: () => number },
  ) {}

  async done(jobId: string): Promise<number> {
    try {
      const { Item } = await this.options.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: `job#${jobId}` }, sk: { S: 'progress' } },
          ConsistentRead: true,
        }),
      );
      return Number(Item?.done?.N ?? '0');
    } catch (error) {
      throw transient('GetItem', error);
    }
  }

  async record(jobId: string, done: number): Promise<void> {
    const nowSeconds = Math.floor((this.options.now ?? Date.now)() / 1000);
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            pk: { S: `job#${jobId}` },
            sk: { S: 'progress' },
            done: { N: String(done) },
            expiresAt: { N: String(nowSeconds + this.options.retainSeconds) },
          },
        }),
      );
    } catch (error) {
      throw transient('PutItem', error);
    }
  }
}
