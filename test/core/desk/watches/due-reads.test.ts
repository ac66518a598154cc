import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase58 } from '../../../../core/desk/solana/address.js';
import { HOT_MS, isDue, WATCH_CADENCE } from '../../../../core/desk/watches/cadence.js';
import { DynamoWatchStore } from '../../../../core/desk/watches/dynamodb-store.js';
import { watchHandlers } from '../../../../core/desk/watches/handlers.js';
import { WatchPollJob } from '../../../../core/desk/watches/jobs.js';
import { createConsumer } from '../../../../core/platform/jobs/consumer.js';
import { type JobEnvelope, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { UNLIMITED } from '../../../../core/platform/quotas/index.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import { ensureTable } from '../../../../local/aws/dynamodb.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { FakeSolana } from '../../../helpers/solana-fake.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

let local: LocalTable;
let counted: DynamoDBClient;
/** Items the counted client's queries read (`ScannedCount`), per partition. */
const scanned = new Map<string, number>();
let tables = 0;

beforeAll(async () => {
  local = await startLocalTable('watch-due');
  counted = new DynamoDBClient({ ...localClientConfig(local.db.endpoint), maxAttempts: 1 });
  counted.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const input = args.input as { ExpressionAttributeValues?: Record<string, { S?: string }> };
      const output = result.output as { ScannedCount?: number };
      const pk = input.ExpressionAttributeValues?.[':pk']?.S;
      if (pk !== undefined && output.ScannedCount !== undefined) {
        scanned.set(pk, (scanned.get(pk) ?? 0) + output.ScannedCount);
      }
      return result;
    },
    { step: 'initialize', name: 'scanCounter' },
  );
});
afterAll(async () => {
  counted.destroy();
  await local.stop();
});

/** Valid addresses, one per first character found among the first few thousand (Solana keys start unevenly). */
const POOL = (() => {
  const byFirst = new Map<string, string[]>();
  for (let i = 0; i < 4000; i++) {
    const address = encodeBase58(Uint8Array.from({ length: 32 }, (_, j) => (i * 131 + j * 17 + (i >> 3) * j) % 256));
    const list = byFirst.get(address[0]!) ?? [];
    if (list.length < 2) byFirst.set(address[0]!, [...list, address]);
  }
  return [...byFirst.values()].flat().sort();
})();

/** Whether a quiet address may be due at `at`, whatever its quiet cadence: it lies in a span the poll reads. */
const inDueSpan = (address: string, at: number, pollMs: number) =>
  WATCH_CADENCE.some(({ quietMs }) => isDue(address, at - quietMs, at, pollMs));

async function world(pollMinutes: number, start: number) {
  const clock = { now: start };
  const tableName = `due-${++tables}`;
  await ensureTable(local.client, tableName);
  const store = new DynamoWatchStore({ client: counted, tableName, now: () => clock.now });
  const truth = new DynamoWatchStore({ client: local.client, tableName, now: () => clock.now });
  const solana = new FakeSolana();
  for (const address of POOL) solana.wallet(address, 1n);
  const queue = new MemoryJobQueue();
  const consume = createConsumer(
    [...watchHandlers({ store, solana, queue, pollMinutes, quota: UNLIMITED, now: () => new Date(clock.now) })],
    memoryLogger(),
  );
  let delivered = 0;
  const deliver = async (envelopes: readonly JobEnvelope[]) =>
    (
      await consume(
        envelopes.map((envelope) => ({
          messageId: `m${delivered++}`,
          receiptHandle: 'r',
          body: JSON.stringify(envelope),
          attributes: { ApproximateReceiveCount: '1' },
        })),
      )
    ).batchItemFailures;
  /** Every watched address and when its snapshot last moved, read unmetered. */
  const watched = async () => {
    const page = await truth.listAddresses(undefined, 1000);
    return { addresses: page.addresses, changedAt: page.changedAt };
  };
  const hotEntries = async () =>
    (
      await local.client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'watchhot' } },
          Select: 'COUNT',
        }),
      )
    ).Count ?? 0;
  /** The poll at the clock's time, then its checks: what it checked, and what its listing read. */
  const poll = async (id: string) => {
    const [job] = sealJobs([{ job: WatchPollJob, payload: {}, chatId: null, userId: null }], {
      idPrefix: id,
      traceId: id,
      tenant: TEST_TENANT,
      now: new Date(clock.now),
    });
    const before = queue.sent.length;
    scanned.clear();
    expect(await deliver([job!.envelope])).toEqual([]);
    const reads = { list: scanned.get('watchset') ?? 0, hot: scanned.get('watchhot') ?? 0 };
    const checks = queue.sent.slice(before).map((j) => j.envelope);
    expect(await deliver(checks)).toEqual([]);
    const checked = new Set(checks.flatMap((c) => (c.payload as { addresses: string[] }).addresses));
    return { checked, reads };
  };
  return { clock, store, solana, watched, hotEntries, poll };
}

type Op =
  | { kind: 'add'; address: number; chat: number }
  | { kind: 'remove'; address: number; chat: number }
  | { kind: 'move'; address: number; lamports: number }
  | { kind: 'poll'; after: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    address: fc.nat(POOL.length - 1),
    chat: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('remove' as const),
    address: fc.nat(POOL.length - 1),
    chat: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('move' as const),
    address: fc.nat(POOL.length - 1),
    lamports: fc.integer({ min: 1, max: 5 }),
  }),
  // Mostly the next minute or two; sometimes an hour or days later, so addresses go quiet.
  fc.record({
    kind: fc.constant('poll' as const),
    after: fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 3 }).map((m) => m * MINUTE), weight: 4 },
      { arbitrary: fc.integer({ min: 55 * MINUTE, max: 3 * DAY }), weight: 1 },
    ),
  }),
);

describe('watch.poll on DynamoDB: reads follow what is due', () => {
  it('checks every address its cadence makes due at each poll, reading only the hot list and the due spans', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 5, maxLength: 30 }),
        fc.constantFrom(1, 5),
        fc.integer({ min: 0, max: 15 * MINUTE }),
        async (ops, pollMinutes, offset) => {
          const pollMs = pollMinutes * MINUTE;
          const w = await world(pollMinutes, 1_800_000_000_000 + offset);
          let polls = 0;
          for (const step of ops) {
            const address = step.kind === 'poll' ? '' : POOL[step.address]!;
            if (step.kind === 'add') {
              await w.store.addWatcher(address, {
                chatId: step.chat,
                userId: step.chat,
                lang: 'en',
                thresholdLamports: 0n,
              });
            } else if (step.kind === 'remove') {
              await w.store.removeWatcher(address, step.chat);
            } else if (step.kind === 'move') {
              w.solana.wallet(address, BigInt(step.lamports));
            } else {
              w.clock.now += step.after;
              const at = w.clock.now;
              const { addresses, changedAt } = await w.watched();
              const hot = await w.hotEntries();
              const { checked, reads } = await w.poll(`p${polls++}`);
              // None skipped: every address `isDue` names at this poll is checked.
              const due = addresses.filter((a) => isDue(a, changedAt.get(a), at, pollMs));
              expect(due.filter((a) => !checked.has(a))).toEqual([]);
              // The listing reads the addresses in the due spans, not the others; the hot list is read whole.
              expect(reads.list).toBe(addresses.filter((a) => inDueSpan(a, at, pollMs)).length);
              expect(reads.hot).toBe(hot);
              // The hot list holds at most the addresses that moved or were watched anew lately.
              const lately = addresses.filter((a) => {
                const moved = changedAt.get(a);
                return moved === undefined || at - moved < HOT_MS + step.after;
              });
              expect(hot).toBeLessThanOrEqual(lately.length + POOL.length - addresses.length);
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);

  it('lists a quiet watch list a few spans at a time: each address at most 4 times in 15 polls a minute apart', async () => {
    const start = 1_800_000_000_000;
    const w = await world(1, start);
    for (const [i, address] of POOL.entries()) {
      await w.store.addWatcher(address, { chatId: i + 1, userId: i + 1, lang: 'en', thresholdLamports: 0n });
    }
    await w.poll('first'); // first sightings: every address moved now, and is hot for an hour
    w.clock.now += 2 * DAY;
    await w.poll('cooled'); // finds the hot list cooled down, and removes it
    let listed = 0;
    let checked = 0;
    const hotReads: number[] = [];
    for (let m = 1; m <= 15; m++) {
      w.clock.now += MINUTE;
      const poll = await w.poll(`quiet-${m}`);
      listed += poll.reads.list;
      checked += poll.checked.size;
      hotReads.push(poll.reads.hot);
    }
    // Day-quiet: each address checked once, listed in a 5-minute span 3 times and its 15-minute one once at most.
    expect(checked).toBe(POOL.length);
    expect(listed).toBeGreaterThanOrEqual(POOL.length);
    expect(listed).toBeLessThanOrEqual(4 * POOL.length);
    expect(hotReads).toEqual(Array(15).fill(0));
    // One address moves: hot, so checked at every poll for an hour, and the hot list holds just it.
    w.solana.wallet(POOL[0]!, 42n);
    const seen: boolean[] = [];
    for (let m = 1; m <= 20; m++) {
      w.clock.now += MINUTE;
      seen.push((await w.poll(`moved-${m}`)).checked.has(POOL[0]!));
    }
    const firstSeen = seen.indexOf(true);
    expect(firstSeen).toBeGreaterThanOrEqual(0);
    expect(seen.slice(firstSeen).every(Boolean)).toBe(true);
    expect(await w.hotEntries()).toBe(1);
  }, 60_000);

  it('reads scattered snapshots a page from each, not the watch list between them', async () => {
    const w = await world(1, 1_800_000_000_000);
    for (const [i, address] of POOL.entries()) {
      await w.store.addWatcher(address, { chatId: i + 1, userId: i + 1, lang: 'en', thresholdLamports: 0n });
      await w.store.updateSnapshot(address, 0, BigInt(i + 1));
    }
    const asked = [POOL[0]!, POOL[50]!, POOL.at(-1)!];
    scanned.clear();
    const found = await w.store.snapshots(asked);
    expect([...found.keys()].sort()).toEqual([...asked].sort());
    expect(found.get(POOL[50]!)?.lamports).toBe(51n);
    expect(scanned.get('watchset')).toBeLessThanOrEqual(3 * 32);
    expect(POOL.length).toBeGreaterThan(3 * 32);
  });

  it('clears an address from the hot list with its last watcher, and keeps a new one hot until a poll sees it', async () => {
    const w = await world(1, 1_800_000_000_000);
    const [a, b] = [POOL[3]!, POOL[60]!];
    await w.store.addWatcher(a, { chatId: 1, userId: 1, lang: 'en', thresholdLamports: 0n });
    await w.store.addWatcher(b, { chatId: 1, userId: 1, lang: 'en', thresholdLamports: 0n });
    await w.store.addWatcher(b, { chatId: 2, userId: 2, lang: 'en', thresholdLamports: 0n });
    await w.store.removeWatcher(b, 1);
    expect(await w.store.hotAddresses(w.clock.now + 3 * DAY)).toEqual([a, b].sort());
    await w.store.removeWatcher(b, 2);
    expect(await w.store.hotAddresses(w.clock.now)).toEqual([a]);
    w.clock.now += MINUTE;
    expect((await w.poll('seen')).checked).toEqual(new Set([a]));
    // Seen: hot for an hour from then, and the poll after that removes its entry.
    expect(await w.store.hotAddresses(w.clock.now + HOT_MS - 1)).toEqual([a]);
    expect(await w.hotEntries()).toBe(1);
    expect(await w.store.hotAddresses(w.clock.now + HOT_MS)).toEqual([]);
    expect(await w.hotEntries()).toBe(0);
  });
});
