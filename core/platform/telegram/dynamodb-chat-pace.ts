import { ConditionFailed, Table, type TableOptions } from '../adapters/index.js';
import type { ChatPaceStore } from './sender.js';

const DAY = 86_400;

/**
 * Recent send times per chat, `pk = pace#<chat>`, `sk = pace`: `recent` (a list of ms times),
 * `through` (an update id, see {@link ChatPaceStore}) and `version`, saved conditionally on the
 * version loaded. Items expire a day after the last send.
 */
export class DynamoChatPace implements ChatPaceStore {
  private readonly table: Table;

  constructor(options: TableOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async load(chat: number | string): Promise<{ recent: number[]; version: number; through?: number }> {
    const item = await this.table.get(`pace#${chat}`, 'pace');
    const recent = (item?.recent?.L ?? []).map((v) => Number(v.N)).filter(Number.isFinite);
    const through = Number(item?.through?.N);
    return {
      recent,
      version: Number(item?.version?.N ?? '0'),
      ...(item?.through?.N !== undefined && Number.isSafeInteger(through) && { through }),
    };
  }

  async save(chat: number | string, recent: number[], version: number, through?: number): Promise<boolean> {
    try {
      await this.table.put(
        {
          pk: { S: `pace#${chat}` },
          sk: { S: 'pace' },
          recent: { L: recent.map((at) => ({ N: String(at) })) },
          version: { N: String(version + 1) },
          ...(through !== undefined && { through: { N: String(through) } }),
          expiresAt: { N: String(this.table.nowSeconds() + DAY) },
        },
        version === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': { N: String(version) } } },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }
}
