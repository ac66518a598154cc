import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeBase58 } from '../../../../core/desk/solana/address.js';
import { DynamoWatchStore } from '../../../../core/desk/watches/dynamodb-store.js';
import { watchHandlers } from '../../../../core/desk/watches/handlers.js';
import { WatchPollJob } from '../../../../core/desk/watches/jobs.js';
import type { Watcher } from '../../../../core/desk/watches/store.js';
import { createConsumer } from '../../../../core/platform/jobs/consumer.js';
import { type JobEnvelope, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { UNLIMITED } from '../../../../core/platform/quotas/index.js';
import { ensureTable, type LocalDynamoDb } from '../../../../local/aws/dynamodb.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { externalEndpoint, type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { FakeSolana } from '../../../helpers/solana-fake.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

let db: LocalDynamoDb;
let local: LocalTable;
let client: DynamoDBClient;
let clock = 1_700_000_000_000;
let tables = 0;

beforeAll(async () => {
  local = await startLocalTable('watch-test');
  ({ db, client } = local);
});
afterAll(async () => {
  await local.stop();
});

/** A store on a table of its own: the watch set is one partition, so tests must not share it. */
async function freshStore(): Promise<DynamoWatchStore> {
  const tableName = `watch-${++tables}`;
  await ensureTable(client, tableName);
  return new DynamoWatchStore({ client, tableName, now: () => clock });
}

const addressOf = (index: number) =>
  encodeBase58(Uint8Array.from({ length: 32 }, (_, i) => (index * 31 + i * 7 + 1) % 256));
const watcher = (chatId: number, lang: 'en' | 'zh' = 'en', thresholdLamports = 0n): Watcher => ({
  chatId,
  userId: chatId + 1000,
  lang,
  thresholdLamports,
});

async function listAll(store: DynamoWatchStore, limit: number) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listAddresses(cursor, limit);
    pages.push(page.addresses);
    cursor = page.next;
  } while (cursor !== undefined);
  return pages;
}

describe('DynamoWatchStore', () => {
  it('lists every watched address once, page by page', async () => {
    const store = await freshStore();
    const addresses = Array.from({ length: 25 }, (_, i) => addressOf(i));
    await Promise.all(addresses.map((address) => store.addWatcher(address, watcher(1))));
    await store.addWatcher(addresses[0]!, watcher(2));
    const pages = await listAll(store, 10);
    expect(pages.map((page) => page.length).filter((n) => n > 0)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual([...addresses].sort());
  });

  it('lists when each address’s snapshot last moved, and nothing for one not seen yet', async () => {
    const store = await freshStore();
    const [seen, unseen] = [addressOf(1), addressOf(2)];
    await store.addWatcher(seen, watcher(1));
    await store.addWatcher(unseen, watcher(1));
    const movedAt = clock;
    expect(await store.updateSnapshot(seen, 0, 5n)).toBe(true);
    const page = await store.listAddresses(undefined, 10);
    expect([...page.changedAt]).toEqual([[seen, movedAt]]);
    expect(page.addresses).toEqual([seen, unseen].sort());
  });

  it('keeps the listed item small: the address only in its key (every poll reads every listed item)', async () => {
    const store = await freshStore();
    const address = addressOf(3);
    await store.addWatcher(address, watcher(1));
    expect(await store.updateSnapshot(address, 0, 5n)).toBe(true);
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: `watch-${tables}`,
        Key: { pk: { S: 'watchset' }, sk: { S: `addr#${address}` } },
      }),
    );
    expect(Object.keys(Item ?? {}).sort()).toEqual(['chats', 'lamports', 'pk', 'sk', 'updatedAt', 'version']);
  });

  it('keeps an address listed while, and only while, someone watches it', async () => {
    const store = await freshStore();
    const [address, other] = [addressOf(1), addressOf(2)];
    await store.addWatcher(address, watcher(1));
    await store.addWatcher(address, watcher(2, 'zh', 5n));
    await store.addWatcher(other, watcher(1, 'en', 7n));
    expect(await store.watchers(address)).toEqual([watcher(1), watcher(2, 'zh', 5n)]);
    expect(await store.watchlist(1)).toEqual(
      [
        { address, thresholdLamports: 0n, lang: 'en' },
        { address: other, thresholdLamports: 7n, lang: 'en' },
      ].sort((a, b) => a.address.localeCompare(b.address)),
    );

    expect(await store.removeWatcher(address, 1)).toBe(true);
    expect((await listAll(store, 10)).flat().sort()).toEqual([address, other].sort());
    expect(await store.watchers(address)).toEqual([watcher(2, 'zh', 5n)]);
    expect(await store.watchlist(1)).toEqual([{ address: other, thresholdLamports: 7n, lang: 'en' }]);

    expect(await store.removeWatcher(address, 2)).toBe(true);
    expect(await store.removeWatcher(address, 2)).toBe(false);
    expect((await listAll(store, 10)).flat()).toEqual([other]);
    expect(await store.watchers(address)).toEqual([]);
    expect(await store.snapshots([address, other])).toEqual(new Map([[other, null]]));
  });

  it('updates a chat’s watch in place when it watches the same address again', async () => {
    const store = await freshStore();
    const address = addressOf(3);
    await store.addWatcher(address, watcher(1));
    await store.addWatcher(address, watcher(1, 'zh', 9n));
    expect(await store.watchers(address)).toEqual([watcher(1, 'zh', 9n)]);
    expect(await store.watchlist(1)).toEqual([{ address, thresholdLamports: 9n, lang: 'zh' }]);
    expect(await store.removeWatcher(address, 1)).toBe(true);
    expect((await listAll(store, 10)).flat()).toEqual([]);
  });

  it('moves a snapshot only from the version it expects', async () => {
    const store = await freshStore();
    const address = addressOf(4);
    await store.addWatcher(address, watcher(1));
    expect(await store.snapshots([address])).toEqual(new Map([[address, null]]));

    expect(await store.updateSnapshot(address, 0, 5n)).toBe(true);
    expect(await store.updateSnapshot(address, 0, 6n)).toBe(false);
    const first = (await store.snapshots([address])).get(address);
    expect(first).toEqual({ lamports: 5n, version: clock });

    expect(await store.updateSnapshot(address, first!.version, 7n)).toBe(true);
    expect(await store.updateSnapshot(address, first!.version, 8n)).toBe(false);
    // The clock has not moved: the version still grows.
    expect((await store.snapshots([address])).get(address)).toEqual({ lamports: 7n, version: clock + 1 });
  });

  it('lets exactly one of several writers that saw the same version move the snapshot', async () => {
    const store = await freshStore();
    const address = addressOf(5);
    await store.addWatcher(address, watcher(1));
    const results = await Promise.all(
      [1n, 2n, 3n, 4n, 5n].map((lamports) => store.updateSnapshot(address, 0, lamports)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('never resurrects an address nobody watches, and starts over when it is watched again', async () => {
    const store = await freshStore();
    const address = addressOf(6);
    expect(await store.updateSnapshot(address, 0, 1n)).toBe(false);
    expect(await store.snapshots([address])).toEqual(new Map());
    await store.addWatcher(address, watcher(1));
    await store.updateSnapshot(address, 0, 1n);
    const before = (await store.snapshots([address])).get(address)!;
    await store.removeWatcher(address, 1);
    expect(await store.updateSnapshot(address, before.version, 2n)).toBe(false);
    expect((await listAll(store, 10)).flat()).toEqual([]);

    clock += 60_000;
    await store.addWatcher(address, watcher(1));
    expect(await store.snapshots([address])).toEqual(new Map([[address, null]]));
    await store.updateSnapshot(address, 0, 1n);
    expect((await store.snapshots([address])).get(address)!.version).toBeGreaterThan(before.version);
  });

  it('reads only the snapshots asked for, whatever other addresses lie between them', async () => {
    const store = await freshStore();
    const addresses = Array.from({ length: 7 }, (_, i) => addressOf(i + 40)).sort();
    for (const [i, address] of addresses.entries()) {
      await store.addWatcher(address, watcher(900 + i));
      await store.updateSnapshot(address, 0, BigInt(i + 1));
    }
    const asked = [addresses[5]!, addresses[1]!, addresses[3]!];
    const found = await store.snapshots(asked);
    expect([...found.keys()].sort()).toEqual([...asked].sort());
    expect(found.get(addresses[3]!)?.lamports).toBe(4n);
  });

  it('reads at most 100 snapshots at a time', async () => {
    const store = await freshStore();
    await expect(store.snapshots(Array.from({ length: 101 }, (_, i) => addressOf(i)))).rejects.toThrow(RangeError);
  });

  it.skipIf(externalEndpoint)('reports an unreachable DynamoDB as a transient error', async () => {
    const store = await freshStore();
    await db.stop();
    try {
      await expect(store.listAddresses(undefined, 10)).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
      await expect(store.hotAddresses(clock)).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
      await expect(store.addWatcher(addressOf(1), watcher(1))).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
      await expect(store.updateSnapshot(addressOf(1), 0, 1n)).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
      await expect(store.snapshots([addressOf(1)])).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
    } finally {
      await db.start();
    }
  });
});

describe('watch.poll and watch.check on DynamoDB', () => {
  it('reads 250 addresses in 3 calls and notifies each watcher of a change once', async () => {
    const store = await freshStore();
    const solana = new FakeSolana();
    const queue = new MemoryJobQueue();
    const consume = createConsumer(
      [...watchHandlers({ store, solana, queue, pollMinutes: 1, quota: UNLIMITED })],
      memoryLogger(),
    );
    const deliver = async (envelopes: readonly JobEnvelope[]) =>
      (
        await consume(
          envelopes.map((envelope, i) => ({
            messageId: `m${i}`,
            receiptHandle: 'r',
            body: JSON.stringify(envelope),
            attributes: { ApproximateReceiveCount: '1' },
          })),
        )
      ).batchItemFailures;
    const round = async (id: string) => {
      const [poll] = sealJobs([{ job: WatchPollJob, payload: {}, chatId: null, userId: null }], {
        idPrefix: id,
        traceId: id,
        // The store's clock: the snapshots it moved are minutes old, so every address is due.
        tenant: TEST_TENANT,
        now: new Date(clock),
      });
      const before = queue.sent.length;
      expect(await deliver([poll!.envelope])).toEqual([]);
      const checks = queue.sent.slice(before).map((j) => j.envelope);
      expect(checks).toHaveLength(3);
      expect(await deliver(checks)).toEqual([]);
      return checks;
    };
    const notices = () => queue.sent.filter((j) => j.envelope.type === 'telegram.send').map((j) => j.envelope);

    const addresses = Array.from({ length: 250 }, (_, i) => addressOf(i));
    for (const [i, address] of addresses.entries()) solana.wallet(address, BigInt(i + 1));
    await Promise.all(
      addresses.map(async (address, i) => {
        await store.addWatcher(address, watcher(1));
        await store.addWatcher(address, watcher(2, 'zh', i === 0 ? 10n : 0n));
      }),
    );
    const getAccounts = vi.spyOn(solana, 'getAccounts');

    await round('evt-1');
    expect(getAccounts).toHaveBeenCalledTimes(3);
    expect(notices()).toEqual([]);

    solana.wallet(addresses[0]!, 5n); // 1 → 5: below chat 2's threshold of 10
    solana.wallet(addresses[200]!, 1n);
    const checks = await round('evt-2');
    expect(getAccounts).toHaveBeenCalledTimes(6);
    expect(
      notices()
        .map((n) => n.chatId)
        .sort(),
    ).toEqual([1, 1, 2]);

    await deliver(checks);
    expect(notices()).toHaveLength(3);
  });
});
