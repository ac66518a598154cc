import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { type Condition, ConditionFailed, Table } from '../adapters/index.js';
import { SessionConflictError } from '../errors.js';
import {
  type Outbox,
  OutboxSchema,
  ProcessedUpdateSchema,
  type SessionSave,
  type SessionSnapshot,
  type SessionStore,
  type UpdateLedger,
} from './store.js';

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * JSON longer than this is stored deflated, as a binary attribute (`<name>Z` instead of `<name>`):
 * every byte of a session item is paid on every update's write, 1 KB a write unit, and a session
 * with the latest outbox (a reply and its jobs' envelopes) is JSON that deflates to a third or less.
 */
export const DEFLATE_OVER_BYTES = 200;

/** `json` as the attribute `name`, deflated when long. */
function packed(name: string, json: string): Record<string, AttributeValue> {
  return Buffer.byteLength(json) > DEFLATE_OVER_BYTES
    ? { [`${name}Z`]: { B: deflateRawSync(json) } }
    : { [name]: { S: json } };
}

/** The JSON text of attribute `name`, plain or deflated; undefined when absent or not inflatable. */
function unpacked(item: Record<string, AttributeValue>, name: string): string | undefined {
  const deflated = item[`${name}Z`]?.B;
  if (deflated === undefined) return item[name]?.S;
  try {
    return inflateRawSync(deflated).toString('utf8');
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
  /**
   * How many processed update ids a session remembers (default 20). Telegram redelivers one chat's
   * updates in order, and holds the chat's next update until the current one is taken, so a
   * redelivery is almost always of the latest update; 20 is a wide margin at 20 bytes each.
   */
  rememberUpdates?: number;
  /**
   * How many of those keep their outbox for re-emission (default 1, the latest update's, for the
   * same reason). Every byte of the session item is paid on every update's write (1 KB units).
   */
  rememberOutboxes?: number;
  now?: () => number;
}

/**
 * Session store and update ledger. A session is one item `pk = session#<key>`, `sk = session`:
 * data as JSON, a numeric version for optimistic locking, and the recently applied update ids
 * (JSON over `DEFLATE_OVER_BYTES` deflated, so most writes stay within one 1 KB write unit).
 * A sessionless update is an item `pk = update#<id>`, `sk = update` holding its outbox.
 */
export class DynamoSessionStore implements SessionStore, UpdateLedger {
  private readonly table: Table;
  private readonly rememberUpdates: number;
  private readonly rememberOutboxes: number;

  constructor(private readonly options: DynamoStoreOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
    this.rememberUpdates = options.rememberUpdates ?? 20;
    this.rememberOutboxes = options.rememberOutboxes ?? 1;
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
      data: parseJson(unpacked(item, 'data')),
      processed: z.catch(ProcessedListSchema, []).parse(parseJson(unpacked(item, 'processed'))),
    };
  }

  async save(save: SessionSave): Promise<void> {
    const processed = [...save.processed, save.update].slice(-this.rememberUpdates).map((entry, index, all) => {
      if (index >= all.length - this.rememberOutboxes) return entry;
      return entry.repliesQueued
        ? { updateId: entry.updateId, repliesQueued: true as const }
        : { updateId: entry.updateId };
    });
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
          ...packed('data', JSON.stringify(save.data ?? null)),
          version: { N: String(save.expectedVersion + 1) },
          ...packed('processed', JSON.stringify(processed)),
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
