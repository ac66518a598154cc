import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { type Conversation, HistoryConflictError, type HistoryStore, type Turn } from '../assistant/history.js';
import type { QuotaStore } from '../assistant/quota.js';
import { ConditionFailed, Table } from './dynamodb.js';

/**
 * The assistant's items, in the user's partition `ai#<userId>`:
 * - `history`: the conversation (`turns`, JSON), its `version` (optimistic lock) and `expiresAt`;
 * - `quota#<YYYY-MM-DD>`: questions `used` that UTC day and the `jobs` counted (a string set, so a
 *   redelivered job counts once), kept two days (TTL).
 */
const pk = (userId: number) => `ai#${userId}`;
const HISTORY = 'history';
const QUOTA_RETENTION_SECONDS = 2 * 86_400;

const TurnsSchema = z.array(z.object({ job: z.string(), at: z.number(), question: z.string(), answer: z.string() }));

export interface AiStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  now?: () => number;
}

export class DynamoHistoryStore implements HistoryStore {
  private readonly table: Table;
  private readonly idleSeconds: number;

  constructor(options: AiStoreOptions & { idleSeconds: number }) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
    this.idleSeconds = options.idleSeconds;
  }

  async load(userId: number): Promise<Conversation> {
    const item = await this.table.get(pk(userId), HISTORY);
    if (!item) return { turns: [], version: 0 };
    const version = Number(item.version?.N ?? '0');
    if (Number(item.expiresAt?.N ?? '0') <= this.table.nowSeconds()) return { turns: [], version };
    // A conversation that does not parse (written by an older version, say) is forgotten, not fatal.
    const turns = TurnsSchema.safeParse(safeJson(item.turns?.S));
    return { turns: turns.success ? turns.data : [], version };
  }

  async save(userId: number, turns: readonly Turn[], expectedVersion: number): Promise<void> {
    try {
      await this.table.put(
        {
          pk: { S: pk(userId) },
          sk: { S: HISTORY },
          turns: { S: JSON.stringify(turns) },
          version: { N: String(expectedVersion + 1) },
          expiresAt: { N: String(this.table.nowSeconds() + this.idleSeconds) },
        },
        expectedVersion === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
            },
      );
    } catch (error) {
      if (error instanceof ConditionFailed) throw new HistoryConflictError(userId, { cause: error });
      throw error;
    }
  }

  async clear(userId: number): Promise<void> {
    await this.table.delete(pk(userId), HISTORY);
  }
}

function safeJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

export class DynamoQuotaStore implements QuotaStore {
  private readonly table: Table;

  constructor(options: AiStoreOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async take(userId: number, day: string, jobId: string, limit: number): Promise<{ ok: boolean; used: number }> {
    try {
      const attributes = await this.table.update(pk(userId), `quota#${day}`, {
        UpdateExpression: 'ADD #used :one, #jobs :job SET #expiresAt = :expiresAt',
        ConditionExpression: '(attribute_not_exists(#used) OR #used < :limit) AND NOT contains(#jobs, :id)',
        ExpressionAttributeNames: { '#used': 'used', '#jobs': 'jobs', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':job': { SS: [jobId] },
          ':id': { S: jobId },
          ':limit': { N: String(limit) },
          ':expiresAt': { N: String(this.table.nowSeconds() + QUOTA_RETENTION_SECONDS) },
        },
        ReturnValues: 'UPDATED_NEW',
      });
      return { ok: true, used: Number(attributes?.used?.N ?? '1') };
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      // Either the day is used up, or this job was counted before (a redelivery): read which.
      const item = await this.table.get(pk(userId), `quota#${day}`);
      const used = Number(item?.used?.N ?? '0');
      return { ok: item?.jobs?.SS?.includes(jobId) ?? false, used };
    }
  }

  async giveBack(userId: number, day: string, jobId: string): Promise<void> {
    try {
      await this.table.update(pk(userId), `quota#${day}`, {
        UpdateExpression: 'ADD #used :minusOne DELETE #jobs :job',
        ConditionExpression: 'contains(#jobs, :id)',
        ExpressionAttributeNames: { '#used': 'used', '#jobs': 'jobs' },
        ExpressionAttributeValues: { ':minusOne': { N: '-1' }, ':job': { SS: [jobId] }, ':id': { S: jobId } },
      });
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }
}
