import {
  DeleteMessageCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stageSettings } from '../../../../core/desk/settings.js';
import { redriveDeadLetters } from '../../../../core/platform/jobs/sqs-redrive.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import { type LocalSqs, startLocalSqs } from '../../../../local/aws/sqs.js';
import { main } from '../../../../scripts/dlq-redrive.js';

let sqs: LocalSqs;
let client: SQSClient;

beforeAll(async () => {
  sqs = await startLocalSqs('redrive', stageSettings('redrive'));
  client = new SQSClient({ ...localClientConfig(sqs.endpoint), maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await sqs?.stop();
});
beforeEach(async () => {
  for (const queue of Object.values(sqs.queues)) {
    await client.send(new PurgeQueueCommand({ QueueUrl: queue.url }));
    await client.send(new PurgeQueueCommand({ QueueUrl: queue.dlqUrl }));
  }
});

/** A message parked the way a consumer parks one (body as received, the reason attached). */
async function park(url: string, body: string, fifo?: { group: string; id: string }) {
  await client.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: body,
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: 'rpc.unavailable' },
        detail: { DataType: 'String', StringValue: 'every endpoint down' },
        trace: { DataType: 'String', StringValue: 'kept' },
      },
      ...(fifo ? { MessageGroupId: fifo.group, MessageDeduplicationId: fifo.id } : {}),
    }),
  );
}

/** Receives (and deletes) everything visible in a queue. */
async function drain(url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 30,
        MessageSystemAttributeNames: ['MessageGroupId'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
    // Deleted, as a consumer would: a FIFO group stays locked while a received message is in flight.
    for (const message of Messages) {
      await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}

describe('redriveDeadLetters', () => {
  it('moves every message of a standard DLQ back, bodies unchanged, without the parking reason', async () => {
    const { url, dlqUrl } = sqs.queues.rpc;
    for (let i = 0; i < 23; i++) await park(dlqUrl, `{"job":${i}}`);
    const result = await redriveDeadLetters({ client, from: dlqUrl, to: url, fifo: false });
    expect(result).toEqual({ moved: 23, seen: 23, failed: 0, reasons: { 'rpc.unavailable': 23 } });
    const back = await drain(url);
    expect(back.map((m) => m.Body).sort()).toEqual(Array.from({ length: 23 }, (_, i) => `{"job":${i}}`).sort());
    expect(Object.keys(back[0]!.MessageAttributes ?? {})).toEqual(['trace']);
    expect(await drain(dlqUrl)).toEqual([]);
  });

  it('keeps a FIFO message’s group and order, even inside the original deduplication window', async () => {
    const { url, dlqUrl } = sqs.queues.notify;
    // The jobs went out with these deduplication ids a moment ago; a redrive must not be dropped as a repeat.
    for (let i = 0; i < 3; i++)
      await client.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: `x${i}`,
          MessageGroupId: 'chat-1',
          MessageDeduplicationId: `job-${i}`,
        }),
      );
    await drain(url);
    for (let i = 0; i < 3; i++) await park(dlqUrl, `{"n":${i}}`, { group: 'chat-1', id: `job-${i}` });
    const result = await redriveDeadLetters({ client, from: dlqUrl, to: url, fifo: true });
    expect(result.moved).toBe(3);
    const back = await drain(url);
    expect(back.map((m) => m.Body)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}']);
    expect(back.every((m) => m.Attributes?.MessageGroupId === 'chat-1')).toBe(true);
  });

  it('moves at most max, and a dry run moves nothing and leaves every message visible', async () => {
    const { url, dlqUrl } = sqs.queues.vault;
    for (let i = 0; i < 5; i++) await park(dlqUrl, `m${i}`);
    expect(await redriveDeadLetters({ client, from: dlqUrl, to: url, fifo: false, dryRun: true })).toEqual({
      moved: 0,
      seen: 5,
      failed: 0,
      reasons: { 'rpc.unavailable': 5 },
    });
    expect((await redriveDeadLetters({ client, from: dlqUrl, to: url, fifo: false, max: 2 })).moved).toBe(2);
    expect(await drain(url)).toHaveLength(2);
    expect(await drain(dlqUrl)).toHaveLength(3);
  });
});

describe('npm run dlq:redrive', () => {
  it('finds the stage’s queues by name and prints what it moved', async () => {
    await park(sqs.queues.payouts.dlqUrl, 'p');
    const out: string[] = [];
    const code = await main(['payouts', '--stage', 'redrive'], { client, write: (t) => out.push(t) });
    expect(code).toBe(0);
    expect(out.join('')).toBe('redrive-payouts-dlq → redrive-payouts: 1 moved, 0 failed (rpc.unavailable 1)\n');
    expect((await drain(sqs.queues.payouts.url)).map((m) => m.Body)).toEqual(['p']);
  });

  it.each([
    [[]],
    [['nope']],
    [['rpc', 'ai']],
    [['rpc', '--max', '0']],
    [['rpc', '--stage', 'bad stage']],
    [['rpc', '--bogus']],
  ])('refuses %j with the usage and exit code 1', async (argv) => {
    const errors: string[] = [];
    expect(await main(argv, { client, writeError: (t) => errors.push(t) })).toBe(1);
    expect(errors.join('')).toContain('usage: npm run dlq:redrive -- <rpc|notify|ai|vault|payouts|decisions>');
  });

  it('says which DLQ it could not find', async () => {
    const errors: string[] = [];
    expect(await main(['rpc', '--stage', 'nostage'], { client, writeError: (t) => errors.push(t) })).toBe(1);
    expect(errors.join('')).toMatch(/^dlq:redrive: nostage-rpc-dlq in eu-central-1: /);
  });
});
