import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { QUEUE_NAMES, stageSettings } from '../../../core/desk/settings.js';
import { localClientConfig } from '../../../local/aws/common.js';
import { queueUrlsOf, startStackSqs } from '../../../local/stack/sqs.js';
import { reachable } from './reachable.js';

describe('startStackSqs', () => {
  it('starts SQS with every queue and DLQ of the stage, and stops it', async () => {
    const sqs = await startStackSqs({ stage: 'local', settings: stageSettings('local') });
    try {
      const urls = queueUrlsOf(sqs, 'url');
      const dlqUrls = queueUrlsOf(sqs, 'dlqUrl');
      expect(Object.keys(urls).sort()).toEqual([...QUEUE_NAMES].sort());
      for (const name of QUEUE_NAMES) {
        expect(urls[name]).toBe(sqs.queues[name].url);
        expect(dlqUrls[name]).toBe(sqs.queues[name].dlqUrl);
        expect(new URL(urls[name]).origin).toBe(sqs.endpoint);
      }
    } finally {
      await sqs.stop();
    }
    expect(await reachable(sqs.endpoint)).toBe(false);
  });

  it('gives the queues named in maxReceiveCounts that many receives before their DLQ, the others the stage’s', async () => {
    const settings = stageSettings('local');
    const sqs = await startStackSqs({ stage: 'local', settings, maxReceiveCounts: { rpc: 2 } });
    const client = new SQSClient(localClientConfig(sqs.endpoint));
    try {
      const receives = async (url: string) => {
        const { Attributes = {} } = await client.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }),
        );
        return JSON.parse(Attributes.RedrivePolicy!).maxReceiveCount;
      };
      expect(await receives(sqs.queues.rpc.url)).toBe(2);
      expect(await receives(sqs.queues.notify.url)).toBe(settings.queues.notify.maxReceiveCount);
    } finally {
      client.destroy();
      await sqs.stop();
    }
  });
});
