import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, localClientConfig, startLocalStack } from '../../local/index.js';

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
const FIFO = (id: string) => ({ MessageGroupId: `chat-${id}`, MessageDeduplicationId: id });

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
    const envelope = {
      type: 'nobody.knows',
      id: 'x1',
      chatId: null,
      userId: null,
      payload: {},
      attempt: 0,
      createdAt: new Date().toISOString(),
      traceId: 't',
    };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.sqs.queueUrls.ai,
        MessageBody: JSON.stringify(envelope),
        ...FIFO('p2'),
      }),
    );
    const [parked] = await waitForDlq(stack.sqs.dlqUrls.ai, (body) => body.includes('nobody.knows'));
    expect(parked?.MessageAttributes?.reason?.StringValue).toBe('job.unknown_type');
  });
});
