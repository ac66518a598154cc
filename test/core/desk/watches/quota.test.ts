import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase58 } from '../../../../core/desk/solana/address.js';
import {
  DynamoWatchStore,
  WatchAddJob,
  WatchRemoveJob,
  type WatchStore,
  watchHandlers,
  watchId,
} from '../../../../core/desk/watches/index.js';
import { createConsumer } from '../../../../core/platform/jobs/consumer.js';
import { type JobDraft, type JobEnvelope, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { DynamoQuotaMeter, meteredQuota, PLANS, type Plan } from '../../../../core/platform/quotas/index.js';
import type { TelegramCall } from '../../../../core/platform/telegram/calls.js';
import { ensureTable } from '../../../../local/aws/dynamodb.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { FakeSolana } from '../../../helpers/solana-fake.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

let local: LocalTable;
let tables = 0;
beforeAll(async () => {
  local = await startLocalTable('watch-quota-test');
});
afterAll(async () => {
  await local.stop();
});

const addressOf = (index: number) =>
  encodeBase58(Uint8Array.from({ length: 32 }, (_, i) => (index * 31 + i * 7 + 1) % 256));
const CHATS = [501, 502] as const;
const withWatches = (limit: number): Plan => ({
  ...PLANS.free,
  limits: { ...PLANS.free.limits, watchedAddresses: limit },
});

/** A store that fails once when told to: before an add is written, or after a removal is. */
class CrashingStore {
  crash: 'add' | 'remove' | undefined;
  constructor(readonly inner: DynamoWatchStore) {}
  store(): WatchStore {
    const inner = this.inner;
    return Object.assign(Object.create(inner) as WatchStore, {
      addWatcher: async (...args: Parameters<WatchStore['addWatcher']>) => {
        if (this.crash === 'add') {
          this.crash = undefined;
          throw new Error('crash before the write');
        }
        return inner.addWatcher(...args);
      },
      removeWatcher: async (...args: Parameters<WatchStore['removeWatcher']>) => {
        const removed = await inner.removeWatcher(...args);
        if (this.crash === 'remove') {
          this.crash = undefined;
          throw new Error('crash after the write');
        }
        return removed;
      },
    });
  }
}

/** The watch jobs of one bot on the given plan, on a table of their own. */
async function setup(plan: Plan) {
  const tableName = `watch-quota-${++tables}`;
  await ensureTable(local.client, tableName);
  const stores = { client: local.client, tableName };
  const crashing = new CrashingStore(new DynamoWatchStore(stores));
  const meter = new DynamoQuotaMeter({ ...stores, plan });
  const queue = new MemoryJobQueue();
  const log = memoryLogger();
  const quota = meteredQuota({ meter, plan, tenant: TEST_TENANT, bot: 'desk_bot', operators: [7001], queue, log });
  const consume = createConsumer(
    [...watchHandlers({ store: crashing.store(), solana: new FakeSolana(), queue, pollMinutes: 1, quota })],
    log,
  );
  let delivery = 0;
  /** Delivers one job: true when the consumer settled it. */
  const deliver = async (envelope: JobEnvelope) =>
    (
      await consume([
        {
          messageId: `m${delivery++}`,
          receiptHandle: 'r',
          body: JSON.stringify(envelope),
          attributes: { ApproximateReceiveCount: '1' },
        },
      ])
    ).batchItemFailures.length === 0;
  let jobs = 0;
  const job = (draft: Omit<JobDraft, 'chatId' | 'userId'>, chatId: number) =>
    sealJobs([{ ...draft, chatId, userId: chatId } as JobDraft], {
      idPrefix: `job-${++jobs}`,
      traceId: 't',
      tenant: TEST_TENANT,
      now: new Date(),
    })[0]!.envelope;
  const add = (chatId: number, address: string) =>
    job({ job: WatchAddJob, payload: { address, thresholdLamports: '0', lang: 'en' } }, chatId);
  const remove = (chatId: number, address: string) =>
    job({ job: WatchRemoveJob, payload: { watch: watchId(address), lang: 'en' } }, chatId);
  const gauge = async () => (await meter.usage()).metrics.find((m) => m.metric === 'watchedAddresses')?.used;
  const watches = async () => {
    let count = 0;
    for (const chatId of CHATS) count += (await crashing.inner.watchlist(chatId)).length;
    return count;
  };
  const texts = () =>
    queue.sent
      .filter((j) => j.envelope.type === 'telegram.send' && j.envelope.chatId !== 7001)
      .flatMap((j) => (j.envelope.payload as { calls: TelegramCall[] }).calls.map((c) => String(c.params.text)));
  const operatorTexts = () =>
    queue.sent
      .filter((j) => j.envelope.type === 'telegram.send' && j.envelope.chatId === 7001)
      .flatMap((j) => (j.envelope.payload as { calls: TelegramCall[] }).calls.map((c) => String(c.params.text)));
  return { crashing, deliver, add, remove, gauge, watches, texts, operatorTexts };
}

describe('watches and the bot’s plan (watchedAddresses)', () => {
  it('holds one per new watch up to the limit, then refuses a new one with a clear answer and stores nothing', async () => {
    const t = await setup(withWatches(2));
    const [A, B, C] = [addressOf(1), addressOf(2), addressOf(3)];
    expect(await t.deliver(t.add(501, A))).toBe(true);
    expect(await t.gauge()).toBe(1);
    expect(await t.deliver(t.add(502, B))).toBe(true);
    expect(await t.gauge()).toBe(2);
    expect(await t.deliver(t.add(501, C))).toBe(true);
    expect(await t.gauge()).toBe(2);
    expect(await t.watches()).toBe(2);
    expect(t.texts().at(-1)).toBe(
      '👁 This bot cannot watch more addresses right now. Remove one of your watches in /watches, or try again later.',
    );
    expect(t.operatorTexts()).toHaveLength(1);
    expect(t.operatorTexts()[0]).toContain('2 watched addresses');
    // A watch already there still takes a new threshold at the limit.
    expect(await t.deliver(t.add(501, A))).toBe(true);
    expect(t.texts().at(-1)).toContain('Watching');
    // Removing one makes room.
    expect(await t.deliver(t.remove(501, A))).toBe(true);
    expect(await t.gauge()).toBe(1);
    expect(await t.deliver(t.add(501, C))).toBe(true);
    expect(await t.gauge()).toBe(2);
    expect(await t.watches()).toBe(2);
  });

  it('moves the gauge once for a redelivered add or remove, a crash between the hold and the write included', async () => {
    const t = await setup(withWatches(5));
    const A = addressOf(4);
    const add = t.add(501, A);
    t.crashing.crash = 'add';
    expect(await t.deliver(add)).toBe(false);
    expect(await t.deliver(add)).toBe(true);
    expect(await t.deliver(add)).toBe(true);
    expect([await t.gauge(), await t.watches()]).toEqual([1, 1]);
    const remove = t.remove(501, A);
    t.crashing.crash = 'remove';
    expect(await t.deliver(remove)).toBe(false);
    expect(await t.deliver(remove)).toBe(true);
    expect(await t.deliver(remove)).toBe(true);
    expect([await t.gauge(), await t.watches()]).toEqual([0, 0]);
  });

  it('a forged or stale Remove button gives nothing back', async () => {
    const t = await setup(withWatches(5));
    await t.deliver(t.add(501, addressOf(5)));
    await t.deliver(t.remove(501, addressOf(6)));
    await t.deliver(t.remove(502, addressOf(5)));
    expect([await t.gauge(), await t.watches()]).toEqual([1, 1]);
  });

  it('property: over random adds, removes, crashes and redeliveries, the gauge is the number of watches', async () => {
    const step = fc.record({
      kind: fc.constantFrom('add', 'remove', 'redeliver'),
      chat: fc.constantFrom(...CHATS),
      address: fc.integer({ min: 0, max: 3 }),
      crash: fc.boolean(),
      pick: fc.nat(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const t = await setup(withWatches(3));
        const delivered: JobEnvelope[] = [];
        for (const s of steps) {
          const job =
            s.kind === 'redeliver'
              ? delivered[s.pick % Math.max(1, delivered.length)]
              : s.kind === 'add'
                ? t.add(s.chat, addressOf(s.address))
                : t.remove(s.chat, addressOf(s.address));
          if (!job) continue;
          if (s.crash) t.crashing.crash = job.type === WatchAddJob.type ? 'add' : 'remove';
          // A crashed job comes back (SQS redelivery) until it is settled.
          while (!(await t.deliver(job))) {}
          t.crashing.crash = undefined;
          delivered.push(job);
          expect(await t.gauge()).toBe(await t.watches());
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
