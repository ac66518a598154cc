import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSeenUsers } from '../../../../core/desk/admin/dynamodb-seen-users.js';
import { DynamoStatsCounters } from '../../../../core/desk/admin/dynamodb-stats.js';
import type { TableOptions } from '../../../../core/platform/adapters/dynamodb.js';
import { ensureTable } from '../../../../local/aws/dynamodb.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';

let local: LocalTable;
let client: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  local = await startLocalTable('stats-test');
  ({ client } = local);
});
afterAll(async () => {
  await local.stop();
});

/** A table of its own: counters and seen users each live in shared partitions. */
async function freshTable(): Promise<TableOptions> {
  const tableName = `stats-${++tables}`;
  await ensureTable(client, tableName);
  return { client, tableName };
}

const HOUR = 3_600_000;
const NOW = Date.UTC(2030, 0, 2, 12, 30);

describe('DynamoStatsCounters', () => {
  it('adds concurrent deltas up, per key, without losing any', async () => {
    const counters = new DynamoStatsCounters(await freshTable());
    await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        counters.add(
          'rpc',
          n % 2 ? '#1 https://b' : '#0 https://a',
          { calls: 1, rateLimited: n % 4 === 0 ? 1 : 0 },
          NOW,
        ),
      ),
    );
    const totals = await counters.totals('rpc', NOW - 24 * HOUR);
    expect(Object.fromEntries(totals)).toEqual({
      '#0 https://a': { calls: 10, rateLimited: 5 },
      '#1 https://b': { calls: 10 },
    });
  });

  it('sums the hourly buckets from the hour holding `since` on, and nothing older', async () => {
    const counters = new DynamoStatsCounters(await freshTable());
    for (let hoursAgo = 0; hoursAgo < 30; hoursAgo++) {
      await counters.add('rpc', '#0 https://a', { calls: 1 }, NOW - hoursAgo * HOUR);
      await counters.add('telegram', 'bot', { rateLimited: 2 }, NOW - hoursAgo * HOUR);
    }
    // `since` falls 10 minutes into the hour 24 h ago: that hour counts (25 buckets).
    const since = NOW - 24 * HOUR - 20 * 60_000;
    expect(Object.fromEntries(await counters.totals('rpc', since))).toEqual({ '#0 https://a': { calls: 25 } });
    expect(Object.fromEntries(await counters.totals('telegram', since))).toEqual({ bot: { rateLimited: 50 } });
    expect((await counters.totals('rpc', NOW + HOUR)).size).toBe(0);
  });

  it('keeps series apart and reads many keys across pages', async () => {
    const counters = new DynamoStatsCounters(await freshTable());
    const keys = Array.from({ length: 130 }, (_, n) => `#${n} https://e${n}`);
    for (const key of keys) await counters.add('rpc', key, { calls: 2, failures: 1 }, NOW);
    const totals = await counters.totals('rpc', NOW - HOUR);
    expect(totals.size).toBe(130);
    expect(totals.get('#129 https://e129')).toEqual({ calls: 2, failures: 1 });
    expect((await counters.totals('telegram', NOW - HOUR)).size).toBe(0);
  });

  it('writes buckets that expire three days after their hour, and skips an add of nothing', async () => {
    const options = await freshTable();
    const counters = new DynamoStatsCounters(options);
    await counters.add('telegram', 'bot', { rateLimited: 0 }, NOW);
    expect((await counters.totals('telegram', NOW - HOUR)).size).toBe(0);
    await counters.add('telegram', 'bot', { rateLimited: 1 }, NOW);
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: options.tableName,
        Key: { pk: { S: 'counters#telegram' }, sk: { S: '2030-01-02T12#bot' } },
      }),
    );
    expect(Item?.rateLimited?.N).toBe('1');
    expect(Number(Item?.expiresAt?.N)).toBe(Math.floor(NOW / 1000) + 3 * 86_400);
  });

  it('refuses a counter name that is not a plain word, or a fraction', async () => {
    const counters = new DynamoStatsCounters(await freshTable());
    await expect(counters.add('rpc', 'k', { 'calls, x': 1 }, NOW)).rejects.toThrow(RangeError);
    await expect(counters.add('rpc', 'k', { calls: 0.5 }, NOW)).rejects.toThrow(RangeError);
  });
});

describe('DynamoSeenUsers', () => {
  it('counts the users seen since a time, each once, by their latest time', async () => {
    const seen = new DynamoSeenUsers(await freshTable());
    await seen.seen(1, NOW - 30 * HOUR);
    await seen.seen(2, NOW - 2 * HOUR);
    await seen.seen(2, NOW - HOUR);
    await seen.seen(3, NOW - 25 * HOUR);
    // A late, older report does not move user 3 back, nor a repeat count twice.
    await seen.seen(3, NOW - 23 * HOUR);
    await seen.seen(3, NOW - 26 * HOUR);
    await seen.seen(3, NOW - 23 * HOUR);
    expect(await seen.countSince(NOW - 24 * HOUR)).toBe(2);
    expect(await seen.countSince(NOW - 90 * 60_000)).toBe(1);
    expect(await seen.countSince(NOW - 40 * HOUR)).toBe(3);
  });
});
