import {
  CreateQueueCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { QUEUE_NAMES, type QueueName, stageSettings } from '../../../../core/desk/settings.js';
import { TransientError } from '../../../../core/platform/errors.js';
import type { QueueRecord } from '../../../../core/platform/jobs/consumer.js';
import { defineJob, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { SqsDeadLetterQueue, SqsJobQueue, SqsRedelivery } from '../../../../core/platform/jobs/sqs.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import { type LocalSqs, startLocalSqs } from '../../../../local/aws/sqs.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const settings = stageSettings('test');
const Ping = defineJob('test.ping', 'rpc', () => z.object({ n: z.number() }));
const Notice = defineJob('test.notice', 'notify', () => z.object({ n: z.number() }));

let sqs: LocalSqs;
let client: SQSClient;
const fifo = Object.fromEntries(QUEUE_NAMES.map((q) => [q, settings.queues[q].fifo])) as Record<QueueName, boolean>;
const urls = () => Object.fromEntries(QUEUE_NAMES.map((q) => [q, sqs.queues[q].url])) as Record<QueueName, string>;

beforeAll(async () => {
  sqs = await startLocalSqs('adapter', settings);
  client = new SQSClient({ ...localClientConfig(sqs.endpoint), maxAttempts: 1 });
});
afterAll(() => sqs.stop());

async function drain(queue: QueueName) {
  const bodies: { body: unknown; attributes: Record<string, string> }[] = [];
  for (;;) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: sqs.queues[queue].url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(
      ...Messages.map((m) => ({
        body: JSON.parse(m.Body ?? '{}'),
        attributes: (m.Attributes ?? {}) as Record<string, string>,
      })),
    );
  }
}

const seal = (drafts: Parameters<typeof sealJobs>[0], prefix: string) =>
  sealJobs(drafts, { idPrefix: prefix, traceId: prefix, tenant: TEST_TENANT, now: new Date() });

describe('SqsJobQueue', () => {
  it('sends more jobs than one batch holds, each to its own queue', async () => {
    const queue = new SqsJobQueue({ client, queueUrls: urls(), fifo });
    const jobs = seal(
      [
        ...Array.from({ length: 23 }, (_, n) => ({ job: Ping, payload: { n }, chatId: 1, userId: 1 })),
        { job: Notice, payload: { n: 99 }, chatId: 5, userId: 5 },
      ],
      'batch',
    );
    await queue.send(jobs);
    const rpc = await drain('rpc');
    expect(rpc.map((m) => (m.body as { payload: { n: number } }).payload.n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 23 }, (_, n) => n),
    );
    const notify = await drain('notify');
    expect(notify).toHaveLength(1);
    expect(notify[0]?.attributes.MessageGroupId).toBe(`${TEST_TENANT}.chat-5`);
    expect(notify[0]?.attributes.MessageDeduplicationId).toBe(`${TEST_TENANT}.batch.23`);
  });

  it('does not duplicate a FIFO job sent twice with the same id', async () => {
    const queue = new SqsJobQueue({ client, queueUrls: urls(), fifo });
    const jobs = seal([{ job: Notice, payload: { n: 1 }, chatId: 7, userId: 7 }], 'twice');
    await queue.send(jobs);
    await queue.send(jobs);
    expect(await drain('notify')).toHaveLength(1);
  });

  it('carries emoji and CJK text through SQS unchanged', async () => {
    const Text = defineJob('test.text', 'rpc', () => z.object({ text: z.string() }));
    const text = '🌐 语言 ⬅️ – café \u0000 \\u';
    await new SqsJobQueue({ client, queueUrls: urls(), fifo }).send(
      seal([{ job: Text, payload: { text }, chatId: 1, userId: 1 }], 'emoji'),
    );
    const [message] = await drain('rpc');
    expect(message?.body).toMatchObject({ payload: { text } });
  });

  it('parks a poison message in a FIFO DLQ once, body untouched, reason attached', async () => {
    const dlq = new SqsDeadLetterQueue({ client, url: sqs.queues.notify.dlqUrl, fifo: true });
    const record = {
      messageId: 'msg-1',
      receiptHandle: 'r',
      body: '{not json',
      attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'chat-9' },
    };
    await dlq.park(record, { code: 'job.invalid', message: 'body is not JSON' });
    await dlq.park(record, { code: 'job.invalid', message: 'body is not JSON' });
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: sqs.queues.notify.dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(Messages).toHaveLength(1);
    expect(Messages[0]?.Body).toBe('{not json');
    expect(Messages[0]?.MessageAttributes?.reason?.StringValue).toBe('job.invalid');
    expect(Messages[0]?.MessageAttributes?.sourceMessageId?.StringValue).toBe('msg-1');
    expect(Messages[0]?.Attributes?.MessageGroupId).toBe('chat-9');
  });

  it('reports an unreachable SQS as a transient error', async () => {
    const queue = new SqsJobQueue({
      client: new SQSClient({ ...localClientConfig('http://127.0.0.1:9'), maxAttempts: 1 }),
      queueUrls: urls(),
      fifo,
    });
    await expect(
      queue.send(seal([{ job: Ping, payload: { n: 1 }, chatId: 1, userId: 1 }], 'down')),
    ).rejects.toMatchObject({
      code: 'sqs.unavailable',
    });
  });
});

describe('SqsRedelivery', () => {
  /** A queue of its own whose visibility timeout (60 s) outlasts every test here. */
  async function freshQueue(name: string, fifoQueue: boolean): Promise<string> {
    const { QueueUrl } = await client.send(
      new CreateQueueCommand({
        QueueName: fifoQueue ? `${name}.fifo` : name,
        Attributes: { VisibilityTimeout: '60', ...(fifoQueue ? { FifoQueue: 'true' } : {}) },
      }),
    );
    return QueueUrl ?? '';
  }

  async function receive(url: string, waitSeconds: number, max = 1): Promise<Message[]> {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    return Messages;
  }

  /** The message as Lambda's SQS event would carry it to the consumer. */
  const recordOf = (m: Message): QueueRecord => ({
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
      ...(m.Attributes?.MessageGroupId ? { MessageGroupId: m.Attributes.MessageGroupId } : {}),
    },
  });

  const remove = (url: string, messages: Message[]) =>
    Promise.all(
      messages.map((m) => client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }))),
    );

  it('brings a received message back after the chosen delay, not before', async () => {
    const url = await freshQueue('redelivery-standard', false);
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const [first] = await receive(url, 1);
    expect(first?.Body).toBe('again');
    const redelivery = new SqsRedelivery({ client, url });
    const from = Date.now();
    await redelivery.retryAfter([recordOf(first!)], 2);
    // Without the change the message would stay hidden for the queue's 60 s.
    expect(await receive(url, 1)).toEqual([]);
    let back: Message[] = [];
    while (back.length === 0 && Date.now() - from < 15_000) back = await receive(url, 1);
    const waited = Date.now() - from;
    expect(back.map((m) => m.MessageId)).toEqual([first?.MessageId]);
    expect(back[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(waited).toBeGreaterThanOrEqual(1_500);
    expect(waited).toBeLessThan(10_000);
    await remove(url, back);
  });

  it('keeps the rest of a FIFO group behind the message it brings back', async () => {
    const url = await freshQueue('redelivery-group', true);
    for (const body of ['first', 'second']) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: body,
          MessageGroupId: 'chat-1',
          MessageDeduplicationId: body,
        }),
      );
    }
    const [first] = await receive(url, 1);
    expect(first?.Body).toBe('first');
    const from = Date.now();
    await new SqsRedelivery({ client, url }).retryAfter([recordOf(first!)], 2);
    // The group is locked while its first message is hidden: "second" must not overtake it.
    expect(await receive(url, 1, 10)).toEqual([]);
    let back: Message[] = [];
    while (back.length === 0 && Date.now() - from < 15_000) back = await receive(url, 1, 10);
    expect(Date.now() - from).toBeGreaterThanOrEqual(1_500);
    expect(back[0]?.Body).toBe('first');
    await remove(url, back);
    const rest = back.length > 1 ? back.slice(1) : await receive(url, 1, 10);
    expect(rest.map((m) => m.Body)).toEqual(['second']);
    await remove(url, rest);
  });

  it('reports an invalid receipt handle as a transient error', async () => {
    const url = await freshQueue('redelivery-invalid', false);
    const record: QueueRecord = {
      messageId: 'gone',
      receiptHandle: 'not-a-receipt-handle',
      body: '{}',
      attributes: { ApproximateReceiveCount: '1' },
    };
    const failure = await new SqsRedelivery({ client, url }).retryAfter([record], 2).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransientError);
  });

  it('reports an unreachable SQS as a transient error', async () => {
    const redelivery = new SqsRedelivery({
      client: new SQSClient({ ...localClientConfig('http://127.0.0.1:9'), maxAttempts: 1 }),
      url: sqs.queues.rpc.url,
    });
    const record: QueueRecord = {
      messageId: 'm',
      receiptHandle: 'r',
      body: '{}',
      attributes: { ApproximateReceiveCount: '1' },
    };
    await expect(redelivery.retryAfter([record], 1)).rejects.toMatchObject({ code: 'sqs.unavailable' });
  });

  it("backs a silent failure off by the schedule, capped at the queue's visibility timeout; without one, not at all", () => {
    const url = sqs.queues.notify.url;
    const backoff = new SqsRedelivery({ client, url, backoff: { visibilityTimeoutSeconds: 30, firstRetrySeconds: 5 } });
    expect([1, 2, 3, 4].map((n) => backoff.backoffSeconds(n))).toEqual([5, 15, 30, 30]);
    const quick = new SqsRedelivery({ client, url, backoff: { visibilityTimeoutSeconds: 30, firstRetrySeconds: 1 } });
    expect([1, 2, 3, 4].map((n) => quick.backoffSeconds(n))).toEqual([1, 3, 9, 27]);
    expect(new SqsRedelivery({ client, url }).backoffSeconds(1)).toBeUndefined();
  });
});
