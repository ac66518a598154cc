import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
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

type Item = Record<string, AttributeValue>;
type Condition = Pick<
  PutItemCommandInput,
  'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
>;

/** Thrown by `Table.put` when its condition fails; callers turn it into a domain error. */
class ConditionFailed extends Error {}

/**
 * The single table (`pk`/`sk`, TTL on `expiresAt`) as the adapters use it: consistent key reads
 * and conditional puts. Every SDK failure becomes a `TransientError` here, so none leaks.
 */
class Table {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly name: string,
    readonly now: () => number,
  ) {}

  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  async get(pk: string, sk: string): Promise<Item | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetItemCommand({ TableName: this.name, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
      );
      return Item;
    } catch (error) {
      throw transient('GetItem', error);
    }
  }

  async put(item: Item, condition: Condition = {}): Promise<void> {
    try {
      await this.client.send(new PutItemCommand({ TableName: this.name, Item: item, ...condition }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConditionFailed();
      throw transient('PutItem', error);
    }
  }
}

function transient(operation: string, error: unknown): TransientError {
  const name = error instanceof Error ? error.name : 'Unknown';
  return new TransientError('dynamodb.unavailable', `DynamoDB ${operation} failed: ${name}`, { cause: error });
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const ProcessedListSchema = z.array(ProcessedUpdateSchema);
const NEW_ITEM: Condition = { ConditionExpression: 'attribute_not_exists(pk)' };

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

/**
 * Session store and update ledger. A session is one item `pk = session#<key>`, `sk = session`:
 * data as JSON, a numeric version for optimistic locking, and the recently applied update ids.
 * A sessionless update is an item `pk = update#<id>`, `sk = update` holding its outbox.
 */
export class DynamoSessionStore implements SessionStore, UpdateLedger {
  private readonly table: Table;
  private readonly rememberUpdates: number;
  private readonly rememberOutboxes: number;

  constructor(private readonly options: DynamoStoreOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
    this.rememberUpdates = options.rememberUpdates ?? 50;
    this.rememberOutboxes = options.rememberOutboxes ?? 3;
  }

  async load(key: string): Promise<SessionSnapshot> {
    const item = await this.table.get(`session#${key}`, 'session');
    if (!item) return { key, data: undefined, version: 0, processed: [] };
    const version = Number(item.version?.N ?? '0');
    // TTL deletion runs up to days late: an expired item reads as a new session (same version).
    if (Number(item.expiresAt?.N ?? '0') <= this.table.nowSeconds())
      return { key, data: undefined, version, processed: [] };
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
    const now = this.table.nowSeconds();
    const condition: Condition =
      save.expectedVersion === 0
        ? NEW_ITEM
        : {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': { N: String(save.expectedVersion) } },
          };
    try {
      await this.table.put(
        {
          pk: { S: `session#${save.key}` },
          sk: { S: 'session' },
          data: { S: JSON.stringify(save.data ?? null) },
          version: { N: String(save.expectedVersion + 1) },
          processed: { S: JSON.stringify(processed) },
          updatedAt: { N: String(now) },
          expiresAt: { N: String(now + this.options.sessionIdleSeconds) },
        },
        condition,
      );
    } catch (error) {
      if (error instanceof ConditionFailed) throw new SessionConflictError(save.key, { cause: error });
      throw error;
    }
  }

  async claim(updateId: number, outbox: Outbox): ReturnType<UpdateLedger['claim']> {
    const pk = `update#${updateId}`;
    try {
      const expiresAt = this.table.nowSeconds() + this.options.updateDedupeSeconds;
      await this.table.put(
        {
          pk: { S: pk },
          sk: { S: 'update' },
          outbox: { S: JSON.stringify(outbox) },
          expiresAt: { N: String(expiresAt) },
        },
        NEW_ITEM,
      );
      return { duplicate: false };
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
    // Already claimed (a redelivery): hand back what the first delivery produced.
    const stored = OutboxSchema.safeParse(parseJson((await this.table.get(pk, 'update'))?.outbox?.S));
    return { duplicate: true, outbox: stored.success ? stored.data : { jobs: [] } };
  }
}

/** Job progress items `pk = job#<id>`, `sk = progress`, expiring after the DLQ retention. */
export class DynamoJobProgress implements JobProgress {
  private readonly table: Table;

  constructor(
    private readonly options: { client: DynamoDBClient; tableName: string; retainSeconds: number; now?: () => number },
  ) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async done(jobId: string): Promise<number> {
    return Number((await this.table.get(`job#${jobId}`, 'progress'))?.done?.N ?? '0');
  }

  async record(jobId: string, done: number): Promise<void> {
    const expiresAt = this.table.nowSeconds() + this.options.retainSeconds;
    await this.table.put({
      pk: { S: `job#${jobId}` },
      sk: { S: 'progress' },
      done: { N: String(done) },
      expiresAt: { N: String(expiresAt) },
    });
  }
}
