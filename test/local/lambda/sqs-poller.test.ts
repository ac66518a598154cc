import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerSettings } from '../../../core/platform/settings.js';
import { localClientConfig } from '../../../local/aws/common.js';
import {
  type ConsumerQueue,
  createConsumerQueue,
  type LocalSqsServer,
  startSqsServer,
} from '../../../local/aws/sqs.js';
import { buildFunction } from '../../../local/lambda/build.js';
import type { Outcome } from '../../../local/lambda/environment.js';
import { FunctionPool } from '../../../local/lambda/pool.js';
import { SqsPoller, settleBatch } from '../../../local/lambda/sqs-poller.js';
import type { ConsumerInstruction } from '../../fixtures/functions/sqs-consumer.js';
import { sqsRecord } from '../../helpers/events.js';

const fixture = fileURLToPath(new URL('../../fixtures/functions/sqs-consumer.ts', import.meta.url));

let outdir: string;
let bundle: string;
let server: LocalSqsServer;
let client: SQSClient;
beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'poller-test-'));
  [{ outfile: bundle }, server] = await Promise.all([buildFunction(fixture, { outdir }), startSqsServer()]);
  client = new SQSClient(localClientConfig(server.endpoint));
});
afterAll(async () => {
  client.destroy();
  await server.stop();
  await rm(outdir, { recursive: true, force: true });
});

/** Consumer settings small enough for tests: 1 s visibility, short timeouts. */
const consumer = (overrides: Partial<ConsumerSettings> = {}): ConsumerSettings => ({
  fifo: false,
  batchSize: 10,
  maxBatchingWindowSeconds: 0,
  maxConcurrency: 2,
  timeoutSeconds: 2,
  memoryMb: 128,
  maxReceiveCount: 3,
  visibilityTimeoutSeconds: 1,
  retentionSeconds: 3_600,
  dlqRetentionSeconds: 3_600,
  firstRetrySeconds: 1,
  ...overrides,
});

interface Call {
  readonly event: SQSEvent;
  readonly ids: string[];
  readonly messageIds: string[];
  readonly receiveCounts: number[];
  readonly groups: Array<string | undefined>;
  readonly startedAt: number;
  outcome?: Outcome;
}

interface Harness {
  readonly queue: ConsumerQueue;
  readonly pool: FunctionPool;
  readonly poller: SqsPoller;
  readonly calls: Call[];
  /** Highest number of invocations in flight at once, as seen from outside the poller. */
  readonly maxConcurrent: () => number;
  /** Group ids that were in two concurrent invocations. */
  readonly groupOverlaps: string[];
  send(instructions: ConsumerInstruction[], groupOf?: (instruction: ConsumerInstruction) => string): Promise<void>;
  /** Ids of the records processed successfully (not reported in `batchItemFailures`), in invocation order. */
  succeeded(): string[];
  dlqDepth(): Promise<number>;
}

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await Promise.all([h.poller.stop(), h.pool.stop()]);
});

let queueCount = 0;
async function harness(settings: ConsumerSettings): Promise<Harness> {
  queueCount += 1;
  const suffix = settings.fifo ? '.fifo' : '';
  const queue = await createConsumerQueue(
    client,
    { queue: `q${queueCount}${suffix}`, dlq: `q${queueCount}-dlq${suffix}` },
    settings,
  );
  const pool = new FunctionPool({
    name: `consumer-${queueCount}`,
    bundle,
    env: {},
    timeoutMs: settings.timeoutSeconds * 1000,
    memoryMb: settings.memoryMb,
    concurrency: settings.maxConcurrency,
  });
  const calls: Call[] = [];
  const groupOverlaps: string[] = [];
  const groupsInFlight = new Set<string>();
  let concurrent = 0;
  let maxConcurrent = 0;
  const invoke = async (event: SQSEvent): Promise<Outcome> => {
    const call: Call = {
      event,
      ids: event.Records.map((r) => (JSON.parse(r.body) as ConsumerInstruction).id),
      messageIds: event.Records.map((r) => r.messageId),
      receiveCounts: event.Records.map((r) => Number(r.attributes.ApproximateReceiveCount)),
      groups: event.Records.map((r) => r.attributes.MessageGroupId),
      startedAt: Date.now(),
    };
    calls.push(call);
    const groups = new Set(call.groups.filter((g): g is string => g !== undefined));
    for (const group of groups) if (groupsInFlight.has(group)) groupOverlaps.push(group);
    for (const group of groups) groupsInFlight.add(group);
    concurrent += 1;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    try {
      call.outcome = await pool.invoke(event);
      return call.outcome;
    } finally {
      concurrent -= 1;
      for (const group of groups) groupsInFlight.delete(group);
    }
  };
  const poller = new SqsPoller({ client, queueUrl: queue.url, queueArn: queue.arn, settings, invoke });
  const h: Harness = {
    queue,
    pool,
    poller,
    calls,
    groupOverlaps,
    maxConcurrent: () => maxConcurrent,
    async send(instructions, groupOf) {
      for (let i = 0; i < instructions.length; i += 10) {
        await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queue.url,
            Entries: instructions.slice(i, i + 10).map((instruction) => ({
              Id: instruction.id,
              MessageBody: JSON.stringify(instruction),
              ...(groupOf ? { MessageGroupId: groupOf(instruction), MessageDeduplicationId: instruction.id } : {}),
            })),
          }),
        );
      }
    },
    succeeded() {
      return calls.flatMap((call) => {
        if (!call.outcome?.ok) return [];
        const payload = call.outcome.payload as { batchItemFailures: Array<{ itemIdentifier: string }> };
        const failed = new Set(payload.batchItemFailures.map((f) => f.itemIdentifier));
        return call.ids.filter((_, i) => !failed.has(call.messageIds[i] ?? ''));
      });
    },
    async dlqDepth() {
      const { Attributes } = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    },
  };
  harnesses.push(h);
  return h;
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      const state = harnesses.map((h) => ({ stats: h.poller.stats(), calls: h.calls.map((c) => [c.ids, c.outcome]) }));
      throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(state)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe('SqsPoller', () => {
  it('never sends more than batchSize records nor runs more than maxConcurrency invocations under load', async () => {
    const h = await harness(consumer({ batchSize: 3, maxConcurrency: 2, visibilityTimeoutSeconds: 30 }));
    await h.send(ids('m', 24).map((id) => ({ id, sleepMs: 60 })));

    await waitFor(() => h.poller.stats().deleted === 24);
    expect(Math.max(...h.calls.map((c) => c.ids.length))).toBeLessThanOrEqual(3);
    expect(h.maxConcurrent()).toBe(2);
    expect(h.poller.stats().maxInFlight).toBe(2);
    expect(h.calls.flatMap((c) => c.ids).sort()).toEqual(ids('m', 24).sort());
  });

  it('waits for the batching window to fill a batch, and no longer once the batch is full', async () => {
    // Visibility must outlast the window (AWS: ≥ 6 × timeout + window), or a message reappears while its batch gathers.
    const windowed = await harness(
      consumer({ batchSize: 10, maxBatchingWindowSeconds: 1, maxConcurrency: 1, visibilityTimeoutSeconds: 10 }),
    );
    const sentAt = Date.now();
    for (const id of ids('w', 3)) {
      await windowed.send([{ id }]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await waitFor(() => windowed.poller.stats().deleted === 3);
    expect(windowed.calls).toHaveLength(1);
    expect(windowed.calls[0]?.ids).toEqual(ids('w', 3));
    expect((windowed.calls[0]?.startedAt ?? 0) - sentAt).toBeGreaterThanOrEqual(950);

    const full = await harness(
      consumer({ batchSize: 2, maxBatchingWindowSeconds: 5, maxConcurrency: 1, visibilityTimeoutSeconds: 10 }),
    );
    const fullSentAt = Date.now();
    await full.send([{ id: 'f1' }, { id: 'f2' }]);
    await waitFor(() => full.poller.stats().deleted === 2);
    expect((full.calls[0]?.startedAt ?? 0) - fullSentAt).toBeLessThan(1_000);
  });

  it('deletes the records that succeeded and redelivers only those in batchItemFailures, until the DLQ', async () => {
    const h = await harness(consumer({ maxReceiveCount: 2 }));
    await h.send([{ id: 'ok1' }, { id: 'bad1', fail: true }, { id: 'ok2' }, { id: 'bad2', fail: true }, { id: 'ok3' }]);

    await waitFor(async () => (await h.dlqDepth()) === 2);
    const seen = h.calls.flatMap((c) => c.ids);
    for (const id of ['ok1', 'ok2', 'ok3']) expect(seen.filter((s) => s === id)).toHaveLength(1);
    for (const id of ['bad1', 'bad2']) expect(seen.filter((s) => s === id)).toHaveLength(2);
    expect(h.poller.stats()).toMatchObject({ deleted: 3, itemFailures: 4, batchFailures: 0 });
  });

  it('redelivers the whole batch when the handler throws', async () => {
    const h = await harness(consumer());
    await h.send([{ id: 'a' }, { id: 'boom', throw: true, firstReceiveOnly: true }, { id: 'c' }]);

    await waitFor(() => h.poller.stats().deleted === 3);
    const first = h.calls[0];
    expect(first?.outcome).toMatchObject({ ok: false, kind: 'handler' });
    for (const id of ['a', 'boom', 'c']) {
      const counts = h.calls.flatMap((c) => c.receiveCounts.filter((_, i) => c.ids[i] === id));
      expect(counts).toEqual([1, 2]);
    }
    expect(h.poller.stats().batchFailures).toBe(1);
  });

  it('fails the whole batch when batchItemFailures names a message that is not in it', async () => {
    const h = await harness(consumer());
    await h.send([{ id: 'x' }, { id: 'liar', bogusId: true, firstReceiveOnly: true }]);

    await waitFor(() => h.poller.stats().deleted === 2);
    expect(h.calls.flatMap((c) => c.ids).sort()).toEqual(['liar', 'liar', 'x', 'x']);
    expect(h.poller.stats().batchFailures).toBe(1);
  });

  it('kills the environment on timeout and redelivers the batch after the visibility timeout', async () => {
    const h = await harness(consumer({ timeoutSeconds: 0.3 }));
    await h.send([{ id: 'slow', sleepMs: 10_000, firstReceiveOnly: true }]);

    await waitFor(() => h.poller.stats().deleted === 1);
    expect(h.calls.map((c) => c.outcome?.ok)).toEqual([false, true]);
    expect(h.calls[0]?.outcome).toMatchObject({ ok: false, kind: 'timeout' });
    expect(h.calls[1]?.receiveCounts).toEqual([2]);
    expect(h.pool.stats()).toMatchObject({ timeouts: 1, coldStarts: 2 });
  });

  it('keeps FIFO order within a message group and never processes one group in two invocations at once', async () => {
    const h = await harness(consumer({ fifo: true, maxConcurrency: 2 }));
    const messages: ConsumerInstruction[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      messages.push({ id: `a${n}`, sleepMs: 20, fail: n === 3, firstReceiveOnly: n === 3 });
      messages.push({ id: `b${n}`, sleepMs: 20 });
    }
    await h.send(messages, (m) => m.id.slice(0, 1));

    await waitFor(() => h.poller.stats().deleted === 10);
    const succeeded = h.succeeded();
    expect(succeeded.filter((id) => id.startsWith('a'))).toEqual(ids('a', 5));
    expect(succeeded.filter((id) => id.startsWith('b'))).toEqual(ids('b', 5));
    expect(h.groupOverlaps).toEqual([]);
  });

  it('stops promptly while long polling and invokes nothing afterwards', async () => {
    const h = await harness(consumer());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await h.poller.stop();
    expect(Date.now() - started).toBeLessThan(500);

    await h.send([{ id: 'late' }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.calls).toEqual([]);
  });
});

describe('SqsPoller events', () => {
  it('hands the function records in the Lambda SQS event shape, FIFO attributes included', async () => {
    const h = await harness(consumer({ fifo: true }));
    await client.send(
      new SendMessageCommand({
        QueueUrl: h.queue.url,
        MessageBody: JSON.stringify({ id: 'shape' }),
        MessageGroupId: 'chat-42',
        MessageDeduplicationId: 'job-1',
        MessageAttributes: {
          traceId: { DataType: 'String', StringValue: 'abc' },
          raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );

    await waitFor(() => h.poller.stats().deleted === 1);
    const record = h.calls[0]?.event.Records[0];
    expect(record).toMatchObject({
      body: '{"id":"shape"}',
      md5OfBody: createHash('md5').update('{"id":"shape"}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: h.queue.arn,
      awsRegion: 'us-east-1',
      attributes: {
        ApproximateReceiveCount: '1',
        SenderId: expect.any(String),
        MessageGroupId: 'chat-42',
        MessageDeduplicationId: 'job-1',
        SequenceNumber: expect.stringMatching(/^\d+$/),
      },
      messageAttributes: {
        traceId: { stringValue: 'abc', stringListValues: [], binaryListValues: [], dataType: 'String' },
        raw: { binaryValue: 'AQID', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
    });
    expect(record?.messageId).toMatch(/\S/);
    expect(record?.receiptHandle).toMatch(/\S/);
    expect(record?.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    for (const name of ['SentTimestamp', 'ApproximateFirstReceiveTimestamp'] as const) {
      expect(Math.abs(Number(record?.attributes[name]) - Date.now())).toBeLessThan(10_000);
    }
  });
});

describe('settleBatch', () => {
  const records = [sqsRecord({ body: '1', messageId: 'm1' }), sqsRecord({ body: '2', messageId: 'm2' })];
  const ok = (payload: unknown): Outcome => ({ ok: true, payload });

  it('deletes every record when the handler returns nothing or an empty list', () => {
    for (const payload of [null, undefined, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      expect(settleBatch(ok(payload), records)).toEqual({ batchFailed: false, remove: records, retry: [] });
    }
  });

  it('keeps only the records listed in batchItemFailures', () => {
    expect(settleBatch(ok({ batchItemFailures: [{ itemIdentifier: 'm2' }] }), records)).toEqual({
      batchFailed: false,
      remove: [records[0]],
      retry: [records[1]],
    });
  });

  it('fails the whole batch for an unknown, empty or missing itemIdentifier or a failed invocation', () => {
    for (const failures of [[{ itemIdentifier: 'nope' }], [{ itemIdentifier: '' }], [{}], 'm1']) {
      expect(settleBatch(ok({ batchItemFailures: failures }), records)).toMatchObject({
        batchFailed: true,
        remove: [],
      });
    }
    const thrown: Outcome = { ok: false, kind: 'handler', error: { errorType: 'Error', errorMessage: 'x', trace: [] } };
    expect(settleBatch(thrown, records)).toEqual({ batchFailed: true, remove: [], retry: records });
  });
});
