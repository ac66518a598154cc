import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPayoutStore } from '../../core/desk/payouts/dynamodb-store.js';
import { PayoutDecideJob } from '../../core/desk/payouts/jobs.js';
import { ENV, type QueueName } from '../../core/desk/settings.js';
import { createLogger } from '../../core/platform/log.js';
import { scopeToTenant } from '../../core/platform/tenants/index.js';
import { composeSigner } from '../../functions/lib/compose-keys.js';
import { signerConfig } from '../../functions/lib/config.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../local/aws/common.js';
import { sqsRecord } from '../helpers/events.js';
import { drainQueue, type FuzzStack, startFuzzStack } from '../helpers/fuzz-stack.js';

let fuzz: FuzzStack;
/** The stack's own bot (listed with no record): the tenant the signer serves. */
const home = () => String(fuzz.stack.bot.id);
let store: DynamoPayoutStore;

beforeAll(async () => {
  fuzz = await startFuzzStack();
  store = new DynamoPayoutStore({
    client: scopeToTenant(fuzz.dynamo, home()),
    tableName: fuzz.stack.dynamodb.tableName,
  });
});
afterAll(() => fuzz?.stop());

const signer = () =>
  composeSigner(
    signerConfig({ ...process.env, [ENV.deadLetterQueueUrl]: fuzz.stack.sqs.dlqUrls.payouts }),
    createLogger({ service: 'signer-test', level: 'silent' }),
  );

const arnOf = (url: string) => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${url.split('/').at(-1)}`;
const queueArn = (queue: QueueName) => arnOf(fuzz.stack.sqs.queueUrls[queue]);

let next = 0;
/** A requested payout, as the rpc worker creates it. */
async function requestedPayout(): Promise<string> {
  next += 1;
  const id = `aaaaaaaaaaaaaa${'abcdefgh'[next % 8]}${'abcdefgh'[Math.floor(next / 8) % 8]}`;
  await store.create(
    {
      id,
      userId: 7,
      chatId: 7,
      lang: 'en',
      wallet: '11111111111111111111111111111111',
      lamports: 100_000_000n,
      day: '2025-01-01',
    },
    { at: Date.now(), status: 'requested', by: 'user:7', job: `request-${id}` },
  );
  return id;
}

/** An admin's approval of `payoutId`, as an SQS record from `sourceArn`. */
function approval(payoutId: string, sourceArn: string) {
  const body = JSON.stringify({
    type: PayoutDecideJob.type,
    tenant: home(),
    id: `decide-${randomUUID()}`,
    chatId: null,
    userId: 1_000,
    payload: { payoutId, approve: true, adminId: 1_000, adminName: 'admin' },
    attempt: 0,
    createdAt: new Date().toISOString(),
    traceId: 'trace',
  });
  return sqsRecord({ body, queueArn: sourceArn });
}

describe('Signer decisions', () => {
  it('applies a payout decision that comes from the decisions queue', async () => {
    const id = await requestedPayout();
    const result = await signer()([approval(id, queueArn('decisions'))]);
    expect(result.batchItemFailures).toEqual([]);
    expect((await store.get(id))?.status).toBe('approved');
    await drainQueue(fuzz.sqs, fuzz.stack.sqs.queueUrls.rpc);
    await drainQueue(fuzz.sqs, fuzz.stack.sqs.queueUrls.notify);
  });

  it('never runs a decision put on the payouts queue (which the rpc worker may send to): it is parked', async () => {
    const id = await requestedPayout();
    const record = approval(id, queueArn('payouts'));
    const result = await signer()([record]);
    expect(result.batchItemFailures).toEqual([]);
    expect((await store.get(id))?.status).toBe('requested');
    const parked = await drainQueue(fuzz.sqs, fuzz.stack.sqs.dlqUrls.payouts);
    expect(parked.map((m) => m.MessageAttributes?.reason?.StringValue)).toEqual([
      expect.stringContaining('job.unknown_type'),
    ]);
  });

  it('runs nothing that comes from a queue it does not consume', async () => {
    const id = await requestedPayout();
    const record = approval(id, queueArn('rpc'));
    const result = await signer()([record]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect((await store.get(id))?.status).toBe('requested');
  });
});
