import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { fifoQueues, stageSettings } from '../../../../core/desk/settings.js';
import { TransientError } from '../../../../core/platform/errors.js';
import { createConsumer, handle, type QueueRecord } from '../../../../core/platform/jobs/consumer.js';
import { defineJob, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { SqsJobQueue, SqsTopUpSource } from '../../../../core/platform/jobs/sqs.js';
import { type TopUpSource, toppingUp } from '../../../../core/platform/jobs/top-up.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import { type LocalSqs, startLocalSqs } from '../../../../local/aws/sqs.js';
import { memoryLogger } from '../../../helpers/fakes.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';
import { VirtualClock } from '../../../helpers/virtual-clock.js';

const Ask = defineJob('test.ask', 'ai', () => z.object({ text: z.string(), fail: z.optional(z.boolean()) }));

/** One wait on the slow peer (an LLM answer), virtual ms. */
const WAIT_MS = 6_000;
/** The function's timeout, virtual ms. */
const TIMEOUT_MS = 90_000;

/** A question of chat `chat` as the queue delivers it (its own FIFO group). */
function question(text: string, chat: number, fail = false): QueueRecord {
  const [job] = sealJobs([{ job: Ask, payload: { text, ...(fail ? { fail } : {}) }, chatId: chat, userId: chat }], {
    idPrefix: text,
    traceId: text,
    tenant: TEST_TENANT,
    now: new Date(0),
  });
  return {
    messageId: `m-${text}`,
    receiptHandle: `r-${text}`,
    body: JSON.stringify(job!.envelope),
    attributes: { ApproximateReceiveCount: '1', MessageGroupId: `chat-${chat}` },
  };
}

/** A queue in virtual time: each record becomes visible at its time; a receive long-polls on the clock. */
function arrivingQueue(clock: VirtualClock, arrivals: readonly { at: number; record: QueueRecord }[]) {
  const pending = [...arrivals];
  const removed: string[] = [];
  const receives: number[] = [];
  const source: TopUpSource = {
    async receive(max, waitSeconds) {
      receives.push(max);
      const deadline = clock.now() + waitSeconds * 1000;
      for (;;) {
        const due = pending.filter((a) => a.at <= clock.now()).slice(0, max);
        if (due.length > 0) {
          for (const a of due) pending.splice(pending.indexOf(a), 1);
          return due.map((a) => a.record);
        }
        if (clock.now() >= deadline) return [];
        await clock.sleep(Math.min(deadline, ...pending.map((a) => a.at)) - clock.now());
      }
    },
    async remove(records) {
      removed.push(...records.map((r) => r.messageId));
    },
  };
  return { source, removed, receives, pending };
}

function slowConsumer(clock: VirtualClock) {
  const log = memoryLogger();
  const answered: { text: string; at: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const consume = createConsumer(
    [
      handle(Ask, async (job) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await clock.sleep(WAIT_MS);
        inFlight -= 1;
        if (job.payload.fail) throw new TransientError('test.down', 'later');
        answered.push({ text: job.payload.text, at: clock.now() });
      }),
    ],
    log,
  );
  return { consume, log, answered, maxInFlight: () => maxInFlight };
}

/** Runs one invocation from virtual time 0; what it answered and how long it was billed. */
async function invoke(
  clock: VirtualClock,
  consume: ReturnType<typeof toppingUp>,
  records: QueueRecord[],
  timeoutMs = TIMEOUT_MS,
) {
  const start = clock.now();
  const result = await clock.run(consume(records, () => start + timeoutMs - clock.now()));
  return { result, billedMs: clock.now() - start };
}

const OPTIONS = { maxInFlight: 5, waitSeconds: 2, reserveMs: 50_000 };

describe('toppingUp', () => {
  it('answers questions arriving during a wait in the same invocation: N answers take about one wait, not N', async () => {
    const clock = new VirtualClock();
    const peer = slowConsumer(clock);
    const later = [1, 2, 3, 4].map((n) => ({ at: n * 500, record: question(`q${n}`, n) }));
    const queue = arrivingQueue(clock, later);
    const consume = toppingUp(peer.consume, peer.log, { source: queue.source, ...OPTIONS });

    const { result, billedMs } = await invoke(clock, consume, [question('q0', 0)]);

    expect(result.batchItemFailures).toEqual([]);
    expect(peer.answered.map((a) => a.text).sort()).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    expect(queue.removed.sort()).toEqual(['m-q0', 'm-q1', 'm-q2', 'm-q3', 'm-q4']);
    // Five answers of one wait each, side by side: the invocation lasts the last arrival's wait plus
    // at most one receive's wait, not five waits.
    expect(billedMs).toBeGreaterThanOrEqual(WAIT_MS);
    expect(billedMs / (5 * WAIT_MS)).toBeLessThan(0.4);
    expect(billedMs).toBeLessThanOrEqual(2_000 + WAIT_MS + OPTIONS.waitSeconds * 1000);
  });

  it('deletes its batch’s settled records as soon as they settle while taken ones run on, and not otherwise', async () => {
    const clock = new VirtualClock();
    const peer = slowConsumer(clock);
    const queue = arrivingQueue(clock, [{ at: 3_000, record: question('q1', 1) }]);
    const consume = toppingUp(peer.consume, peer.log, { source: queue.source, ...OPTIONS });

    const { result } = await invoke(clock, consume, [question('q0', 0), question('q9', 9, true)]);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-q9' }]);
    // q0 (not the failed q9) deleted at 6 s, while q1 still ran; then q1 itself.
    expect(queue.removed).toEqual(['m-q0', 'm-q1']);

    const alone = arrivingQueue(clock, []);
    const quiet = toppingUp(peer.consume, peer.log, { source: alone.source, ...OPTIONS });
    await invoke(clock, quiet, [question('q2', 2)]);
    // Nothing else ran: the event source deletes it when the invocation returns.
    expect(alone.removed).toEqual([]);
  });

  it('never works on more than maxInFlight records at once, and takes the rest as room frees up', async () => {
    const clock = new VirtualClock();
    const peer = slowConsumer(clock);
    const queue = arrivingQueue(
      clock,
      Array.from({ length: 7 }, (_, n) => ({ at: 100, record: question(`q${n + 1}`, n + 1) })),
    );
    const consume = toppingUp(peer.consume, peer.log, { source: queue.source, ...OPTIONS, maxInFlight: 3 });

    await invoke(clock, consume, [question('q0', 0)]);

    expect(peer.maxInFlight()).toBe(3);
    expect(Math.max(...queue.receives)).toBeLessThanOrEqual(2);
    expect(peer.answered).toHaveLength(8);
    expect(queue.pending).toEqual([]);
  });

  it('takes nothing once the invocation has no time for another job, nor without its remaining time', async () => {
    const clock = new VirtualClock();
    const peer = slowConsumer(clock);
    const queue = arrivingQueue(clock, [{ at: 0, record: question('q1', 1) }]);
    const consume = toppingUp(peer.consume, peer.log, { source: queue.source, ...OPTIONS });

    // 50 s of reserve and a 2-s receive do not fit in 51 s.
    await invoke(clock, consume, [question('q0', 0)], 51_000);
    await clock.run(consume([question('q2', 2)]));

    expect(queue.receives).toEqual([]);
    expect(peer.answered.map((a) => a.text)).toEqual(['q0', 'q2']);
  });

  it('deletes the taken records that settled, leaves the failed ones to come back, and reports only its own batch', async () => {
    const clock = new VirtualClock();
    const peer = slowConsumer(clock);
    const queue = arrivingQueue(clock, [
      { at: 100, record: question('ok', 1) },
      { at: 200, record: question('down', 2, true) },
    ]);
    const consume = toppingUp(peer.consume, peer.log, { source: queue.source, ...OPTIONS });

    const { result } = await invoke(clock, consume, [question('q0', 0, true)]);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-q0' }]);
    expect(queue.removed).toEqual(['m-ok']);
  });

  it('stops taking when a receive fails, logs it, and still settles its batch', async () => {
    const clock = new VirtualClock();
    const peer = slowConsumer(clock);
    const source: TopUpSource = {
      receive: async () => {
        throw new TransientError('sqs.unavailable', 'SQS ReceiveMessage failed: TimeoutError');
      },
      remove: async () => undefined,
    };
    const consume = toppingUp(peer.consume, peer.log, { source, ...OPTIONS });

    const { result } = await invoke(clock, consume, [question('q0', 0)]);

    expect(result.batchItemFailures).toEqual([]);
    expect(peer.answered.map((a) => a.text)).toEqual(['q0']);
    expect(peer.log.lines.filter((l) => l.event === 'job.top_up_failed')).toHaveLength(1);
  });

  it('logs a failed delete: the settled records come back later and are run again idempotently', async () => {
    const clock = new VirtualClock();
    const peer = slowConsumer(clock);
    const queue = arrivingQueue(clock, [{ at: 100, record: question('q1', 1) }]);
    const source: TopUpSource = {
      receive: queue.source.receive,
      remove: async () => {
        throw new TransientError('sqs.unavailable', 'SQS DeleteMessageBatch failed: TimeoutError');
      },
    };
    const consume = toppingUp(peer.consume, peer.log, { source, ...OPTIONS });

    const { result } = await invoke(clock, consume, [question('q0', 0)]);

    expect(result.batchItemFailures).toEqual([]);
    // The batch's q0 (q1 was still running when it settled), then q1.
    expect(peer.log.lines.filter((l) => l.event === 'job.top_up_remove_failed')).toHaveLength(2);
    expect(peer.answered.map((a) => a.text)).toEqual(['q0', 'q1']);
  });
});

describe('SqsTopUpSource on the local SQS (a FIFO queue)', () => {
  const settings = stageSettings('test');
  let sqs: LocalSqs;
  let client: SQSClient;
  beforeAll(async () => {
    sqs = await startLocalSqs('top-up', settings);
    client = new SQSClient({ ...localClientConfig(sqs.endpoint), maxAttempts: 1 });
  });
  afterAll(() => sqs.stop());

  it('receives records with their group and receive count, never a group with a message in flight, and deletes', async () => {
    const url = sqs.queues.ai.url;
    const queue = new SqsJobQueue({ client, queueUrls: { ai: url }, fifo: fifoQueues(settings) });
    const jobs = sealJobs(
      [
        { job: Ask, payload: { text: 'a1' }, chatId: 1, userId: 1 },
        { job: Ask, payload: { text: 'a2' }, chatId: 1, userId: 1 },
        { job: Ask, payload: { text: 'b1' }, chatId: 2, userId: 2 },
      ],
      { idPrefix: 'top', traceId: 'top', tenant: TEST_TENANT, now: new Date() },
    );
    await queue.send(jobs);
    const source = new SqsTopUpSource({ client, url });
    const text = (r: QueueRecord) => (JSON.parse(r.body) as { payload: { text: string } }).payload.text;

    // One message of chat 1 in flight (as the event source's batch would hold it).
    const first = await source.receive(1, 1);
    expect(first.map(text)).toEqual(['a1']);
    const more = await source.receive(10, 1);
    expect(more.map(text)).toEqual(['b1']);
    expect(more[0]!.attributes).toEqual({
      ApproximateReceiveCount: '1',
      MessageGroupId: `${TEST_TENANT}.chat-2`,
    });
    await source.remove([...first, ...more]);
    // Chat 1's next question only once its first is settled.
    const next = await source.receive(10, 1);
    expect(next.map(text)).toEqual(['a2']);
    await source.remove(next);
    // Deleting again (as the event source does with its batch's records) is no failure.
    await source.remove(next);
    expect(await source.receive(10, 0)).toEqual([]);
  });
});
