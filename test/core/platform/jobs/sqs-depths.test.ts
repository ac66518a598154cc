import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES, type QueueName, stageSettings } from '../../../../core/desk/settings.js';
import { TransientError } from '../../../../core/platform/errors.js';
import type { InspectedQueues } from '../../../../core/platform/jobs/depths.js';
import { SqsQueueDepths } from '../../../../core/platform/jobs/sqs.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import { type LocalSqs, startLocalSqs } from '../../../../local/aws/sqs.js';

const settings = stageSettings('test');

let sqs: LocalSqs;
let client: SQSClient;

beforeAll(async () => {
  sqs = await startLocalSqs('depths', settings);
  client = new SQSClient({ ...localClientConfig(sqs.endpoint), maxAttempts: 1 });
});
afterAll(() => sqs.stop());

const inspected = (): InspectedQueues =>
  Object.fromEntries(
    QUEUE_NAMES.map((q) => [q, { url: sqs.queues[q].url, deadLetterUrl: sqs.queues[q].dlqUrl }]),
  ) as InspectedQueues;

async function put(queue: QueueName, url: string, n: number): Promise<void> {
  const fifo = settings.queues[queue].fifo;
  for (let i = 0; i < n; i++) {
    await client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: `{"n":${i}}`,
        ...(fifo ? { MessageGroupId: `g${i}`, MessageDeduplicationId: `${url}-${i}` } : {}),
      }),
    );
  }
}

describe('SqsQueueDepths', () => {
  it('reads waiting, in-flight and dead messages of every queue', async () => {
    await put('rpc', sqs.queues.rpc.url, 3);
    await put('notify', sqs.queues.notify.url, 2);
    await put('notify', sqs.queues.notify.dlqUrl, 1);
    await put('payouts', sqs.queues.payouts.dlqUrl, 2);
    // Two of the rpc queue's messages are being worked on.
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: sqs.queues.rpc.url, MaxNumberOfMessages: 2, VisibilityTimeout: 60 }),
    );
    expect(Messages).toHaveLength(2);

    const depths = await new SqsQueueDepths({ client, queues: inspected() }).read();
    expect(depths).toEqual([
      { queue: 'rpc', waiting: 1, inFlight: 2, dead: 0 },
      { queue: 'notify', waiting: 2, inFlight: 0, dead: 1 },
      { queue: 'ai', waiting: 0, inFlight: 0, dead: 0 },
      { queue: 'vault', waiting: 0, inFlight: 0, dead: 0 },
      { queue: 'payouts', waiting: 0, inFlight: 0, dead: 2 },
      { queue: 'decisions', waiting: 0, inFlight: 0, dead: 0 },
    ]);
  });

  it('fails as transient, naming the queue and not its URL, when a queue cannot be read', async () => {
    const queues = { ...inspected(), ai: { url: `${sqs.endpoint}/000000000000/no-such-queue`, deadLetterUrl: '' } };
    const error = await new SqsQueueDepths({ client, queues }).read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(/^SQS GetQueueAttributes of ai failed: /);
    expect((error as Error).message).not.toContain('no-such-queue');
  });
});
