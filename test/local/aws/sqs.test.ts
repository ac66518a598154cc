import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES, stageSettings } from '../../../core/desk/settings.js';
import type { ConsumerSettings } from '../../../core/platform/settings.js';
import { localClientConfig } from '../../../local/aws/common.js';
import {
  createConsumerQueue,
  type LocalSqs,
  type LocalSqsServer,
  startLocalSqs,
  startSqsServer,
} from '../../../local/aws/sqs.js';
import { queueResourceNames } from '../../../stacks/manifest.js';

const settings = stageSettings('local');

/** Small numbers so redelivery happens within a test. */
const fast: ConsumerSettings = {
  ...settings.queues.rpc,
  maxReceiveCount: 2,
  visibilityTimeoutSeconds: 1,
  timeoutSeconds: 0.1,
};

let server: LocalSqsServer;
let client: SQSClient;
beforeAll(async () => {
  server = await startSqsServer();
  client = new SQSClient(localClientConfig(server.endpoint));
});
afterAll(async () => {
  client.destroy();
  await server.stop();
});

async function attributes(url: string, via = client): Promise<Record<string, string>> {
  const { Attributes = {} } = await via.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return Attributes;
}

async function receive(url: string, visibility?: number) {
  const { Messages = [] } = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['All'],
      ...(visibility === undefined ? {} : { VisibilityTimeout: visibility }),
    }),
  );
  return Messages;
}

describe('startLocalSqs', () => {
  let sqs: LocalSqs;
  let stackClient: SQSClient;
  beforeAll(async () => {
    sqs = await startLocalSqs('qa', settings);
    stackClient = new SQSClient(localClientConfig(sqs.endpoint));
  });
  afterAll(async () => {
    stackClient.destroy();
    await sqs.stop();
  });

  it('creates every queue and its DLQ with the names and attributes of the stage settings', async () => {
    for (const name of QUEUE_NAMES) {
      const declared = settings.queues[name];
      const names = queueResourceNames('qa', name, declared);
      const queue = sqs.queues[name];
      const attrs = await attributes(queue.url, stackClient);
      const dlqAttrs = await attributes(queue.dlqUrl, stackClient);

      expect(queue.url.endsWith(`/${names.queue}`)).toBe(true);
      expect(queue.dlqUrl.endsWith(`/${names.dlq}`)).toBe(true);
      expect(attrs.VisibilityTimeout).toBe(String(declared.visibilityTimeoutSeconds));
      expect(attrs.MessageRetentionPeriod).toBe(String(declared.retentionSeconds));
      expect(JSON.parse(attrs.RedrivePolicy ?? '{}')).toEqual({
        deadLetterTargetArn: queue.dlqArn,
        maxReceiveCount: declared.maxReceiveCount,
      });
      expect(dlqAttrs.MessageRetentionPeriod).toBe(String(declared.dlqRetentionSeconds));
      expect(attrs.FifoQueue === 'true').toBe(declared.fifo);
      expect(dlqAttrs.FifoQueue === 'true').toBe(declared.fifo);
    }
  });

  it('names queue URLs on the endpoint origin so SDK clients configured by AWS_ENDPOINT_URL_SQS reach them', () => {
    for (const name of QUEUE_NAMES) expect(new URL(sqs.queues[name].url).origin).toBe(sqs.endpoint);
  });
});

describe('fauxqs redrive and visibility', () => {
  it('moves a message to the DLQ on the receive after maxReceiveCount receives', async () => {
    const queue = await createConsumerQueue(client, { queue: 'redrive', dlq: 'redrive-dlq' }, fast);
    await client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'poison' }));

    for (let attempt = 1; attempt <= fast.maxReceiveCount; attempt++) {
      const [message] = await receive(queue.url);
      expect(message?.Attributes?.ApproximateReceiveCount).toBe(String(attempt));
      // Fail it: make it visible again at once instead of waiting for the visibility timeout.
      await client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queue.url,
          ReceiptHandle: message?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }

    expect(await receive(queue.url)).toEqual([]);
    const [dead] = await receive(queue.dlqUrl);
    expect(dead?.Body).toBe('poison');
  });

  it('hides a received message for the visibility timeout, then delivers it again', async () => {
    const queue = await createConsumerQueue(client, { queue: 'visibility', dlq: 'visibility-dlq' }, fast);
    await client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'again' }));

    expect(await receive(queue.url)).toHaveLength(1);
    expect(await receive(queue.url)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const [again] = await receive(queue.url);
    expect(again?.Body).toBe('again');
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('does not hand out a FIFO group while one of its messages is in flight', async () => {
    const queue = await createConsumerQueue(
      client,
      { queue: 'groups.fifo', dlq: 'groups-dlq.fifo' },
      {
        ...fast,
        fifo: true,
      },
    );
    for (const [group, n] of [
      ['a', 1],
      ['a', 2],
      ['b', 1],
    ] as const) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queue.url,
          MessageBody: `${group}${n}`,
          MessageGroupId: group,
          MessageDeduplicationId: `${group}${n}`,
        }),
      );
    }

    const first = await receive(queue.url, 30);
    expect(first.map((m) => m.Body).sort()).toEqual(['a1', 'b1']);
    expect(await receive(queue.url, 30)).toEqual([]);
  });
});
