import { DeleteItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../../../core/platform/errors.js';
import {
  type CounterMetric,
  chatNotice,
  DynamoQuotaMeter,
  GAUGE_METRICS,
  type GaugeMetric,
  MAX_NOTICES,
  METRICS,
  type Metric,
  OPERATOR_NOTICE,
  PLANS,
  type Plan,
} from '../../../../core/platform/quotas/index.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import { externalEndpoint, type LocalTable, startLocalTable } from '../../../helpers/local-table.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let local: LocalTable;
/**
 * Virtual time, starting on a UTC day boundary a few days ahead of the real time: the local
 * DynamoDB deletes items whose TTL is behind the real time, so windows must end in the future.
 */
let clock = Math.ceil(Date.now() / DAY) * DAY + 2 * DAY;

const plan = (limits: Partial<Plan['limits']> = {}): Plan => ({
  ...PLANS.free,
  limits: { ...PLANS.free.limits, ...limits },
});
const meter = (p: Plan = plan(), client: DynamoDBClient = local.client) =>
  new DynamoQuotaMeter({ client, tableName: local.tableName, plan: p, now: () => clock });

/** Moves to a fresh UTC day (so every window is new) and empties the gauges. */
async function freshWindows(): Promise<void> {
  clock = Math.floor(clock / DAY) * DAY + 7 * DAY;
  for (const metric of GAUGE_METRICS) {
    await local.client.send(
      new DeleteItemCommand({
        TableName: local.tableName,
        Key: { pk: { S: `usage#${metric}` }, sk: { S: 'used' } },
      }),
    );
  }
}

async function rawItem(pk: string, sk = 'used') {
  const { Item } = await local.client.send(
    new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
  );
  return Item;
}

const dayId = (ms: number) => new Date(ms).toISOString().replace(/\D/g, '').slice(0, 8);
const hourId = (ms: number) => new Date(ms).toISOString().replace(/\D/g, '').slice(0, 10);

beforeAll(async () => {
  local = await startLocalTable('quotas');
});
afterAll(() => local.stop());

describe('DynamoQuotaMeter under concurrency (property)', () => {
  type Op =
    | { kind: 'consume'; metric: CounterMetric; amount: number }
    | { kind: 'adjust'; metric: GaugeMetric; amount: number; release: boolean };
  const counter = fc.constantFrom<CounterMetric>('updatesPerHour', 'broadcastsPerDay', 'assistantQuestionsPerDay');
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('consume' as const), metric: counter, amount: fc.integer({ min: 1, max: 4 }) }),
    fc.record({
      kind: fc.constant('adjust' as const),
      metric: fc.constantFrom(...GAUGE_METRICS),
      amount: fc.integer({ min: 1, max: 4 }),
      release: fc.boolean(),
    }),
  );
  const limits = fc.record({
    updatesPerHour: fc.integer({ min: 0, max: 12 }),
    broadcastsPerDay: fc.integer({ min: 0, max: 12 }),
    assistantQuestionsPerDay: fc.integer({ min: 0, max: 12 }),
    storedBytes: fc.integer({ min: 0, max: 12 }),
    watchedAddresses: fc.integer({ min: 0, max: 12 }),
  });

  it('never lets used pass the limit, refuses only what would pass it, and counts exactly the accepted amounts', async () => {
    await fc.assert(
      fc.asyncProperty(limits, fc.array(op, { minLength: 1, maxLength: 30 }), async (limits, ops) => {
        await freshWindows();
        const m = meter(plan(limits));
        const accepted = new Map<Metric, number>(METRICS.map((metric) => [metric, 0]));
        const count = (metric: Metric, amount: number) => accepted.set(metric, accepted.get(metric)! + amount);
        // Every operation starts at once; a released gauge amount is given back once it was taken.
        await Promise.all(
          ops.map(async (o) => {
            if (o.kind === 'consume') {
              const result = await m.consume(o.metric, o.amount);
              expect(result.limit).toBe(limits[o.metric]);
              if (result.ok) {
                count(o.metric, o.amount);
                expect(result.used).toBeLessThanOrEqual(limits[o.metric]);
              } else {
                // A counter only grows within a window: it was too full then, and is still.
                expect(result.used + o.amount).toBeGreaterThan(limits[o.metric]);
              }
              return;
            }
            const taken = await m.adjust(o.metric, o.amount);
            if (!taken.ok) return;
            count(o.metric, o.amount);
            expect(taken.used).toBeLessThanOrEqual(limits[o.metric]);
            if (!o.release) return;
            const given = await m.adjust(o.metric, -o.amount);
            expect(given.ok).toBe(true);
            expect(given.used).toBeGreaterThanOrEqual(0);
            count(o.metric, -o.amount);
          }),
        );
        const usage = await m.usage();
        for (const { metric, used, limit } of usage.metrics) {
          expect(used, metric).toBe(accepted.get(metric));
          expect(used, metric).toBeLessThanOrEqual(limit);
        }
      }),
      { numRuns: 25, endOnFailure: true },
    );
  }, 120_000);
});

describe('DynamoQuotaMeter counters', () => {
  it('counts up to the limit, then refuses with the window end, changing nothing', async () => {
    await freshWindows();
    clock += 14 * HOUR + 20 * 60_000; // 14:20 UTC
    const m = meter(plan({ updatesPerHour: 3 }));
    expect(await m.consume('updatesPerHour')).toEqual({ ok: true, used: 1, limit: 3 });
    expect(await m.consume('updatesPerHour', 2)).toEqual({ ok: true, used: 3, limit: 3 });
    const windowEnd = Math.ceil(clock / HOUR) * HOUR;
    expect(await m.consume('updatesPerHour')).toEqual({ ok: false, used: 3, limit: 3, resetsAt: windowEnd });
    const item = await rawItem(`usage#updatesPerHour#${hourId(clock)}`);
    expect(item?.used?.N).toBe('3');
    // It expires (TTL) when its window ends.
    expect(item?.expiresAt?.N).toBe(String(windowEnd / 1000));
  });

  it('refuses an amount that would pass the limit but still takes one that fits', async () => {
    await freshWindows();
    const m = meter(plan({ broadcastsPerDay: 10 }));
    await m.consume('broadcastsPerDay', 8);
    expect(await m.consume('broadcastsPerDay', 3)).toMatchObject({ ok: false, used: 8 });
    expect(await m.consume('broadcastsPerDay', 2)).toEqual({ ok: true, used: 10, limit: 10 });
  });

  it('refuses more than the whole limit at once, even in an empty window, without writing', async () => {
    await freshWindows();
    const m = meter(plan({ assistantQuestionsPerDay: 2 }));
    expect(await m.consume('assistantQuestionsPerDay', 3)).toMatchObject({ ok: false, used: 0, limit: 2 });
    expect(await rawItem(`usage#assistantQuestionsPerDay#${hourId(clock).slice(0, 8)}`)).toBeUndefined();
  });

  it('starts again at 0 in the next window: the next UTC hour for updates, the next UTC day for the daily ones', async () => {
    await freshWindows();
    clock += 23 * HOUR;
    const m = meter(plan({ updatesPerHour: 1, broadcastsPerDay: 1 }));
    expect((await m.consume('updatesPerHour')).ok).toBe(true);
    expect((await m.consume('broadcastsPerDay')).ok).toBe(true);
    clock += HOUR - 1; // 23:59:59.999: still the same windows
    expect(await m.consume('updatesPerHour')).toMatchObject({ ok: false, resetsAt: clock + 1 });
    expect(await m.consume('broadcastsPerDay')).toMatchObject({ ok: false, resetsAt: clock + 1 });
    clock += 1; // 00:00 UTC: a new hour and a new day
    expect(await m.consume('updatesPerHour')).toEqual({ ok: true, used: 1, limit: 1 });
    expect(await m.consume('broadcastsPerDay')).toEqual({ ok: true, used: 1, limit: 1 });
    clock += HOUR; // 01:00: a new hour, the same day
    expect((await m.consume('updatesPerHour')).ok).toBe(true);
    expect(await m.consume('broadcastsPerDay')).toMatchObject({ ok: false, resetsAt: clock - HOUR + DAY });
  });

  it('refuses a consume of nothing, a fraction or a negative amount', async () => {
    const m = meter();
    for (const amount of [0, -1, 1.5, Number.NaN]) {
      await expect(m.consume('updatesPerHour', amount)).rejects.toBeInstanceOf(RangeError);
    }
  });
});

describe('DynamoQuotaMeter gauges', () => {
  it('takes increases up to the limit, refuses one past it, and never goes below 0', async () => {
    await freshWindows();
    const m = meter(plan({ watchedAddresses: 5 }));
    expect(await m.adjust('watchedAddresses', 4)).toEqual({ ok: true, used: 4, limit: 5 });
    expect(await m.adjust('watchedAddresses', 2)).toEqual({ ok: false, used: 4, limit: 5 });
    expect(await m.adjust('watchedAddresses', 0)).toEqual({ ok: true, used: 4, limit: 5 });
    expect(await m.adjust('watchedAddresses', -3)).toEqual({ ok: true, used: 1, limit: 5 });
    expect(await m.adjust('watchedAddresses', -3)).toEqual({ ok: true, used: 0, limit: 5 });
    expect(await m.adjust('watchedAddresses', -1)).toEqual({ ok: true, used: 0, limit: 5 });
    // A gauge has no window: it does not expire.
    expect((await rawItem('usage#watchedAddresses'))?.expiresAt).toBeUndefined();
  });

  it('stops at 0 when decreases race increases', async () => {
    await freshWindows();
    const m = meter(plan({ storedBytes: 1_000 }));
    const moves = [5, -7, 3, -2, -9, 4, 6, -1, -8, 2];
    const results = await Promise.all(moves.map((delta) => m.adjust('storedBytes', delta)));
    for (const result of results) expect(result.used).toBeGreaterThanOrEqual(0);
    const [after] = (await m.usage()).metrics.filter((u) => u.metric === 'storedBytes');
    expect(after!.used).toBeGreaterThanOrEqual(0);
    expect(after!.used).toBeLessThanOrEqual(20); // the increases' sum: nothing is counted twice
  });

  it('after a downgrade below what is held, refuses every increase and takes decreases', async () => {
    await freshWindows();
    await meter(plan({ storedBytes: 100 })).adjust('storedBytes', 90);
    const smaller = meter(plan({ storedBytes: 50 }));
    expect(await smaller.adjust('storedBytes', 1)).toEqual({ ok: false, used: 90, limit: 50 });
    expect(await smaller.adjust('storedBytes', -30)).toEqual({ ok: true, used: 60, limit: 50 });
  });

  it('refuses a fractional or non-finite delta', async () => {
    for (const delta of [0.5, Number.POSITIVE_INFINITY, Number.NaN]) {
      await expect(meter().adjust('storedBytes', delta)).rejects.toBeInstanceOf(RangeError);
    }
  });
});

describe('DynamoQuotaMeter named events (consumeOnce)', () => {
  it('counts each name once: within and at the limit, a repeated name accepted without counting, a new one over it refused', async () => {
    await freshWindows();
    clock += 9 * HOUR;
    const m = meter(plan({ broadcastsPerDay: 2 }));
    expect(await m.consumeOnce('broadcastsPerDay', 'b1')).toEqual({ ok: true, used: 1, limit: 2 });
    expect(await m.consumeOnce('broadcastsPerDay', 'b1')).toEqual({ ok: true, used: 1, limit: 2 });
    expect(await m.consumeOnce('broadcastsPerDay', 'b2')).toEqual({ ok: true, used: 2, limit: 2 });
    const dayEnd = Math.ceil(clock / DAY) * DAY;
    expect(await m.consumeOnce('broadcastsPerDay', 'b3')).toEqual({ ok: false, used: 2, limit: 2, resetsAt: dayEnd });
    // A redelivery of one counted before is still accepted at the limit.
    expect(await m.consumeOnce('broadcastsPerDay', 'b2')).toEqual({ ok: true, used: 2, limit: 2 });
    const marker = await rawItem(`usage#broadcastsPerDay#${dayId(clock)}`, 'counted#b1');
    expect(marker?.expiresAt?.N).toBe(String(dayEnd / 1000));
    // The next day counts afresh.
    clock += DAY;
    expect(await m.consumeOnce('broadcastsPerDay', 'b3')).toEqual({ ok: true, used: 1, limit: 2 });
  });

  it('refuses every new name on a limit of 0, writing nothing', async () => {
    await freshWindows();
    const m = meter(plan({ assistantQuestionsPerDay: 0 }));
    expect((await m.consumeOnce('assistantQuestionsPerDay', 'q')).ok).toBe(false);
    expect(await rawItem(`usage#assistantQuestionsPerDay#${dayId(clock)}`, 'counted#q')).toBeUndefined();
  });

  it('counts concurrent askers of the same names once each, and never past the limit', async () => {
    await freshWindows();
    const m = meter(plan({ assistantQuestionsPerDay: 3 }));
    const names = ['a', 'b', 'c', 'd', 'e'];
    const results = await Promise.all(
      [...names, ...names].map((name) => m.consumeOnce('assistantQuestionsPerDay', name)),
    );
    const accepted = new Set(names.filter((_, i) => results[i]!.ok || results[i + names.length]!.ok));
    expect(accepted.size).toBe(3);
    const usage = await m.usage();
    expect(usage.metrics.find((x) => x.metric === 'assistantQuestionsPerDay')?.used).toBe(3);
  });
});

describe('DynamoQuotaMeter named holds (hold, release)', () => {
  it('holds each name once up to the limit, refuses past it, and gives back exactly what a name held', async () => {
    await freshWindows();
    const m = meter(plan({ storedBytes: 100 }));
    const key = (n: string) => `${clock}.${n}`;
    expect(await m.hold('storedBytes', key('x'), 60)).toEqual({ ok: true, used: 60, limit: 100 });
    expect(await m.hold('storedBytes', key('x'), 60)).toEqual({ ok: true, used: 60, limit: 100 });
    expect(await m.hold('storedBytes', key('y'), 50)).toEqual({ ok: false, used: 60, limit: 100 });
    expect(await m.hold('storedBytes', key('y'), 40)).toEqual({ ok: true, used: 100, limit: 100 });
    expect(await m.hold('storedBytes', key('z'), 101)).toEqual({ ok: false, used: 100, limit: 100 });
    // Another amount for a name held replaces it: growing past the limit is refused, shrinking passes.
    expect(await m.hold('storedBytes', key('y'), 41)).toEqual({ ok: false, used: 100, limit: 100 });
    expect(await m.hold('storedBytes', key('y'), 20)).toEqual({ ok: true, used: 80, limit: 100 });
    expect(await m.hold('storedBytes', key('y'), 40)).toEqual({ ok: true, used: 100, limit: 100 });
    expect(await m.release('storedBytes', key('x'))).toEqual({ ok: true, used: 40, limit: 100 });
    expect(await m.release('storedBytes', key('x'))).toEqual({ ok: true, used: 40, limit: 100 });
    expect(await m.release('storedBytes', key('never'))).toEqual({ ok: true, used: 40, limit: 100 });
    expect((await rawItem('usage#storedBytes', `held#${key('y')}`))?.amount?.N).toBe('40');
  });

  it('keeps the gauge the sum of what is held under concurrent holds and releases of the same names (property)', async () => {
    const action = fc.record({
      release: fc.boolean(),
      name: fc.integer({ min: 0, max: 3 }),
      amount: fc.integer({ min: 1, max: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 16 }), async (actions) => {
        await freshWindows();
        const m = meter(plan({ watchedAddresses: 8 }));
        const key = (n: number) => `${clock}.${n}`;
        await Promise.all(
          actions.map((a) =>
            a.release ? m.release('watchedAddresses', key(a.name)) : m.hold('watchedAddresses', key(a.name), a.amount),
          ),
        );
        let held = 0;
        for (let n = 0; n <= 3; n++)
          held += Number((await rawItem('usage#watchedAddresses', `held#${key(n)}`))?.amount?.N ?? '0');
        const usage = await m.usage();
        const used = usage.metrics.find((x) => x.metric === 'watchedAddresses')?.used;
        expect(used).toBe(held);
        expect(used).toBeLessThanOrEqual(8);
      }),
      { numRuns: 20 },
    );
  }, 60_000);
});

describe('DynamoQuotaMeter usage', () => {
  it('reports every metric in order, with its limit and, for counters, the window end', async () => {
    await freshWindows();
    clock += 9 * HOUR + 30 * 60_000; // 09:30 UTC
    const m = meter(PLANS.starter);
    await m.consume('updatesPerHour', 7);
    await m.consume('assistantQuestionsPerDay');
    await m.adjust('storedBytes', 1234);
    const day = Math.floor(clock / DAY) * DAY;
    expect(await m.usage()).toEqual({
      plan: PLANS.starter,
      metrics: [
        { metric: 'updatesPerHour', used: 7, limit: 3_000, resetsAt: day + 10 * HOUR },
        { metric: 'broadcastsPerDay', used: 0, limit: 3, resetsAt: day + DAY },
        { metric: 'assistantQuestionsPerDay', used: 1, limit: 100, resetsAt: day + DAY },
        { metric: 'storedBytes', used: 1234, limit: 50_000_000 },
        { metric: 'watchedAddresses', used: 0, limit: 50 },
      ],
    });
  });
});

describe('DynamoQuotaMeter notices', () => {
  it('lets each notice be claimed once per window, by one of many concurrent claimants', async () => {
    await freshWindows();
    const m = meter();
    const claims = await Promise.all(
      Array.from({ length: 8 }, () => m.claimNotices('updatesPerHour', [chatNotice(1), OPERATOR_NOTICE])),
    );
    expect(claims.flat().sort()).toEqual([chatNotice(1), OPERATOR_NOTICE].sort());
    expect(await m.claimNotices('updatesPerHour', [chatNotice(2), OPERATOR_NOTICE])).toEqual([chatNotice(2)]);
    // Another metric, and the next window, are told afresh.
    expect(await m.claimNotices('broadcastsPerDay', [OPERATOR_NOTICE])).toEqual([OPERATOR_NOTICE]);
    clock += HOUR;
    expect(await m.claimNotices('updatesPerHour', [chatNotice(1), OPERATOR_NOTICE])).toEqual([
      chatNotice(1),
      OPERATOR_NOTICE,
    ]);
    expect(await m.claimNotices('updatesPerHour', [])).toEqual([]);
  });

  it('records no more notices in a window past MAX_NOTICES (the bot stops answering there)', async () => {
    await freshWindows();
    const m = meter();
    const many = Array.from({ length: MAX_NOTICES }, (_, i) => chatNotice(i));
    expect(await m.claimNotices('watchedAddresses', many)).toHaveLength(MAX_NOTICES);
    expect(await m.claimNotices('watchedAddresses', [chatNotice(-1)])).toEqual([]);
    const item = await rawItem(`usage#watchedAddresses#${hourId(clock).slice(0, 8)}`, 'notices');
    expect(item?.noticed?.SS).toHaveLength(MAX_NOTICES);
    expect(item?.expiresAt?.N).toBe(String((Math.floor(clock / DAY) * DAY + DAY) / 1000));
  });
});

describe('DynamoQuotaMeter failures', () => {
  it.skipIf(externalEndpoint)('fails as transient, never as a pass, when DynamoDB is unreachable', async () => {
    const m = meter();
    await local.db.stop();
    try {
      for (const attempt of [
        m.consume('updatesPerHour'),
        m.adjust('storedBytes', 1),
        m.adjust('storedBytes', -1),
        m.usage(),
        m.claimNotices('updatesPerHour', [OPERATOR_NOTICE]),
      ]) {
        const error = await attempt.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TransientError);
        expect(error).toMatchObject({ code: 'dynamodb.unavailable' });
      }
    } finally {
      await local.db.start();
    }
  });

  it('fails as transient when the read after a refusal fails (no refusal without its numbers)', async () => {
    await freshWindows();
    const failingReads = new DynamoDBClient({ ...localClientConfig(local.db.endpoint), maxAttempts: 1 });
    failingReads.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'GetItemCommand') return next(args);
        throw Object.assign(new Error('injected'), { name: 'InternalServerError' });
      },
      { step: 'initialize', name: 'failReads' },
    );
    try {
      const m = meter(plan({ updatesPerHour: 1, watchedAddresses: 1 }), failingReads);
      expect((await m.consume('updatesPerHour')).ok).toBe(true);
      await expect(m.consume('updatesPerHour')).rejects.toBeInstanceOf(TransientError);
      expect((await m.adjust('watchedAddresses', 1)).ok).toBe(true);
      await expect(m.adjust('watchedAddresses', 1)).rejects.toBeInstanceOf(TransientError);
    } finally {
      failingReads.destroy();
    }
  });
});
