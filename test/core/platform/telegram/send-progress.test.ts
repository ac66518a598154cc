import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../../../core/platform/errors.js';
import { createConsumer, DynamoJobProgress, type QueueRecord, sealJobs } from '../../../../core/platform/jobs/index.js';
import { TELEGRAM_LIMITS } from '../../../../core/platform/settings.js';
import type { TelegramCall } from '../../../../core/platform/telegram/calls.js';
import { DynamoChatPace } from '../../../../core/platform/telegram/dynamodb-chat-pace.js';
import { containerPacers } from '../../../../core/platform/telegram/pacing.js';
import { telegramSendHandler } from '../../../../core/platform/telegram/send.js';
import { TelegramSendJob } from '../../../../core/platform/telegram/send-job.js';
import { createSender } from '../../../../core/platform/telegram/sender.js';
import { memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { FakeClock, ScriptedGateway } from '../../../helpers/notify-fakes.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

let table: LocalTable;
beforeAll(async () => {
  table = await startLocalTable('send-progress-test');
});
afterAll(async () => {
  await table.stop();
});

const send = (chat: number, text: string): TelegramCall => ({ method: 'sendMessage', params: { chat_id: chat, text } });

/** A notify worker's consumer of `telegram.send` jobs, its progress and pace on the local table. */
function worker() {
  const clock = new FakeClock();
  const gateway = new ScriptedGateway(clock);
  const stores = { client: table.client, tableName: table.db.tableName };
  const deliver = createSender({
    gateway,
    progress: new DynamoJobProgress({ ...stores, retainSeconds: 3_600 }),
    pace: new DynamoChatPace(stores),
    pacers: containerPacers(TELEGRAM_LIMITS, 1, clock),
    directory: { setActive: async () => {} },
    clock,
  });
  return { gateway, consume: createConsumer([telegramSendHandler(deliver)], memoryLogger()) };
}

/** Fails the first call of `text` (a 502), answers every other. */
function failOnce(text: string): (call: TelegramCall) => Error | undefined {
  let failed = false;
  return (call) => {
    if (call.params.text !== text || failed) return undefined;
    failed = true;
    return new TransientError('telegram.unavailable', '502');
  };
}

/** A `telegram.send` job as SQS delivers it, and its id. */
function record(calls: TelegramCall[], messageId: string, receiveCount = 1): QueueRecord & { jobId: string } {
  const [job] = sealJobs([{ job: TelegramSendJob, payload: { calls }, chatId: 1, userId: 1 }], {
    idPrefix: messageId,
    traceId: 't',
    tenant: TEST_TENANT,
    now: new Date(),
  });
  return {
    jobId: job!.envelope.id,
    messageId,
    receiptHandle: `r-${messageId}-${receiveCount}`,
    body: JSON.stringify(job!.envelope),
    attributes: { ApproximateReceiveCount: String(receiveCount), MessageGroupId: messageId },
  };
}

/** The job's progress item as stored, or `undefined` when none was written. */
async function progressOf(jobId: string): Promise<number | undefined> {
  const { Item } = await table.client.send(
    new GetItemCommand({
      TableName: table.db.tableName,
      Key: { pk: { S: `job#${jobId}` }, sk: { S: 'progress' } },
      ConsistentRead: true,
    }),
  );
  return Item?.done?.N === undefined ? undefined : Number(Item.done.N);
}

describe('telegram.send progress on the table', () => {
  it('writes no progress for a job of one call alone in its batch', async () => {
    const { gateway, consume } = worker();
    const job = record([send(101, 'only')], 'single');
    expect(await consume([job])).toEqual({ batchItemFailures: [] });
    expect(gateway.texts()).toEqual(['only']);
    expect(await progressOf(job.jobId)).toBeUndefined();
  });

  it('records a job of one call that shares its batch, and a redelivery of it alone repeats nothing', async () => {
    const { gateway, consume } = worker();
    const first = record([send(102, 'first')], 'shared-1');
    const second = record([send(103, 'second')], 'shared-2');
    gateway.answer = failOnce('second');
    await consume([first, second]);
    expect(await progressOf(first.jobId)).toBe(1);
    // The invocation died before it returned: SQS brings the done job back, alone this time.
    expect(await consume([record([send(102, 'first')], 'shared-1', 2)])).toEqual({ batchItemFailures: [] });
    expect(gateway.texts().filter((t) => t === 'first')).toHaveLength(1);
  });

  it('never repeats a call of a redelivered job of several calls, alone in its batch or not', async () => {
    const { gateway, consume } = worker();
    const calls = [send(104, 'a'), send(104, 'b'), send(104, 'c')];
    const job = record(calls, 'multi');
    gateway.answer = failOnce('b');
    expect((await consume([job])).batchItemFailures).toEqual([{ itemIdentifier: 'multi' }]);
    expect(await progressOf(job.jobId)).toBe(1);
    expect(await consume([record(calls, 'multi', 2)])).toEqual({ batchItemFailures: [] });
    expect(await progressOf(job.jobId)).toBe(3);
    // Redelivered once more after it was done (the invocation died before it returned).
    await consume([record(calls, 'multi', 3), record([send(105, 'other')], 'beside')]);
    expect(gateway.texts()).toEqual(['a', 'b', 'c', 'other']);
  });
});
