import { ConditionFailed, Table, type TableOptions } from '../../platform/adapters/index.js';
import type { SeenUsers } from './stats.js';

const DAY_SECONDS = 86_400;

/** A user's last-seen entry outlives its time by this long (TTL); `/stats` counts one day. */
const SEEN_RETENTION_SECONDS = 2 * DAY_SECONDS;

/**
 * Users' last activity, `pk = seen`, `sk = user#<userId>`, with `at` (ms). A record is one
 * conditional `PutItem` that only moves `at` forward; entries expire two days after their time.
 * Counting reads the partition (users seen in the last two days or so, a few dozen bytes each)
 * with a filter, on an admin's `/stats` only.
 */
export class DynamoSeenUsers implements SeenUsers {
  private readonly table: Table;

  constructor(options: TableOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async seen(userId: number, at: number): Promise<void> {
    try {
      await this.table.put(
        {
          pk: { S: 'seen' },
          sk: { S: `user#${userId}` },
          at: { N: String(at) },
          expiresAt: { N: String(Math.floor(at / 1000) + SEEN_RETENTION_SECONDS) },
        },
        {
          ConditionExpression: 'attribute_not_exists(#at) OR #at < :at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':at': { N: String(at) } },
        },
      );
    } catch (error) {
      // Already seen at this time or later.
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }

  async countSince(since: number): Promise<number> {
    return this.table.count('seen', {
      ConditionExpression: '#at >= :since',
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: { ':since': { N: String(since) } },
    });
  }
}
