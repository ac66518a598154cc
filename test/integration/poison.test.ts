import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AiResetJob } from '../../core/desk/assistant/jobs.js';
import { type LocalStack, localClientConfig, startLocalStack } from '../../local/index.js';
import { homeTenant } from '../helpers/tenants.js';

let stack: LocalStack;
let sqs: SQSClient;

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: () => undefined });
  sqs = new SQSClient(localClientConfig(stack.sqs.endpoint));
});
afterAll(() => stack?.stop());

async function waitForDlq(url: string, match: (body: string) => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const found = Messages.filter((m) => match(m.Body ?? ''));
    if (found.length > 0) return found;
  }
  throw new Error('nothing reached the DLQ');
}

/** The ai queue (where these land) is FIFO: a group and a deduplication id each (a group of its own, as a received DLQ message holds its group back). */
const FIFO = (id: string) => ({
  MessageGroupId: `${homeTenant(stack)}.chat-${id}`,
  MessageDeduplicationId: `${homeTenant(stack)}.${id}`,
});

/** A well-formed job of `type` for the stack's own bot (or, with `tenant` null, for none). */
const envelopeOf = (type: string, id: string, tenant: string | null = homeTenant(stack)) => ({
  type,
  id,
  ...(tenant !== null && { tenant }),
  chatId: null,
  userId: null,
  payload: {},
  attempt: 0,
  createdAt: new Date().toISOString(),
  traceId: 't',
});

describe('poison messages on the local stack', () => {
  it('parks a malformed job in the DLQ on its first delivery, with the reason', async () => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.sqs.queueUrls.ai,
        MessageBody: '{"type":"wallet.verify"',
        ...FIFO('p1'),
      }),
    );
    const [parked] = await waitForDlq(stack.sqs.dlqUrls.ai, (body) => body.startsWith('{"type":"wallet.verify"'));
    expect(parked?.Body).toBe('{"type":"wallet.verify"');
    expect(parked?.MessageAttributes?.reason?.StringValue).toBe('job.invalid');
    expect(stack.runner?.stats().queues.ai?.invocations).toBe(1);
  });

  it('parks a job of a type no consumer knows', async () => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.sqs.queueUrls.ai,
        MessageBody: JSON.stringify(envelopeOf('nobody.knows', 'x1')),
        ...FIFO('p2'),
      }),
    );
    const [parked] = await waitForDlq(stack.sqs.dlqUrls.ai, (body) => body.includes('nobody.knows'));
    expect(parked?.MessageAttributes?.reason?.StringValue).toBe('job.unknown_type');
  });

  it('parks a job that names no bot on a queue whose jobs no schedule fans out', async () => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.sqs.queueUrls.ai,
        MessageBody: JSON.stringify(envelopeOf(AiResetJob.type, 'x2', null)),
        ...FIFO('p3'),
      }),
    );
    const [parked] = await waitForDlq(stack.sqs.dlqUrls.ai, (body) => body.includes('"x2"'));
    expect(parked?.MessageAttributes?.reason?.StringValue).toBe('job.no_tenant');
  });
});
