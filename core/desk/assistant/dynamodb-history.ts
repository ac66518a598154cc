import * as z from 'zod/mini';
import { ConditionFailed, Table, type TableOptions } from '../../platform/adapters/index.js';
import { type Conversation, HistoryConflictError, type HistoryStore, type Turn } from './history.js';

/**
 * The assistant's items, in the user's partition `ai#<userId>`:
 * - `history`: the conversation (`turns`, JSON), its `version` (optimistic lock) and `expiresAt`;
 * - `quota#<YYYY-MM-DD>`: questions `used` that UTC day and the `jobs` counted (a string set, so a
 *   redelivered job counts once), kept two days (TTL).
 */
const pk = (userId: number) => `ai#${userId}`;
const HISTORY = 'history';

const TurnsSchema = z.array(z.object({ job: z.string(), at: z.number(), question: z.string(), answer: z.string() }));

export class DynamoHistoryStore implements HistoryStore {
  private readonly table: Table;
  private readonly idleSeconds: number;

  constructor(options: TableOptions & { idleSeconds: number }) {
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
