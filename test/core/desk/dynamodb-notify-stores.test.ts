import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DigestEntry } from '../../../core/desk/admin/digest.js';
import { DynamoDigestStore } from '../../../core/desk/admin/dynamodb-digest.js';
import { DynamoBroadcastStore } from '../../../core/desk/broadcasts/dynamodb-store.js';
import type { BroadcastMessage } from '../../../core/desk/broadcasts/message.js';
import { type Broadcast, type SendOutcome, settled } from '../../../core/desk/broadcasts/store.js';
import type { TableOptions } from '../../../core/platform/adapters/dynamodb.js';
import { DynamoChatPace } from '../../../core/platform/telegram/dynamodb-chat-pace.js';
import { DynamoUserDirectory } from '../../../core/platform/users/dynamodb-directory.js';
import { ensureTable } from '../../../local/aws/dynamodb.js';
import { type LocalTable, nearNow, startLocalTable } from '../../helpers/local-table.js';

let local: LocalTable;
let client: DynamoDBClient;
let tables = 0;
let clock = nearNow();

beforeAll(async () => {
  local = await startLocalTable('notify-test');
  ({ client } = local);
});
afterAll(async () => {
  await local.stop();
});

/** A table of its own: users, digest windows and broadcasts each live in one shared partition. */
async function freshTable(): Promise<TableOptions> {
  const tableName = `notify-${++tables}`;
  await ensureTable(client, tableName);
  return { client, tableName, now: () => clock };
}

async function rawItem(options: TableOptions, pk: string, sk: string) {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: options.tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
  );
  return Item;
}

const nowSeconds = () => Math.floor(clock / 1000);

describe('DynamoChatPace', () => {
  it('loads a chat never sent to as no recent sends at version 0', async () => {
    const pace = new DynamoChatPace(await freshTable());
    expect(await pace.load(42)).toEqual({ recent: [], version: 0 });
  });

  it('saves against the version loaded and reads back what it saved', async () => {
    const options = await freshTable();
    const pace = new DynamoChatPace(options);
    expect(await pace.save(42, [clock - 5, clock], 0)).toBe(true);
    expect(await pace.load(42)).toEqual({ recent: [clock - 5, clock], version: 1 });
    expect(await pace.save(42, [clock + 1_050], 1)).toBe(true);
    expect(await pace.load(42)).toEqual({ recent: [clock + 1_050], version: 2 });
    expect((await rawItem(options, 'pace#42', 'pace'))?.expiresAt).toEqual({ N: String(nowSeconds() + 86_400) });
  });

  it('keeps the update the webhook’s queued replies are through with', async () => {
    const pace = new DynamoChatPace(await freshTable());
    expect(await pace.save(42, [clock], 0, 1_234)).toBe(true);
    expect(await pace.load(42)).toEqual({ recent: [clock], version: 1, through: 1_234 });
  });

  it('refuses a save against a version somebody else saved since, keeping theirs', async () => {
    const pace = new DynamoChatPace(await freshTable());
    expect(await pace.save(7, [1], 0)).toBe(true);
    expect(await pace.save(7, [2], 0)).toBe(false);
    expect(await pace.save(7, [3], 1)).toBe(true);
    expect(await pace.save(7, [4], 1)).toBe(false);
    expect(await pace.save(7, [5], 9)).toBe(false);
    expect(await pace.load(7)).toEqual({ recent: [3], version: 2 });
  });

  it('keeps chats apart, group ids and channel names included', async () => {
    const pace = new DynamoChatPace(await freshTable());
    await pace.save(5, [1], 0);
    await pace.save(-1001234, [2], 0);
    await pace.save('@news', [3], 0);
    expect(await pace.load(5)).toEqual({ recent: [1], version: 1 });
    expect(await pace.load(-1001234)).toEqual({ recent: [2], version: 1 });
    expect(await pace.load('@news')).toEqual({ recent: [3], version: 1 });
    expect(await pace.load(-5)).toEqual({ recent: [], version: 0 });
  });

  it('lets exactly one of many concurrent senders save each version', async () => {
    const pace = new DynamoChatPace(await freshTable());
    const winners = new Map<number, number>();
    let attempts = 0;
    await Promise.all(
      Array.from({ length: 20 }, async (_, sender) => {
        for (;;) {
          attempts++;
          const { recent, version } = await pace.load(99);
          if (await pace.save(99, [...recent, sender], version)) {
            expect(winners.has(version)).toBe(false);
            winners.set(version, sender);
            return;
          }
        }
      }),
    );
    expect([...winners.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, v) => v));
    const final = await pace.load(99);
    expect(final.version).toBe(20);
    // Every save built on the one before it: each sender is there once, in the order they won.
    expect(final.recent).toEqual([...winners.entries()].sort(([a], [b]) => a - b).map(([, sender]) => sender));
    expect(attempts).toBeGreaterThan(20);
  });
});

describe('DynamoUserDirectory', () => {
  async function allActive(directory: DynamoUserDirectory, limit: number) {
    const pages: number[][] = [];
    let cursor: string | null = null;
    do {
      const page = await directory.activePage(cursor, limit);
      pages.push(page.chatIds);
      cursor = page.next;
      expect(pages.length).toBeLessThan(10_000);
    } while (cursor !== null);
    return pages;
  }
  /** The directory's order: by sort key `chat#<id>`, compared as text. */
  const inKeyOrder = (ids: number[]) => [...ids].sort((a, b) => (`chat#${a}` < `chat#${b}` ? -1 : 1));

  it('adds a user as given and reads them back; an unknown user reads as undefined', async () => {
    const directory = new DynamoUserDirectory(await freshTable());
    await directory.upsert({ chatId: 11, active: true, lang: 'zh' });
    await directory.upsert({ chatId: 12, active: true });
    expect(await directory.get(11)).toEqual({ chatId: 11, active: true, lang: 'zh' });
    expect(await directory.get(12)).toEqual({ chatId: 12, active: true });
    expect(await directory.get(13)).toBeUndefined();
  });

  it('marks a user inactive and active again, keeping their language and first-seen time', async () => {
    const options = await freshTable();
    const directory = new DynamoUserDirectory(options);
    const first = clock;
    await directory.upsert({ chatId: 21, active: true, lang: 'zh' });
    clock += 60_000;
    await directory.setActive(21, false);
    expect(await directory.get(21)).toEqual({ chatId: 21, active: false, lang: 'zh' });
    await directory.upsert({ chatId: 21, active: true });
    expect(await directory.get(21)).toEqual({ chatId: 21, active: true, lang: 'zh' });
    await directory.upsert({ chatId: 21, active: true, lang: 'en' });
    expect(await directory.get(21)).toEqual({ chatId: 21, active: true, lang: 'en' });
    expect((await rawItem(options, 'users', 'chat#21'))?.since).toEqual({ N: String(first) });
  });

  it('adds an unknown user marked by setActive', async () => {
    const directory = new DynamoUserDirectory(await freshTable());
    await directory.setActive(31, false);
    await directory.setActive(32, true);
    expect(await directory.get(31)).toEqual({ chatId: 31, active: false });
    expect(await directory.get(32)).toEqual({ chatId: 32, active: true });
  });

  it('pages every active user once, in a stable order, leaving inactive ones out', async () => {
    const directory = new DynamoUserDirectory(await freshTable());
    const ids = Array.from({ length: 40 }, (_, n) => 1_000 + n * 37);
    const inactive = new Set(ids.filter((_, n) => n % 3 === 0));
    await Promise.all(ids.map((chatId) => directory.upsert({ chatId, active: true, lang: 'en' })));
    await Promise.all([...inactive].map((chatId) => directory.setActive(chatId, false)));
    const active = inKeyOrder(ids.filter((id) => !inactive.has(id)));

    const pages = await allActive(directory, 7);
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(7);
    expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(ids.length / 7));
    expect(pages.flat()).toEqual(active);
    expect(await directory.countActive()).toBe(active.length);
    // One page from the start, then from a cursor, give the same users.
    const first = await directory.activePage(null, 10);
    const rest = await directory.activePage(first.next, 100);
    expect([...first.chatIds, ...rest.chatIds]).toEqual(active);
    expect(rest.next).toBeNull();
  });

  it('has an empty first and last page when nobody uses the bot', async () => {
    const directory = new DynamoUserDirectory(await freshTable());
    expect(await directory.activePage(null, 50)).toEqual({ chatIds: [], next: null });
    expect(await directory.countActive()).toBe(0);
  });

  it('counts and pages active users over more than one DynamoDB page', async () => {
    const options = await freshTable();
    const directory = new DynamoUserDirectory(options);
    const total = 1_200;
    const pad = 'p'.repeat(1_000);
    const isInactive = (chatId: number) => chatId % 7 === 0;
    // Entries as the directory documents them, padded so the partition is over 1 MB (DynamoDB's page size).
    const chatIds = Array.from({ length: total }, (_, n) => 500_000 + n);
    for (let at = 0; at < total; at += 100) {
      await Promise.all(
        [0, 25, 50, 75].map((offset) =>
          client.send(
            new BatchWriteItemCommand({
              RequestItems: {
                [options.tableName]: chatIds.slice(at + offset, at + offset + 25).map((chatId) => ({
                  PutRequest: {
                    Item: {
                      pk: { S: 'users' },
                      sk: { S: `chat#${chatId}` },
                      chatId: { N: String(chatId) },
                      active: { BOOL: !isInactive(chatId) },
                      since: { N: String(clock) },
                      lang: { S: 'en' },
                      pad: { S: pad },
                    },
                  },
                })),
              },
            }),
          ),
        ),
      );
    }
    const [revived, stillInactive] = chatIds.filter(isInactive);
    const blocking = chatIds.filter((id) => !isInactive(id)).slice(0, 2);
    expect(await directory.get(stillInactive!)).toEqual({ chatId: stillInactive, active: false, lang: 'en' });
    // Some users block the bot and one comes back, through the directory itself.
    await Promise.all(blocking.map((id) => directory.setActive(id, false)));
    await directory.upsert({ chatId: revived!, active: true });
    const active = chatIds.filter((id) => (!isInactive(id) || id === revived) && !blocking.includes(id));

    const firstPage = await client.send(
      new QueryCommand({
        TableName: options.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'users' } },
        Select: 'COUNT',
      }),
    );
    expect(firstPage.LastEvaluatedKey, 'the partition must span several DynamoDB pages').toBeDefined();
    expect(firstPage.Count).toBeLessThan(total);

    expect(await directory.countActive()).toBe(active.length);
    const pages = await allActive(directory, 1_000);
    expect(pages.flat()).toEqual(inKeyOrder(active));
  });
});

const event = (n: number): DigestEntry => ({
  id: `job-${n}`,
  at: clock + n,
  event: { kind: 'deposit.found', userId: n, facts: [['amount', `${n} SOL`]] },
});

describe('DynamoDigestStore', () => {
  it('makes the first appender of a window its opener and keeps events in order', async () => {
    const options = await freshTable();
    const store = new DynamoDigestStore(options);
    const first = await store.append('1000.0', event(1), 10);
    expect(first).toEqual({
      outcome: 'appended',
      window: { events: [event(1)], opener: 'job-1', openedAt: expect.any(Number), sealed: false },
    });
    const second = await store.append('1000.0', event(2), 10);
    expect(second).toEqual({
      outcome: 'appended',
      window: { events: [event(1), event(2)], opener: 'job-1', openedAt: expect.any(Number), sealed: false },
    });
    expect((await rawItem(options, 'digest', '1000.0'))?.expiresAt).toEqual({ N: String(nowSeconds() + 2 * 86_400) });
  });

  it('keeps windows apart', async () => {
    const store = new DynamoDigestStore(await freshTable());
    await store.append('1000.0', event(1), 10);
    const other = await store.append('1000.1', event(2), 10);
    expect(other).toEqual({
      outcome: 'appended',
      window: { events: [event(2)], opener: 'job-2', openedAt: expect.any(Number), sealed: false },
    });
  });

  it('reports a redelivered entry as present without adding it again', async () => {
    const store = new DynamoDigestStore(await freshTable());
    await store.append('2000.0', event(1), 10);
    await store.append('2000.0', event(2), 10);
    const again = await store.append('2000.0', event(1), 10);
    expect(again).toEqual({
      outcome: 'present',
      window: { events: [event(1), event(2)], opener: 'job-1', openedAt: expect.any(Number), sealed: false },
    });
  });

  it('lands 50 concurrent appends once each, with exactly one opener', async () => {
    const store = new DynamoDigestStore(await freshTable());
    const entries = Array.from({ length: 50 }, (_, n) => event(n));
    const results = await Promise.all(entries.map((entry) => store.append('3000.0', entry, 300)));
    expect(results.every((r) => r.outcome === 'appended')).toBe(true);
    const openers = new Set(results.map((r) => (r.outcome === 'appended' ? r.window.opener : '')));
    expect(openers.size).toBe(1);
    const opener = [...openers][0];
    expect(entries.filter((entry) => entry.id === opener)).toHaveLength(1);
    const sizes = results.map((r) => (r.outcome === 'appended' ? r.window.events.length : 0));
    expect([...sizes].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, n) => n + 1));
    const window = await store.seal('3000.0');
    expect(window.events[0]?.id).toBe(opener);
    expect(window.events.map((e) => e.id).sort()).toEqual(entries.map((e) => e.id).sort());
  });

  it('keeps each entry once when redeliveries race the first deliveries', async () => {
    const store = new DynamoDigestStore(await freshTable());
    const entries = Array.from({ length: 20 }, (_, n) => event(n));
    const results = await Promise.all([...entries, ...entries, ...entries].map((e) => store.append('3500.0', e, 300)));
    expect(results.filter((r) => r.outcome === 'appended')).toHaveLength(20);
    expect(results.filter((r) => r.outcome === 'present')).toHaveLength(40);
    const window = await store.seal('3500.0');
    expect(window.events.map((e) => e.id).sort()).toEqual(entries.map((e) => e.id).sort());
  });

  it('refuses an entry past maxEvents as full, but still finds one already there', async () => {
    const store = new DynamoDigestStore(await freshTable());
    for (const n of [1, 2, 3]) expect((await store.append('4000.0', event(n), 3)).outcome).toBe('appended');
    expect(await store.append('4000.0', event(4), 3)).toEqual({ outcome: 'full' });
    expect((await store.append('4000.0', event(2), 3)).outcome).toBe('present');
    expect((await store.seal('4000.0')).events.map((e) => e.id)).toEqual(['job-1', 'job-2', 'job-3']);
  });

  it('takes exactly maxEvents of many concurrent appends', async () => {
    const store = new DynamoDigestStore(await freshTable());
    const results = await Promise.all(Array.from({ length: 30 }, (_, n) => store.append('4500.0', event(n), 10)));
    expect(results.filter((r) => r.outcome === 'appended')).toHaveLength(10);
    expect(results.filter((r) => r.outcome === 'full')).toHaveLength(20);
    expect((await store.seal('4500.0')).events).toHaveLength(10);
  });

  it('seals once: later appends are refused as sealed, a redelivered one is present', async () => {
    const options = await freshTable();
    const store = new DynamoDigestStore(options);
    await store.append('5000.0', event(1), 10);
    await store.append('5000.0', event(2), 10);
    const sealedAt = clock;
    const window = await store.seal('5000.0');
    expect(window).toEqual({
      events: [event(1), event(2)],
      opener: 'job-1',
      openedAt: expect.any(Number),
      sealed: true,
    });
    expect(await store.append('5000.0', event(3), 10)).toEqual({ outcome: 'sealed' });
    expect(await store.append('5000.0', event(1), 10)).toEqual({ outcome: 'present', window });
    clock += 10_000;
    expect(await store.seal('5000.0')).toEqual(window);
    expect((await rawItem(options, 'digest', '5000.0'))?.sealedAt).toEqual({ N: String(sealedAt) });
  });

  it('reports a window both sealed and full as sealed', async () => {
    const store = new DynamoDigestStore(await freshTable());
    await store.append('6000.0', event(1), 1);
    await store.seal('6000.0');
    expect(await store.append('6000.0', event(2), 1)).toEqual({ outcome: 'sealed' });
  });

  it('seals a window nobody appended to as empty, and refuses appends to it', async () => {
    const store = new DynamoDigestStore(await freshTable());
    expect(await store.seal('6500.0')).toEqual({ events: [], opener: '', openedAt: expect.any(Number), sealed: true });
    expect(await store.append('6500.0', event(1), 10)).toEqual({ outcome: 'sealed' });
  });

  it('holds exactly the entries appended before a seal that races them', async () => {
    const store = new DynamoDigestStore(await freshTable());
    const entries = Array.from({ length: 40 }, (_, n) => event(n));
    expect((await store.append('7000.0', entries[0]!, 300)).outcome).toBe('appended');
    const appends = entries
      .slice(1)
      .map((entry, n) =>
        new Promise((resolve) => setTimeout(resolve, n % 5)).then(() => store.append('7000.0', entry, 300)),
      );
    const sealing = new Promise((resolve) => setTimeout(resolve, 2)).then(() => store.seal('7000.0'));
    const results = [{ outcome: 'appended' }, ...(await Promise.all(appends))];
    await sealing;
    const window = await store.seal('7000.0');
    const appended = entries.filter((_, n) => results[n]!.outcome === 'appended').map((e) => e.id);
    expect(results.every((r) => r.outcome === 'appended' || r.outcome === 'sealed')).toBe(true);
    expect(window.events.map((e) => e.id).sort()).toEqual(appended.sort());
  });

  it('leaves out an entry that no longer parses rather than failing the window', async () => {
    const options = await freshTable();
    const store = new DynamoDigestStore(options);
    await store.append('8000.0', event(1), 10);
    await client.send(
      new UpdateItemCommand({
        TableName: options.tableName,
        Key: { pk: { S: 'digest' }, sk: { S: '8000.0' } },
        UpdateExpression: 'SET events = list_append(events, :bad)',
        ExpressionAttributeValues: { ':bad': { L: [{ S: 'not json' }, { S: '{"id":"x"}' }, { N: '5' }] } },
      }),
    );
    await store.append('8000.0', event(2), 10);
    expect(await store.seal('8000.0')).toEqual({
      events: [event(1), event(2)],
      opener: 'job-1',
      openedAt: expect.any(Number),
      sealed: true,
    });
  });
});

const MESSAGE: BroadcastMessage = {
  text: 'Big news: the bot has a new feature',
  entities: [{ type: 'bold', offset: 0, length: 8 }],
};
const draft = (id: string, total = 100) => ({
  id,
  message: MESSAGE,
  adminChatId: -100_777,
  progressMessageId: 55,
  lang: 'zh' as const,
  total,
});

describe('DynamoBroadcastStore', () => {
  it('creates a broadcast as running with nothing queued or counted', async () => {
    const options = await freshTable();
    const store = new DynamoBroadcastStore(options);
    const expected: Broadcast = {
      ...draft('b1'),
      status: 'running',
      queued: 0,
      pagingDone: false,
      counts: { sent: 0, blocked: 0, failed: 0 },
      progressAt: 0,
    };
    expect(await store.create(draft('b1'))).toEqual(expected);
    expect(await store.get('b1')).toEqual(expected);
    expect((await rawItem(options, 'broadcast', 'b1'))?.expiresAt).toEqual({ N: String(nowSeconds() + 30 * 86_400) });
  });

  it('keeps the first broadcast when one is created again with the same id', async () => {
    const store = new DynamoBroadcastStore(await freshTable());
    const first = await store.create(draft('b2', 100));
    await store.count('b2', 'sent');
    const again = await store.create({ ...draft('b2', 999), message: { text: 'other', entities: [] } });
    expect(again).toEqual({ ...first, counts: { sent: 1, blocked: 0, failed: 0 } });
  });

  it('reads an unknown broadcast as undefined', async () => {
    const store = new DynamoBroadcastStore(await freshTable());
    expect(await store.get('nope')).toBeUndefined();
  });

  it('reads a broadcast whose stored message or status is unreadable as undefined', async () => {
    const options = await freshTable();
    const store = new DynamoBroadcastStore(options);
    await store.create(draft('b3'));
    const corrupt = async (name: string, value: { S: string }) => {
      await client.send(
        new UpdateItemCommand({
          TableName: options.tableName,
          Key: { pk: { S: 'broadcast' }, sk: { S: 'b3' } },
          UpdateExpression: 'SET #name = :value',
          ExpressionAttributeNames: { '#name': name },
          ExpressionAttributeValues: { ':value': value },
        }),
      );
    };
    await corrupt('status', { S: 'paused' });
    expect(await store.get('b3')).toBeUndefined();
    await expect(store.count('b3', 'sent')).rejects.toThrow(/unreadable/);
    await corrupt('status', { S: 'running' });
    await corrupt('message', { S: '{"text":' });
    expect(await store.get('b3')).toBeUndefined();
  });

  it('counts each page once, however often it is delivered, and marks paging done on the last', async () => {
    const store = new DynamoBroadcastStore(await freshTable());
    await store.create(draft('b4'));
    await store.addPage('b4', 0, 50, false);
    await store.addPage('b4', 0, 50, false);
    await Promise.all(Array.from({ length: 10 }, () => store.addPage('b4', 1, 40, false)));
    expect(await store.get('b4')).toMatchObject({ queued: 90, pagingDone: false });
    await store.addPage('b4', 2, 7, true);
    await store.addPage('b4', 2, 7, true);
    expect(await store.get('b4')).toMatchObject({ queued: 97, pagingDone: true });
  });

  it('counts an empty last page as paging done', async () => {
    const store = new DynamoBroadcastStore(await freshTable());
    await store.create(draft('b5'));
    await store.addPage('b5', 0, 0, true);
    expect(await store.get('b5')).toMatchObject({ queued: 0, pagingDone: true });
  });

  it('ignores a page of an unknown broadcast, creating nothing', async () => {
    const options = await freshTable();
    const store = new DynamoBroadcastStore(options);
    await store.addPage('ghost', 0, 10, true);
    expect(await rawItem(options, 'broadcast', 'ghost')).toBeUndefined();
  });

  it('counts 100 concurrent outcomes exactly, each caller seeing its own step', async () => {
    const store = new DynamoBroadcastStore(await freshTable());
    await store.create(draft('b6'));
    const outcomes: SendOutcome[] = Array.from({ length: 100 }, (_, n) =>
      n % 10 === 0 ? 'failed' : n % 4 === 0 ? 'blocked' : 'sent',
    );
    const after = await Promise.all(outcomes.map((outcome) => store.count('b6', outcome)));
    const expected = {
      sent: outcomes.filter((o) => o === 'sent').length,
      blocked: outcomes.filter((o) => o === 'blocked').length,
      failed: outcomes.filter((o) => o === 'failed').length,
    };
    expect((await store.get('b6'))?.counts).toEqual(expected);
    // Exactly one caller sees the last send settle: the one that may finish the broadcast.
    expect(after.map(settled).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, n) => n + 1));
  });

  it('refuses to count for an unknown broadcast, creating nothing', async () => {
    const options = await freshTable();
    const store = new DynamoBroadcastStore(options);
    await expect(store.count('ghost', 'sent')).rejects.toThrow();
    expect(await rawItem(options, 'broadcast', 'ghost')).toBeUndefined();
  });

  it('cancels a running broadcast once; a cancelled one cannot finish', async () => {
    const store = new DynamoBroadcastStore(await freshTable());
    await store.create(draft('b7'));
    expect(await store.cancel('b7')).toBe(true);
    expect((await store.get('b7'))?.status).toBe('cancelled');
    expect(await store.cancel('b7')).toBe(false);
    expect(await store.finish('b7')).toBe(false);
    expect((await store.get('b7'))?.status).toBe('cancelled');
  });

  it('finishes a running broadcast for exactly one of many concurrent callers; a done one cannot be cancelled', async () => {
    const store = new DynamoBroadcastStore(await freshTable());
    await store.create(draft('b8'));
    const results = await Promise.all(Array.from({ length: 10 }, () => store.finish('b8')));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.get('b8'))?.status).toBe('done');
    expect(await store.cancel('b8')).toBe(false);
    expect((await store.get('b8'))?.status).toBe('done');
  });

  it('neither cancels nor finishes an unknown broadcast, creating nothing', async () => {
    const options = await freshTable();
    const store = new DynamoBroadcastStore(options);
    expect(await store.cancel('ghost')).toBe(false);
    expect(await store.finish('ghost')).toBe(false);
    expect(await rawItem(options, 'broadcast', 'ghost')).toBeUndefined();
  });

  it('lets one caller claim progress at most once per interval', async () => {
    const store = new DynamoBroadcastStore(await freshTable());
    await store.create(draft('b9'));
    const start = clock;
    expect(await store.claimProgress('b9', 3_000)).toBe(true);
    expect(await store.claimProgress('b9', 3_000)).toBe(false);
    clock = start + 2_999;
    expect(await store.claimProgress('b9', 3_000)).toBe(false);
    clock = start + 3_000;
    expect(await store.claimProgress('b9', 3_000)).toBe(true);
    clock = start + 10_000;
    const results = await Promise.all(Array.from({ length: 10 }, () => store.claimProgress('b9', 3_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.get('b9'))?.progressAt).toBe(start + 10_000);
    clock = start + 12_999;
    expect(await store.claimProgress('b9', 3_000)).toBe(false);
  });

  it('claims no progress for an unknown broadcast', async () => {
    const options = await freshTable();
    const store = new DynamoBroadcastStore(options);
    expect(await store.claimProgress('ghost', 1_000)).toBe(false);
    expect(await rawItem(options, 'broadcast', 'ghost')).toBeUndefined();
  });

  it('keeps broadcasts apart', async () => {
    const store = new DynamoBroadcastStore(await freshTable());
    await store.create(draft('x1'));
    await store.create(draft('x2', 5));
    await store.count('x1', 'blocked');
    await store.cancel('x2');
    expect(await store.get('x1')).toMatchObject({ status: 'running', total: 100, counts: { blocked: 1 } });
    expect(await store.get('x2')).toMatchObject({ status: 'cancelled', total: 5, counts: { blocked: 0 } });
  });
});

describe('DynamoDB notify stores', () => {
  it('fail as transient, leaking no SDK error, when the table is unreachable', async () => {
    const options = { ...(await freshTable()), tableName: 'no-such-table' };
    await expect(new DynamoChatPace(options).load(1)).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
    await expect(new DynamoUserDirectory(options).countActive()).rejects.toMatchObject({
      code: 'dynamodb.unavailable',
    });
    await expect(new DynamoUserDirectory(options).activePage(null, 5)).rejects.toMatchObject({
      code: 'dynamodb.unavailable',
    });
    await expect(new DynamoDigestStore(options).append('1.0', event(1), 5)).rejects.toMatchObject({
      code: 'dynamodb.unavailable',
    });
    await expect(new DynamoBroadcastStore(options).claimProgress('b', 5)).rejects.toMatchObject({
      code: 'dynamodb.unavailable',
    });
  });
});
