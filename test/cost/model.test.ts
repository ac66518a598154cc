import { describe, expect, it } from 'vitest';
import {
  AI_SHARING,
  arrivalsPerSecond,
  byService,
  type Charge,
  COLD_START_SHARE,
  chargesOf,
  chargeUsd,
  checkGoals,
  combine,
  cutFor,
  type Deployment,
  ESM_IDLE,
  EXTERNAL_WAIT_MS,
  fixedCharges,
  GOALS,
  idleTenantCharges,
  KIND_NAMES,
  KINDS,
  type KindName,
  LAMBDA_PLATFORM_LOG_BYTES,
  LINE_ITEMS,
  LOG_EVENT_OVERHEAD_BYTES,
  type Measurement,
  type ModelInput,
  month,
  perMillionUpdates,
  perTenantTick,
  platformLogBytes,
  rankCharges,
  SECONDS_PER_MONTH,
  serviceOf,
  sharedInvocations,
  TABLE_KEY_REFRESH_SECONDS,
  TENANT_TICK_SOURCE,
  tenantMonth,
  totalUsd,
  USAGE_MIX,
  updatesPerUser,
  WATCH_ACTIVITY,
  WATCH_POLL_SOURCE,
  watchCheckShare,
  watchListedShare,
  watchPollCharges,
} from '../../cost/model.js';
import { PRICE_TABLE_INFO, PRICES } from '../../cost/prices.js';
import { DEFAULT_REGION } from '../../stacks/app.js';
import { FUNCTION_LOGGING } from '../../stacks/manifest.js';

const GIB = 1024 ** 3;
const deployment: Deployment = {
  memoryMb: { webhook: 512, notifyWorker: 256, aiWorker: 256 },
  initMs: { webhook: 200 },
  asymmetricKeys: ['treasury-key-id'],
  ingress: 'httpApi',
  logging: { format: 'Text', systemLogLevel: 'INFO' },
};

const quantity = (charges: readonly Charge[], item: Charge['item'], source: string) =>
  charges.find((c) => c.item === item && c.source === source)?.quantity ?? 0;

describe('the price table', () => {
  it('prices every line item and names a source page for every price', () => {
    for (const line of Object.values(LINE_ITEMS)) expect(PRICES[line.price].usd).toBeGreaterThan(0);
    for (const price of Object.values(PRICES)) expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
  });

  it('is for the region the stages deploy to', () => {
    expect(PRICE_TABLE_INFO.region).toBe(DEFAULT_REGION);
  });
});

describe('chargesOf', () => {
  const measurement: Measurement = {
    updates: 2,
    requests: [
      { service: 'dynamodb', operation: 'GetItem', caller: 'webhook', billedRequests: 1, readUnits: 1, writeUnits: 0 },
      { service: 'dynamodb', operation: 'PutItem', caller: 'webhook', billedRequests: 1, readUnits: 0, writeUnits: 3 },
      {
        service: 'sqs',
        operation: 'SendMessageBatch',
        caller: 'webhook',
        billedRequests: 1,
        readUnits: 0,
        writeUnits: 0,
        queue: 'local-notify.fifo',
      },
      {
        service: 'sqs',
        operation: 'SendMessageBatch',
        caller: 'webhook',
        billedRequests: 2,
        readUnits: 0,
        writeUnits: 0,
        queue: 'local-rpc',
      },
      {
        service: 'sqs',
        operation: 'ReceiveMessage',
        caller: 'local',
        billedRequests: 1,
        readUnits: 0,
        writeUnits: 0,
        queue: 'local-rpc',
        empty: false,
      },
      {
        service: 'sqs',
        operation: 'ReceiveMessage',
        caller: 'local',
        billedRequests: 1,
        readUnits: 0,
        writeUnits: 0,
        queue: 'local-rpc',
        empty: true,
      },
      {
        service: 'sqs',
        operation: 'SendMessage',
        caller: 'local',
        billedRequests: 1,
        readUnits: 0,
        writeUnits: 0,
        queue: 'local-rpc',
      },
      {
        service: 'kms',
        operation: 'Sign',
        caller: 'signer',
        billedRequests: 1,
        readUnits: 0,
        writeUnits: 0,
        keyId: 'treasury-key-id',
      },
      { service: 'kms', operation: 'Decrypt', caller: 'vaultWorker', billedRequests: 1, readUnits: 0, writeUnits: 0 },
    ],
    functions: {
      webhook: { invocations: 2, handlerMs: 100, logBytes: 1_000, logLines: 4 },
      notifyWorker: { invocations: 1, handlerMs: 50, logBytes: 0, logLines: 0 },
    },
    external: { telegramCall: 3, rpcCall: 0, llmAnswer: 0 },
  };
  const charges = chargesOf(measurement, deployment);

  it('bills one HTTP API request per update behind an HTTP API, none behind a function URL', () => {
    expect(quantity(charges, 'apiRequests', 'api')).toBe(2);
    const viaUrl = chargesOf(measurement, { ...deployment, ingress: 'functionUrl' });
    expect(viaUrl.filter((c) => c.item === 'apiRequests')).toEqual([]);
    expect(totalUsd(charges) - totalUsd(viaUrl)).toBeCloseTo(2 * PRICES.apiGatewayHttpRequest.usd, 12);
  });

  it('bills the metered units to their callers', () => {
    expect(quantity(charges, 'dynamoReads', 'webhook')).toBe(1);
    expect(quantity(charges, 'dynamoWrites', 'webhook')).toBe(3);
  });

  it('prices FIFO queues as FIFO, leaves idle polls out, and names the event source and the schedule', () => {
    expect(quantity(charges, 'sqsFifo', 'webhook')).toBe(1);
    expect(quantity(charges, 'sqsStandard', 'webhook')).toBe(2);
    expect(quantity(charges, 'sqsStandard', 'event source')).toBe(1);
    expect(quantity(charges, 'sqsStandard', 'schedule')).toBe(1);
  });

  it('prices requests to the asymmetric keys apart', () => {
    expect(quantity(charges, 'kmsAsymmetric', 'signer')).toBe(1);
    expect(quantity(charges, 'kmsSymmetric', 'vaultWorker')).toBe(1);
  });

  it('bills Lambda time with cold starts and external waits, at each function’s memory', () => {
    expect(quantity(charges, 'lambdaRequests', 'webhook')).toBe(2);
    const webhookMs = 100 + 2 * COLD_START_SHARE * 200;
    expect(quantity(charges, 'lambdaCompute', 'webhook')).toBeCloseTo((webhookMs / 1000) * 0.5, 12);
    const notifyMs = 50 + 3 * EXTERNAL_WAIT_MS.telegramCall;
    expect(quantity(charges, 'lambdaCompute', 'notifyWorker')).toBeCloseTo((notifyMs / 1000) * 0.25, 12);
  });

  it('bills log bytes with the per-event overhead and Lambda’s own lines', () => {
    const bytes = 1_000 + 4 * LOG_EVENT_OVERHEAD_BYTES + 2 * LAMBDA_PLATFORM_LOG_BYTES;
    expect(quantity(charges, 'logs', 'webhook') * GIB).toBeCloseTo(bytes, 6);
  });

  it('bills Lambda’s own lines as the logging configuration keeps them: none in JSON at system level WARN', () => {
    const json = chargesOf(measurement, { ...deployment, logging: { format: 'JSON', systemLogLevel: 'WARN' } });
    expect(quantity(json, 'logs', 'webhook') * GIB).toBeCloseTo(1_000 + 4 * LOG_EVENT_OVERHEAD_BYTES, 6);
    expect(quantity(json, 'logs', 'notifyWorker')).toBe(0);
    const jsonInfo = chargesOf(measurement, { ...deployment, logging: { format: 'JSON', systemLogLevel: 'INFO' } });
    expect(quantity(jsonInfo, 'logs', 'webhook')).toBeCloseTo(quantity(charges, 'logs', 'webhook'), 15);
  });
});

describe('Lambda logging', () => {
  it('keeps START/END/REPORT in Text format and at system level INFO, drops them at WARN', () => {
    expect(platformLogBytes({ format: 'Text', systemLogLevel: 'INFO' })).toBe(LAMBDA_PLATFORM_LOG_BYTES);
    expect(platformLogBytes({ format: 'JSON', systemLogLevel: 'INFO' })).toBe(LAMBDA_PLATFORM_LOG_BYTES);
    expect(platformLogBytes({ format: 'JSON', systemLogLevel: 'WARN' })).toBe(0);
  });

  it('follows the stacks’ configuration: no platform lines are billed for the deployed functions', () => {
    expect(platformLogBytes(FUNCTION_LOGGING)).toBe(0);
  });
});

describe('shared invocations (jobs taken while a function waits)', () => {
  it('bills a lone job its whole span, and shares more as arrivals grow, as a busy period of M/G/∞', () => {
    expect(sharedInvocations(0, 6)).toEqual({ time: 1, invocations: 1 });
    // ρ = 0.5 × 0.5 × 4 = 1: e ≈ 2.72 jobs per invocation, each billed (1 − 1/e) of its span.
    const one = sharedInvocations(0.5, 4, 0.5);
    expect(one.invocations).toBeCloseTo(Math.exp(-1), 12);
    expect(one.time).toBeCloseTo(1 - Math.exp(-1), 12);
    let previous = 1;
    for (const perSecond of [0.01, 0.1, 0.4, 1, 4]) {
      const { time, invocations } = sharedInvocations(perSecond, 6);
      expect(time).toBeLessThan(previous);
      expect(time).toBeGreaterThan(0);
      // Never less than the job's own share of the wait: 1 / (jobs in an invocation) ≤ time.
      expect(time).toBeGreaterThanOrEqual(invocations);
      previous = time;
    }
  });

  it('takes the arrival rate from the mix at the assumed MAU', () => {
    expect(arrivalsPerSecond(USAGE_MIX.aiReply)).toBeCloseTo(
      (USAGE_MIX.aiReply * AI_SHARING.mau) / SECONDS_PER_MONTH,
      12,
    );
  });

  it('bills a sharing function its shared time, invocations and receives; the others as before', () => {
    const m: Measurement = {
      updates: 1,
      requests: [],
      functions: {
        aiWorker: { invocations: 1, handlerMs: 1_000, logBytes: 500, logLines: 2 },
        notifyWorker: { invocations: 1, handlerMs: 50, logBytes: 0, logLines: 0 },
      },
      external: { telegramCall: 1, rpcCall: 0, llmAnswer: 1 },
    };
    const perSecond = 0.4;
    const sharing = { aiWorker: { perSecond, receiveWaitSeconds: 2, fifo: true } };
    const alone = chargesOf(m, deployment);
    const shared = chargesOf(m, { ...deployment, sharing });
    const spanMs = 1_000 + EXTERNAL_WAIT_MS.llmAnswer;
    const s = sharedInvocations(perSecond, spanMs / 1000);
    expect(s.time).toBeLessThan(1);
    expect(quantity(alone, 'lambdaCompute', 'aiWorker')).toBeCloseTo((spanMs / 1000) * 0.25, 12);
    expect(quantity(shared, 'lambdaCompute', 'aiWorker')).toBeCloseTo(((spanMs * s.time) / 1000) * 0.25, 12);
    expect(quantity(shared, 'lambdaRequests', 'aiWorker')).toBeCloseTo(s.invocations, 12);
    expect(quantity(shared, 'sqsFifo', 'aiWorker')).toBeCloseTo((EXTERNAL_WAIT_MS.llmAnswer * s.time) / 1000 / 2, 12);
    expect(quantity(alone, 'sqsFifo', 'aiWorker')).toBe(0);
    for (const item of ['lambdaCompute', 'lambdaRequests', 'logs'] as const) {
      expect(quantity(shared, item, 'notifyWorker')).toBe(quantity(alone, item, 'notifyWorker'));
    }
  });
});

describe('charges and dollars', () => {
  it('groups dollars by AWS service, largest first', () => {
    const charges: Charge[] = [
      { item: 'dynamoWrites', source: 'webhook', quantity: 1e6 },
      { item: 'dynamoReads', source: 'webhook', quantity: 1e6 },
      { item: 'lambdaRequests', source: 'webhook', quantity: 1e6 },
      { item: 'lambdaCompute', source: 'webhook', quantity: 1 },
    ];
    const services = byService(charges);
    expect(services.map(([service]) => service)).toEqual(['DynamoDB', 'Lambda']);
    expect(services[0]![1]).toBeCloseTo(
      (PRICES.dynamoWriteRequestUnit.usd + PRICES.dynamoReadRequestUnit.usd) * 1e6,
      12,
    );
    expect(services[1]![1]).toBeCloseTo(PRICES.lambdaRequest.usd * 1e6 + PRICES.lambdaGbSecondArm.usd, 12);
    expect(new Set(Object.keys(LINE_ITEMS).map((item) => serviceOf(item as Charge['item'])))).toEqual(
      new Set(['API Gateway', 'Lambda', 'DynamoDB', 'SQS', 'KMS', 'CloudWatch']),
    );
  });

  it('prices a million write units at the table’s price', () => {
    expect(chargeUsd({ item: 'dynamoWrites', source: 'x', quantity: 1e6 })).toBeCloseTo(
      PRICES.dynamoWriteRequestUnit.usd * 1e6,
      10,
    );
    expect(
      totalUsd([
        { item: 'apiRequests', source: 'api', quantity: 1e6 },
        { item: 'lambdaRequests', source: 'webhook', quantity: 1e6 },
      ]),
    ).toBeCloseTo((PRICES.apiGatewayHttpRequest.usd + PRICES.lambdaRequest.usd) * 1e6, 10);
  });

  it('combines charges of the same item and source, scaled', () => {
    const a: Charge[] = [{ item: 'sqsFifo', source: 'x', quantity: 2 }];
    const b: Charge[] = [
      { item: 'sqsFifo', source: 'x', quantity: 1 },
      { item: 'sqsFifo', source: 'y', quantity: 1 },
    ];
    expect(
      combine([
        { charges: a, times: 3 },
        { charges: b, times: 2 },
      ]),
    ).toEqual([
      { item: 'sqsFifo', source: 'x', quantity: 8 },
      { item: 'sqsFifo', source: 'y', quantity: 2 },
    ]);
  });
});

describe('watchPollCharges', () => {
  it('adds per address what listing costs and, for the due share, what checking adds; never below zero', () => {
    // 2 addresses, both due: 1 + 2 × 3 reads. +200 listed, none due: +100 reads. +200 all due: +600 reads.
    const base: Charge[] = [
      { item: 'dynamoReads', source: 'rpcWorker', quantity: 7 },
      { item: 'lambdaRequests', source: 'rpcWorker', quantity: 2 },
    ];
    // A base address moved meanwhile: one snapshot write that is not the listed addresses' doing.
    const listed: Charge[] = [
      { item: 'dynamoReads', source: 'rpcWorker', quantity: 107 },
      { item: 'lambdaRequests', source: 'rpcWorker', quantity: 2 },
      { item: 'dynamoWrites', source: 'rpcWorker', quantity: 1 },
    ];
    const checked: Charge[] = [
      { item: 'dynamoReads', source: 'rpcWorker', quantity: 607 },
      { item: 'lambdaRequests', source: 'rpcWorker', quantity: 1 },
    ];
    const polls = { base, w: 2, listed, checked, extra: 200 };
    const everyPoll = watchPollCharges(polls, { listed: 1, checked: 1 });
    expect(quantity(everyPoll(2), 'dynamoReads', 'rpcWorker')).toBeCloseTo(7, 10);
    expect(quantity(everyPoll(1_002), 'dynamoReads', 'rpcWorker')).toBeCloseTo(3_007, 10);
    // A tenth due, all listed: 0.5 a listed address + 0.1 × (3 − 0.5) for checking it.
    const tenth = watchPollCharges(polls, { listed: 1, checked: 0.1 });
    expect(
      quantity(tenth(1_000), 'dynamoReads', 'rpcWorker') - quantity(tenth(0), 'dynamoReads', 'rpcWorker'),
    ).toBeCloseTo(1_000 * (0.9 * 0.5 + 0.1 * 3), 8);
    // A tenth due, a quarter listed: 0.25 × 0.5 for listing + 0.1 × (3 − 0.5) for checking.
    const quarter = watchPollCharges(polls, { listed: 0.25, checked: 0.1 });
    expect(
      quantity(quarter(1_000), 'dynamoReads', 'rpcWorker') - quantity(quarter(0), 'dynamoReads', 'rpcWorker'),
    ).toBeCloseTo(1_000 * (0.15 * 0.5 + 0.1 * 3), 8);
    expect(quantity(tenth(50_000), 'dynamoWrites', 'rpcWorker')).toBe(0);
    // Fewer invocations with more addresses (batching noise) is no negative cost per address.
    expect(quantity(tenth(10_000), 'lambdaRequests', 'rpcWorker')).toBe(2);
    expect(() => watchPollCharges({ ...polls, extra: 0 }, { listed: 1, checked: 1 })).toThrow();
  });
});

describe('watchCheckShare', () => {
  it('checks the recently moved at every poll and the quiet ones once per interval', () => {
    const cadence = { hourQuiet: 5, dayQuiet: 15 };
    expect(watchCheckShare(1, cadence, { movedWithinHour: 1, movedWithinDay: 0 })).toBe(1);
    expect(watchCheckShare(1, cadence, { movedWithinHour: 0, movedWithinDay: 1 })).toBeCloseTo(1 / 5, 12);
    expect(watchCheckShare(1, cadence, { movedWithinHour: 0, movedWithinDay: 0 })).toBeCloseTo(1 / 15, 12);
    expect(watchCheckShare(1, cadence)).toBeCloseTo(
      WATCH_ACTIVITY.movedWithinHour +
        WATCH_ACTIVITY.movedWithinDay / 5 +
        (1 - WATCH_ACTIVITY.movedWithinHour - WATCH_ACTIVITY.movedWithinDay) / 15,
      12,
    );
    // Polls every 10 minutes check the hour-quiet ones at every poll.
    expect(watchCheckShare(10, cadence, { movedWithinHour: 0, movedWithinDay: 1 })).toBe(1);
  });
});

describe('watchListedShare', () => {
  it('lists the spans due for the 5- and 15-minute cadences, all of the list once a cadence is no slower than the polls', () => {
    const cadence = { hourQuiet: 5, dayQuiet: 15 };
    expect(watchListedShare(1, cadence)).toBeCloseTo(1 / 5 + 1 / 15, 12);
    expect(watchListedShare(3, cadence)).toBeCloseTo(3 / 5 + 3 / 15, 12);
    expect(watchListedShare(5, cadence)).toBe(1);
  });
});

describe('fixedCharges', () => {
  it('counts keys, alarms, idle queue polling and table-key refreshes', () => {
    const fixed = fixedCharges({
      kmsKeys: 3,
      kmsRotatedVersions: 1,
      alarmMetrics: 16,
      consumerQueues: { standard: 3, fifo: 2 },
      tableRoles: 6,
    });
    const idle = (ESM_IDLE.pollers * SECONDS_PER_MONTH) / ESM_IDLE.longPollSeconds;
    expect(idle).toBe(648_000);
    expect(quantity(fixed, 'sqsStandard', 'idle polling')).toBe(3 * idle);
    expect(quantity(fixed, 'sqsFifo', 'idle polling')).toBe(2 * idle);
    expect(quantity(fixed, 'kmsSymmetric', 'table key')).toBe((6 * SECONDS_PER_MONTH) / TABLE_KEY_REFRESH_SECONDS);
    // $3 + $1 of keys, 16 × $0.10 of alarms, 648k × (3 × $0.40 + 2 × $0.50)/M, 51,840 × $0.03/10k.
    expect(totalUsd(fixed)).toBeCloseTo(4 + 1.6 + 0.648 * 2.2 + 0.15552, 6);
  });
});

describe('the monthly model', () => {
  /** Every kind costs one HTTP API request per update and nothing else. */
  const kinds = Object.fromEntries(
    KIND_NAMES.map((k) => [k, [{ item: 'apiRequests', source: 'api', quantity: KINDS[k].updates } as Charge]]),
  ) as Record<KindName, Charge[]>;
  const mix = Object.fromEntries(KIND_NAMES.map((k) => [k, 0])) as Record<KindName, number>;
  mix.menu = 10;
  mix.deposit = 1;
  const input: ModelInput = {
    kinds,
    mix,
    watchPoll: (addresses) => [{ item: 'dynamoReads', source: 'rpcWorker', quantity: 1 + addresses }],
    pollsPerMonth: 1_000,
    storageBytesPerUser: GIB / 1_000,
    fixed: [{ item: 'kmsKeys', source: 'fixed', quantity: 2 }],
    watchedPerUser: 0.5,
  };

  it('counts updates per user from the mix and the kinds’ update counts', () => {
    expect(updatesPerUser(mix)).toBe(12);
    expect(updatesPerUser()).toBeCloseTo(36.9, 10);
    expect(USAGE_MIX.menu).toBeGreaterThan(USAGE_MIX.withdraw);
  });

  it('prices a million updates of traffic under the mix', () => {
    // Each update is one HTTP API request here.
    expect(perMillionUpdates(input).usd).toBeCloseTo(PRICES.apiGatewayHttpRequest.usd * 1e6, 10);
  });

  it('adds traffic, polls, storage and fixed charges for a month, and divides by the updates', () => {
    const m = month(input, 1_000);
    expect(m.updates).toBe(12_000);
    expect(m.usd.traffic).toBeCloseTo(12_000 * PRICES.apiGatewayHttpRequest.usd, 12);
    expect(m.usd.polls).toBeCloseTo(1_000 * (1 + 500) * PRICES.dynamoReadRequestUnit.usd, 12);
    expect(m.usd.storage).toBeCloseTo(PRICES.dynamoStorageGbMonth.usd + PRICES.dynamoPitrGbMonth.usd, 12);
    expect(m.usd.fixed).toBe(2);
    expect(m.totalUsd).toBeCloseTo(m.usd.traffic + m.usd.polls + m.usd.storage + m.usd.fixed, 12);
    expect(m.perMillionUpdates).toBeCloseTo((m.totalUsd / 12_000) * 1e6, 6);
    expect(m.polls.every((c) => c.source.startsWith(WATCH_POLL_SOURCE))).toBe(true);
  });

  it('prices a tenant with MAU as its traffic, storage, its addresses in the polls and an idle tenant; no deployment fixed charges', () => {
    const idle: Charge[] = [{ item: 'kmsKeys', source: 'tenant treasury key', quantity: 1 }];
    const tiers = [1_000, 10_000, 100_000].map((mau) => tenantMonth(input, idle, mau));
    for (const t of tiers) {
      const m = month(input, t.mau);
      expect(t.updates).toBe(m.updates);
      expect(t.usd.traffic).toBeCloseTo(m.usd.traffic, 12);
      expect(t.usd.storage).toBeCloseTo(m.usd.storage, 12);
      // Only what its watched addresses add (0.5 per user, one read each a poll): the poll's own read is the idle tick's.
      expect(t.usd.polls).toBeCloseTo(1_000 * 0.5 * t.mau * PRICES.dynamoReadRequestUnit.usd, 12);
      expect(t.usd.idle).toBe(1);
      expect(t.totalUsd).toBeCloseTo(t.usd.traffic + t.usd.polls + t.usd.storage + 1, 12);
      expect(t.totalUsd).toBeLessThan(m.totalUsd - 2 + 1 + 1e-9);
      expect(t.perMillionUpdates).toBeCloseTo((t.totalUsd / t.updates) * 1e6, 6);
    }
    // The idle charges weigh less per update as the tenant grows.
    expect(tiers[0]!.perMillionUpdates).toBeGreaterThan(tiers[2]!.perMillionUpdates);
    expect(tenantMonth(input, idle, 0).perMillionUpdates).toBe(Number.POSITIVE_INFINITY);
  });

  it('judges the goals: $3 per million updates (traffic, and all-in at 100k MAU) and 100k MAU under $60 a month', () => {
    expect(GOALS).toEqual({ usdPerMillionUpdates: 3, month: { mau: 100_000, usd: 60 } });
    // 100k MAU of 12 updates: 1.2M updates a month.
    const at = (usdPerUpdate: number, fixedUsd: number): ModelInput => ({
      ...input,
      kinds: Object.fromEntries(
        KIND_NAMES.map((k) => [
          k,
          [{ item: 'lambdaRequests', source: 'webhook', quantity: usdPerUpdate / PRICES.lambdaRequest.usd } as Charge],
        ]),
      ) as Record<KindName, Charge[]>,
      watchPoll: () => [],
      storageBytesPerUser: 0,
      fixed: [{ item: 'kmsKeys', source: 'fixed', quantity: fixedUsd / PRICES.kmsKeyMonth.usd }],
    });
    // 11 occurrences make 12 updates (a deposit is 2): $2 an occurrence is $1.83 per million updates.
    const cheap = checkGoals(at(2e-6, 1));
    expect(cheap.map((g) => g.met)).toEqual([true, true, true]);
    expect(cheap[0]!.usd).toBeCloseTo((11 * 2) / 12, 10);
    expect(cheap[2]!.usd).toBeCloseTo(month(at(2e-6, 1), 100_000).totalUsd, 10);
    // Traffic under $3/M, but $40 of fixed charges over 1.2M updates is $33/M more.
    expect(checkGoals(at(2e-6, 40)).map((g) => g.met)).toEqual([true, false, true]);
    expect(checkGoals(at(2e-6, 70)).map((g) => g.met)).toEqual([true, false, false]);
    expect(checkGoals(at(4e-6, 0)).map((g) => g.met)).toEqual([false, false, true]);
  });

  it('ranks the biggest lines with their share, and finds what would cut them', () => {
    const top = rankCharges(
      [
        { item: 'dynamoWrites', source: 'webhook', quantity: 2e6 },
        { item: 'apiRequests', source: 'api', quantity: 1e6 },
        { item: 'dynamoWrites', source: 'webhook', quantity: 2e6 },
        { item: 'sqsFifo', source: 'webhook', quantity: 1e5 },
      ],
      2,
    );
    expect(top.map((l) => [l.item, l.source])).toEqual([
      ['dynamoWrites', 'webhook'],
      ['apiRequests', 'api'],
    ]);
    const writes = 4e6 * PRICES.dynamoWriteRequestUnit.usd;
    const all = writes + 1e6 * PRICES.apiGatewayHttpRequest.usd + 1e5 * PRICES.sqsFifoRequest.usd;
    expect(top[0]!.usd).toBeCloseTo(writes, 10);
    expect(top[0]!.share).toBeCloseTo(writes / all, 10);
    expect(cutFor({ item: 'dynamoReads', source: `${WATCH_POLL_SOURCE}rpcWorker` })).toMatch(/watch list/);
    expect(cutFor({ item: 'dynamoReads', source: 'aiWorker' })).toMatch(/eventually consistent/);
  });
});

describe('an idle tenant', () => {
  it('costs per tick what one more tenant adds to it, from two ticks; never below zero', () => {
    // One tenant: the fan-out lists the registry (1 read) and runs its poll (1 invocation, 2 reads).
    const base: Charge[] = [
      { item: 'dynamoReads', source: 'rpcWorker', quantity: 3 },
      { item: 'lambdaRequests', source: 'rpcWorker', quantity: 2 },
      { item: 'lambdaCompute', source: 'rpcWorker', quantity: 0.5 },
    ];
    // Three more: a record read and a poll each (3 reads), one job each; a shorter run (noise) is no negative cost.
    const more: Charge[] = [
      { item: 'dynamoReads', source: 'rpcWorker', quantity: 12 },
      { item: 'lambdaRequests', source: 'rpcWorker', quantity: 5 },
      { item: 'lambdaCompute', source: 'rpcWorker', quantity: 0.4 },
      { item: 'sqsStandard', source: 'rpcWorker', quantity: 3 },
    ];
    const tick = perTenantTick(base, more, 3);
    expect(quantity(tick, 'dynamoReads', 'rpcWorker')).toBeCloseTo(3, 12);
    expect(quantity(tick, 'lambdaRequests', 'rpcWorker')).toBeCloseTo(1, 12);
    expect(quantity(tick, 'sqsStandard', 'rpcWorker')).toBeCloseTo(1, 12);
    expect(quantity(tick, 'lambdaCompute', 'rpcWorker')).toBe(0);
    expect(() => perTenantTick(base, more, 0)).toThrow();
  });

  it('costs a month of its ticks, its treasury key and its registry items', () => {
    const watch: Charge[] = [{ item: 'dynamoReads', source: 'rpcWorker', quantity: 2 }];
    const deposit: Charge[] = [
      { item: 'dynamoReads', source: 'rpcWorker', quantity: 1 },
      { item: 'sqsStandard', source: 'event source', quantity: 2 },
    ];
    const idle = idleTenantCharges(
      [
        { perTick: watch, perMonth: 43_200 },
        { perTick: deposit, perMonth: 8_640 },
      ],
      { treasuryKeys: 1, registryBytes: GIB / 1_000 },
    );
    expect(quantity(idle, 'dynamoReads', `${TENANT_TICK_SOURCE}rpcWorker`)).toBe(2 * 43_200 + 8_640);
    expect(quantity(idle, 'sqsStandard', `${TENANT_TICK_SOURCE}event source`)).toBe(2 * 8_640);
    expect(quantity(idle, 'kmsKeys', 'tenant treasury key')).toBe(1);
    expect(quantity(idle, 'dynamoStorage', 'tenant registry')).toBeCloseTo(0.001, 12);
    expect(totalUsd(idle)).toBeCloseTo(
      95_040 * PRICES.dynamoReadRequestUnit.usd +
        17_280 * PRICES.sqsStandardRequest.usd +
        1 +
        0.001 * (PRICES.dynamoStorageGbMonth.usd + PRICES.dynamoPitrGbMonth.usd),
      12,
    );
    // Without payouts it has no key of its own.
    const free = idleTenantCharges([{ perTick: watch, perMonth: 43_200 }], { treasuryKeys: 0, registryBytes: 0 });
    expect(totalUsd(free)).toBeCloseTo(86_400 * PRICES.dynamoReadRequestUnit.usd, 12);
  });
});
