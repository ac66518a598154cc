import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, localClientConfig, startLocalStack } from '../../local/index.js';
import { main as redrive } from '../../scripts/dlq-redrive.js';
import { printFault, tally, walletAnswers } from './report.js';

const USERS = 10;

let stack: LocalStack;
let sqs: SQSClient;

beforeAll(async () => {
  // The `quick` stage: an open breaker retries after 2 s, and a job that fails while an endpoint
  // still looks usable (its breaker not yet open) after 1, 3, 9 s…; with 2 receives before the DLQ
  // (5 on the stage: one retry shows the same) the jobs use up their receives in seconds.
  stack = await startLocalStack({ stage: 'quick', maxReceiveCounts: { rpc: 2 }, onFunctionLog: () => undefined });
  sqs = new SQSClient({ ...localClientConfig(stack.sqs.endpoint), maxAttempts: 2 });
});
afterAll(async () => {
  sqs?.destroy();
  await stack?.stop();
});

async function depth(url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}

async function until(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('fault: every RPC endpoint down for a while', () => {
  it('retries each job, parks it in the DLQ, and after `npm run dlq:redrive -- rpc` every job completes once', {
    timeout: 420_000,
  }, async () => {
    const wallets = Array.from({ length: USERS }, () => Keypair.generate().publicKey.toBase58());
    for (const wallet of wallets) await stack.solana.svm.airdrop(wallet, 2_000_000_000n);
    const users = wallets.map((_, i) => stack.telegram.user(60_000 + i, { first_name: `R${i}` }));
    for (const index of stack.solana.urls.keys()) await stack.solana.endpoint(index).setDown('refuse');

    for (const [i, user] of users.entries()) await user.sendText(`/verify ${wallets[i]}`);
    // Every job is retried (the pool's breaker says when) until SQS moves it to the DLQ: all of
    // them, none still on its way there when the DLQ is redriven.
    await until(
      async () => (await depth(stack.sqs.dlqUrls.rpc)) >= USERS && (await depth(stack.sqs.queueUrls.rpc)) === 0,
      360_000,
      'the jobs to reach the DLQ',
    );
    const parked = await depth(stack.sqs.dlqUrls.rpc);
    const receives = stack.runner!.stats().queues.rpc!;
    // Each job was received, failed, and was tried again before SQS parked it.
    expect(receives.messages).toBeGreaterThanOrEqual(2 * USERS);
    expect(users.every((user) => user.botMessages().every((m) => !m.text.includes('is a wallet')))).toBe(true);

    for (const index of stack.solana.urls.keys()) await stack.solana.endpoint(index).setDown(false);
    const out: string[] = [];
    const code = await redrive(['rpc', '--stage', stack.stage], { client: sqs, write: (text) => out.push(text) });
    expect(code).toBe(0);
    const answered = await walletAnswers(stack, users, wallets, 60_000);
    const count = tally(
      'rpc-outage (answers after redrive)',
      users.map((u) => String(u.id)),
      answered,
      { parked, redriven: out.join('').trim(), 'rpc deliveries before redrive': receives.messages },
    );
    printFault(count);
    expect(count).toMatchObject({ in: USERS, lost: 0, duplicated: 0 });
    // Every user's job, plus any scheduled deposit poll (one a minute, it reads the treasury's
    // signatures) that ran out of receives during the outage; redriven, they complete too.
    expect(parked).toBeGreaterThanOrEqual(USERS);
    expect(await depth(stack.sqs.dlqUrls.rpc)).toBe(0);
  });
});
