import { ConditionFailed, type Item, Table, type TableOptions } from '../../platform/adapters/index.js';
import { type DigestEntry, DigestEntrySchema, type DigestStore, type DigestWindow } from './digest.js';

const DAY = 86_400;

const DIGEST = 'digest';

/**
 * Digest windows, `pk = digest`, `sk = <window start ms>.<shard>`: `events` (a list of JSON
 * entries), `ids` (a string set of their job ids, for idempotent appends), `opener`, and
 * `sealedAt` once sealed. An append is one conditional `UpdateItem`, so it lands before the seal
 * or not at all. Windows expire after two days.
 */
export class DynamoDigestStore implements DigestStore {
  private readonly table: Table;

  constructor(options: TableOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async append(key: string, entry: DigestEntry, maxEvents: number): ReturnType<DigestStore['append']> {
    try {
      const item = await this.table.update(DIGEST, key, {
        UpdateExpression:
          'SET events = list_append(if_not_exists(events, :none), :one), opener = if_not_exists(opener, :id), openedAt = if_not_exists(openedAt, :now), expiresAt = :ttl ADD ids :ids',
        ConditionExpression:
          'attribute_not_exists(sealedAt) AND (attribute_not_exists(ids) OR (NOT contains(ids, :id) AND size(ids) < :max))',
        ExpressionAttributeValues: {
          ':none': { L: [] },
          ':one': { L: [{ S: JSON.stringify(entry) }] },
          ':id': { S: entry.id },
          ':ids': { SS: [entry.id] },
          ':max': { N: String(maxEvents) },
          ':ttl': { N: String(this.table.nowSeconds() + 2 * DAY) },
          ':now': { N: String(this.table.now()) },
        },
        ReturnValues: 'ALL_NEW',
      });
      return { outcome: 'appended', window: windowOf(item) };
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
    const item = await this.table.get(DIGEST, key);
    if (item?.ids?.SS?.includes(entry.id)) return { outcome: 'present', window: windowOf(item) };
    return { outcome: item?.sealedAt ? 'sealed' : 'full' };
  }

  async seal(key: string): Promise<DigestWindow> {
    const item = await this.table.update(DIGEST, key, {
      UpdateExpression: 'SET sealedAt = if_not_exists(sealedAt, :now)',
      ExpressionAttributeValues: { ':now': { N: String(this.table.now()) } },
      ReturnValues: 'ALL_NEW',
    });
    return windowOf(item);
  }
}

function windowOf(item: Item | undefined): DigestWindow {
  const events: DigestEntry[] = [];
  for (const value of item?.events?.L ?? []) {
    try {
      const parsed = DigestEntrySchema.safeParse(JSON.parse(value.S ?? ''));
      if (parsed.success) events.push(parsed.data);
    } catch {
      // An entry that no longer parses is left out of the digest rather than blocking it.
    }
  }
  return {
    events,
    opener: item?.opener?.S ?? '',
    openedAt: Number(item?.openedAt?.N ?? '0'),
    sealed: item?.sealedAt !== undefined,
  };
}
