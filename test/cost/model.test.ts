import { describe, expect, it } from 'vitest';
import {
  type Charge,
  COLD_START_SHARE,
  chargesOf,
  chargeUsd,
  combine,
  cutFor,
  type Deployment,
  ESM_IDLE,
  EXTERNAL_WAIT_MS,
  fixedCharges,
  KIND_NAMES,
  type KindName,
  LAMBDA_PLATFORM_LOG_BYTES,
  LINE_ITEMS,
  LOG_EVENT_OVERHEAD_BYTES,
  type Measurement,
  type ModelInput,
  month,
  perMillionUpdates,
  rankCharges,
  SECONDS_PER_MONTH,
  TABLE_KEY_REFRESH_SECONDS,
  totalUsd,
  USAGE_MIX,
  updatesPerUser,
  WATCH_POLL_SOURCE,
  watchPollCharges,
} from '../../cost/model.js';
import { PRICES } from '../../cost/prices.js';

const GIB = 1024 ** 3;
const deployment: Deployment = {
  memoryMb: { webhook: 512, notifyWorker: 256, aiWorker: 256 },
  initMs: { webhook: 200 },
  asymmetricKeys: ['treasury-key-id'],
};

const quantity = (charges: readonly Charge[], item: Charge['item'], source: string) =>
  charges.find((c) => c.item === item && c.source === source)?.quantity ?? 0;

describe('the price table', () => {
  it('prices every line item and names a source page for every price', () => {
    for (const line of Object.values(LINE_ITEMS)) expect(PRICES[line.price].usd).toBeGreaterThan(0);
    for (const price of Object.values(PRICES)) expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
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

  it('bills one HTTP API request per update and the metered units to their callers', () => {
    expect(quantity(charges, 'apiRequests', 'api')).toBe(2);
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
});

describe('charges and dollars', () => {
  it('prices a million write units at the table’s price', () => {
    expect(chargeUsd({ item: 'dynamoWrites', source: 'x', quantity: 1e6 })).toBeCloseTo(0.625, 10);
    expect(
      totalUsd([
        { item: 'apiRequests', source: 'api', quantity: 1e6 },
        { item: 'lambdaRequests', source: 'webhook', quantity: 1e6 },
      ]),
    ).toBeCloseTo(1.2, 10);
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
  it('interpolates a base and a per-address part from two polls, never below zero', () => {
    const p1: Charge[] = [
      { item: 'dynamoReads', source: 'rpcWorker', quantity: 3 },
      { item: 'lambdaRequests', source: 'rpcWorker', quantity: 2 },
    ];
    const p2: Charge[] = [
      { item: 'dynamoReads', source: 'rpcWorker', quantity: 203 },
      { item: 'lambdaRequests', source: 'rpcWorker', quantity: 1 },
    ];
    const at = watchPollCharges(p1, 2, p2, 202);
    expect(quantity(at(2), 'dynamoReads', 'rpcWorker')).toBeCloseTo(3, 10);
    expect(quantity(at(1_002), 'dynamoReads', 'rpcWorker')).toBeCloseTo(1_003, 10);
    expect(quantity(at(0), 'dynamoReads', 'rpcWorker')).toBeCloseTo(1, 10);
    // Fewer invocations with more addresses (batching noise) is no negative cost per address.
    expect(quantity(at(10_000), 'lambdaRequests', 'rpcWorker')).toBe(2);
    expect(() => watchPollCharges(p1, 5, p2, 5)).toThrow();
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
    KIND_NAMES.map((k) => [k, [{ item: 'apiRequests', source: 'api', quantity: k === 'deposit' ? 3 : 1 } as Charge]]),
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
    expect(updatesPerUser(mix)).toBe(13);
    expect(updatesPerUser()).toBeCloseTo(37.1, 10);
    expect(USAGE_MIX.menu).toBeGreaterThan(USAGE_MIX.withdraw);
  });

  it('prices a million updates of traffic under the mix', () => {
    // Each update is one HTTP API request here: $1.00 per million.
    expect(perMillionUpdates(input).usd).toBeCloseTo(1, 10);
  });

  it('adds traffic, polls, storage and fixed charges for a month, and divides by the updates', () => {
    const m = month(input, 1_000);
    expect(m.updates).toBe(13_000);
    expect(m.usd.traffic).toBeCloseTo(13_000 / 1e6, 12);
    expect(m.usd.polls).toBeCloseTo(1_000 * (1 + 500) * (0.125 / 1e6), 12);
    expect(m.usd.storage).toBeCloseTo(0.25 + 0.2, 12);
    expect(m.usd.fixed).toBe(2);
    expect(m.totalUsd).toBeCloseTo(m.usd.traffic + m.usd.polls + m.usd.storage + m.usd.fixed, 12);
    expect(m.perMillionUpdates).toBeCloseTo((m.totalUsd / 13_000) * 1e6, 6);
    expect(m.polls.every((c) => c.source.startsWith(WATCH_POLL_SOURCE))).toBe(true);
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
    expect(top[0]!.usd).toBeCloseTo(2.5, 10);
    expect(top[0]!.share).toBeCloseTo(2.5 / 3.55, 10);
    expect(cutFor({ item: 'dynamoReads', source: `${WATCH_POLL_SOURCE}rpcWorker` })).toMatch(/watch\.check/);
    expect(cutFor({ item: 'dynamoReads', source: 'aiWorker' })).toMatch(/eventually consistent/);
  });
});
