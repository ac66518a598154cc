import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { PoisonJobError, TransientError } from '../../../../core/platform/errors.js';
import {
  createConsumer,
  failureBackoffSeconds,
  handle,
  JobDeferredError,
  type QueueRecord,
} from '../../../../core/platform/jobs/consumer.js';
import type { DeadLetterQueue, ParkReason } from '../../../../core/platform/jobs/dead-letters.js';
import { defineJob, type JobEnvelope, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { memoryLogger } from '../../../helpers/fakes.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const Echo = defineJob('test.echo', 'notify', () => z.object({ text: z.string(), fail: z.optional(z.boolean()) }));

function record(envelope: unknown, messageId: string, group?: string, receiveCount = 1): QueueRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body: typeof envelope === 'string' ? envelope : JSON.stringify(envelope),
    attributes: { ApproximateReceiveCount: String(receiveCount), ...(group ? { MessageGroupId: group } : {}) },
  };
}

function envelopes(...payloads: { text: string; fail?: boolean }[]): JobEnvelope[] {
  return sealJobs(
    payloads.map((payload) => ({ job: Echo, payload, chatId: 1, userId: 1 })),
    { idPrefix: 't', traceId: 't', tenant: TEST_TENANT, now: new Date() },
  ).map((j) => j.envelope);
}

function setup(options: { parkFails?: boolean } = {}) {
  const seen: string[] = [];
  const parked: { record: QueueRecord; reason: ParkReason }[] = [];
  const log = memoryLogger();
  const deadLetters: DeadLetterQueue = {
    async park(record, reason) {
      if (options.parkFails) throw new TransientError('sqs.unavailable', 'down');
      parked.push({ record, reason });
    },
  };
  const consume = createConsumer(
    [
      handle(Echo, async (job) => {
        if (job.payload.text === 'poison') throw new PoisonJobError('test.refused', 'never');
        if (job.payload.fail) throw new TransientError('test.down', 'later');
        seen.push(job.payload.text);
      }),
    ],
    log,
    deadLetters,
  );
  return { seen, log, consume, parked };
}

describe('job consumer', () => {
  it('puts the fields a handler returns on its job.done line', async () => {
    const log = memoryLogger();
    const consume = createConsumer([handle(Echo, async (job) => ({ echoed: job.payload.text.length }))], log);
    const [ok] = envelopes({ text: 'four' });
    expect(await consume([record(ok, 'm1')])).toEqual({ batchItemFailures: [] });
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ event: 'job.done', echoed: 4, correlationId: ok!.id });
  });

  it('reports only the failed records of a batch', async () => {
    const { consume, seen } = setup();
    const [a, b, c] = envelopes({ text: 'a' }, { text: 'b', fail: true }, { text: 'c' });
    const result = await consume([record(a, 'm1'), record(b, 'm2'), record(c, 'm3')]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
    expect(seen.sort()).toEqual(['a', 'c']);
  });

  it('fails the rest of a message group after a failure, to keep its order', async () => {
    const { consume, seen } = setup();
    const [a, b, c, d] = envelopes({ text: 'a' }, { text: 'b', fail: true }, { text: 'c' }, { text: 'd' });
    const result = await consume([
      record(a, 'm1', 'g1'),
      record(b, 'm2', 'g1'),
      record(c, 'm3', 'g1'),
      record(d, 'm4', 'g2'),
    ]);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m2', 'm3']);
    expect(seen.sort()).toEqual(['a', 'd']);
  });

  it('parks poison at once, with its reason, and reports it done: invalid JSON, envelope, type or payload', async () => {
    const { consume, log, parked } = setup();
    const [good] = envelopes({ text: 'ok' });
    const result = await consume([
      record('{nope', 'm1'),
      record({ ...good, id: '' }, 'm2'),
      record({ ...good, type: 'test.unknown' }, 'm3'),
      record({ ...good, payload: { text: 5 } }, 'm4'),
      record(good, 'm5'),
    ]);
    expect(result.batchItemFailures).toEqual([]);
    expect(parked.map((p) => [p.record.messageId, p.reason.code])).toEqual([
      ['m1', 'job.invalid'],
      ['m2', 'job.invalid'],
      ['m3', 'job.unknown_type'],
      ['m4', 'job.invalid_payload'],
    ]);
    expect(log.lines.filter((l) => l.event === 'job.poison')).toHaveLength(4);
  });

  it('parks a job its handler refuses for good, and retries one that failed transiently', async () => {
    const { consume, parked } = setup();
    const [poison, transient] = envelopes({ text: 'poison', fail: true }, { text: 'transient', fail: true });
    const result = await consume([record(poison, 'm1'), record(transient, 'm2')]);
    expect(parked.map((p) => p.record.messageId)).toEqual(['m1']);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
  });

  it('retries poison it could not park, and fails poison when it has no DLQ', async () => {
    const failing = setup({ parkFails: true });
    const [good] = envelopes({ text: 'ok' });
    expect((await failing.consume([record({ ...good, type: 'test.unknown' }, 'm1')])).batchItemFailures).toEqual([
      { itemIdentifier: 'm1' },
    ]);
    const bare = createConsumer([], memoryLogger());
    expect((await bare([record(good, 'm2')])).batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
  });
});

describe('job consumer: deferrals', () => {
  function deferring() {
    const log = memoryLogger();
    const delayed: [string, number][] = [];
    const consume = createConsumer(
      [
        handle(Echo, async (job) => {
          if (job.payload.text === 'later') throw new JobDeferredError('test.not_due', 'not due yet', 2.2);
        }),
      ],
      log,
      undefined,
      {
        retryAfter: async (records, seconds) =>
          void delayed.push(...records.map((r) => [r.messageId, seconds] as [string, number])),
      },
    );
    return { log, delayed, consume };
  }

  it('brings a deferred job and the rest of its group back after its delay, logged at debug and never as a failure', async () => {
    const { consume, log, delayed } = deferring();
    const [a, b, c] = envelopes({ text: 'later' }, { text: 'next' }, { text: 'other' });
    const result = await consume([record(a, 'm1', 'g1'), record(b, 'm2', 'g1'), record(c, 'm3', 'g2')]);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m1', 'm2']);
    expect(delayed).toEqual([
      ['m1', 3],
      ['m2', 3],
    ]);
    expect(log.lines.find((l) => l.event === 'job.deferred')).toMatchObject({
      level: 'debug',
      reason: 'test.not_due',
      retryAfterSeconds: 3,
    });
    expect(log.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('defers by at least one second, however close the job is to due', () => {
    expect(new JobDeferredError('test.not_due', 'now', 0).retryAfterSeconds).toBe(1);
  });
});

describe('job consumer: backoff of failures that do not say when', () => {
  function backingOff() {
    const delayed: [string, number][] = [];
    const consume = createConsumer(
      [
        handle(Echo, async (job) => {
          if (job.payload.fail) throw new Error('DynamoDB GetItem failed: TimeoutError');
          if (job.payload.text === 'told') throw new TransientError('test.busy', 'later', { retryAfterSeconds: 7 });
        }),
      ],
      memoryLogger(),
      undefined,
      {
        retryAfter: async (records, seconds) =>
          void delayed.push(...records.map((r) => [r.messageId, seconds] as [string, number])),
        backoffSeconds: (receiveCount) => failureBackoffSeconds(receiveCount, 180),
      },
    );
    return { delayed, consume };
  }

  it('brings a failure and the rest of its group back after 5 s, then 15 s, not after the visibility timeout', async () => {
    const { consume, delayed } = backingOff();
    const [a, b] = envelopes({ text: 'a', fail: true }, { text: 'b' });
    expect((await consume([record(a, 'm1', 'chat', 1), record(b, 'm2', 'chat', 1)])).batchItemFailures).toHaveLength(2);
    await consume([record(a, 'm3', undefined, 2)]);
    expect(delayed).toEqual([
      ['m1', 5],
      ['m2', 5],
      ['m3', 15],
    ]);
  });

  it("keeps a failure's own retry time over the schedule", async () => {
    const { consume, delayed } = backingOff();
    const [a] = envelopes({ text: 'told' });
    await consume([record(a, 'm1', undefined, 3)]);
    expect(delayed).toEqual([['m1', 7]]);
  });

  it('grows with each receive and never waits longer than the visibility timeout', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 43_200 }), (n, visibility) => {
        const now = failureBackoffSeconds(n, visibility);
        expect(now).toBeGreaterThanOrEqual(Math.min(5, visibility));
        expect(now).toBeLessThanOrEqual(visibility);
        expect(failureBackoffSeconds(n + 1, visibility)).toBeGreaterThanOrEqual(now);
      }),
    );
    expect([1, 2, 3, 4, 5, 6].map((n) => failureBackoffSeconds(n, 180))).toEqual([5, 15, 45, 135, 180, 180]);
  });
});

describe('sealJobs', () => {
  it('derives the same ids from the same prefix, so a replay can be deduplicated', () => {
    const first = envelopes({ text: 'a' }, { text: 'b' }).map((e) => e.id);
    const second = envelopes({ text: 'a' }, { text: 'b' }).map((e) => e.id);
    expect(first).toEqual(['t.0', 't.1']);
    expect(second).toEqual(first);
  });

  it('refuses a payload that does not match its job type', () => {
    expect(() =>
      sealJobs([{ job: Echo, payload: { text: 1 } as never, chatId: null, userId: null }], {
        idPrefix: 'x',
        traceId: 'x',
        tenant: TEST_TENANT,
        now: new Date(),
      }),
    ).toThrow();
  });
});

describe("a consumer's per-tenant handlers", () => {
  it('are built once per tenant for jobs arriving together, reused until they expire, then built again', async () => {
    let time = 0;
    const builds: string[] = [];
    const consume = createConsumer(
      async (tenant) => {
        builds.push(tenant);
        return [handle(Echo, async () => undefined)];
      },
      memoryLogger(),
      undefined,
      undefined,
      { handlerTtlMs: 10_000, maxTenants: 2, now: () => time },
    );
    const of = (tenant: string, id: string) =>
      record(
        sealJobs([{ job: Echo, payload: { text: id }, chatId: 1, userId: 1 }], {
          idPrefix: id,
          traceId: id,
          tenant,
          now: new Date(),
        })[0]!.envelope,
        id,
      );
    await consume([of('1', 'a'), of('1', 'b'), of('2', 'c')]);
    expect(builds).toEqual(['1', '2']);
    time = 9_999;
    await consume([of('1', 'd')]);
    expect(builds).toEqual(['1', '2']);
    time = 10_000;
    await consume([of('1', 'e')]);
    expect(builds).toEqual(['1', '2', '1']);
    // At most `maxTenants` kept: a third tenant pushes out the least recently used (2).
    await consume([of('3', 'f')]);
    await consume([of('1', 'g')]);
    await consume([of('2', 'h')]);
    expect(builds).toEqual(['1', '2', '1', '3', '2']);
  });
});
