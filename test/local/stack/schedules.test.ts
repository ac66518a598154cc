import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../../core/desk/settings.js';
import { localClientConfig } from '../../../local/aws/common.js';
import type { LocalSqs } from '../../../local/aws/sqs.js';
import { startStackSchedules } from '../../../local/stack/schedules.js';
import { startStackSqs } from '../../../local/stack/sqs.js';

const settings = stageSettings('local');
let sqs: LocalSqs;
let client: SQSClient;
beforeAll(async () => {
  sqs = await startStackSqs({ stage: 'local', settings });
  client = new SQSClient(localClientConfig(sqs.endpoint));
});
afterAll(async () => {
  client.destroy();
  await sqs.stop();
});

async function received(): Promise<string[]> {
  const { Messages } = await client.send(
    new ReceiveMessageCommand({ QueueUrl: sqs.queues.rpc.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return (Messages ?? []).map((m) => (JSON.parse(m.Body ?? '{}') as { type?: string }).type ?? '');
}

describe('startStackSchedules', () => {
  it('puts a watch poll and a deposit poll on the rpc queue when fired, timers on or off, and stops', async () => {
    for (const timers of [true, false]) {
      const schedules = await startStackSchedules({
        sqsEndpoint: sqs.endpoint,
        queueUrl: sqs.queues.rpc.url,
        settings,
        timers,
      });
      try {
        await schedules.watchPoll();
        await schedules.depositPoll();
        expect((await received()).sort()).toEqual(['deposit.poll', 'watch.poll']);
      } finally {
        await schedules.stop();
      }
    }
  });
});
