import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { createConsumer, handle, type QueueRecord } from '../../../core/jobs/consumer.js';
import { defineJob, type JobEnvelope, sealJobs } from '../../../core/jobs/envelope.js';
import { memoryLogger } from '../../helpers/fakes.js';

const Echo = defineJob('test.echo', 'notify', z.object({ text: z.string(), fail: z.optional(z.boolean()) }));

function record(envelope: unknown, messageId: string, group?: string): QueueRecord {
  return {
    messageId,
    body: typeof envelope === 'string' ? envelope : JSON.stringify(envelope),
    attributes: { ApproximateReceiveCount: '1', ...(group ? { MessageGroupId: group } : {}) },
  };
}

function envelopes(...payloads: { text: string; fail?: boolean }[]): JobEnvelope[] {
  return sealJobs(
    payloads.map((payload) => ({ job: Echo, payload, chatId: 1, userId: 1 })),
    { idPrefix: 't', traceId: 't', now: new Date() },
  ).map((j) => j.envelope);
}

function setup() {
  const seen: string[] = [];
  const log = memoryLogger();
  const consume = createConsumer(
    [
      handle(Echo, async (job) => {
        if (job.payload.fail) throw new Error('nope');
        seen.push(job.payload.text);
      }),
    ],
    log,
  );
  return { seen, log, consume };
}

describe('job consumer', () => {
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

  it('keeps bad input for the DLQ: invalid JSON, envelope, type or payload fail their record', async () => {
    const { consume, log } = setup();
    const [good] = envelopes({ text: 'ok' });
    const result = await consume([
      record('{nope', 'm1'),
      record({ ...good, id: '' }, 'm2'),
      record({ ...good, type: 'test.unknown' }, 'm3'),
      record({ ...good, payload: { text: 5 } }, 'm4'),
      record(good, 'm5'),
    ]);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(log.lines.map((l) => l.event)).toEqual(
      expect.arrayContaining(['job.invalid', 'job.unknown_type', 'job.invalid_payload', 'job.done']),
    );
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
        now: new Date(),
      }),
    ).toThrow();
  });
});
