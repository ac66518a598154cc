import { GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, localClientConfig, startLocalStack } from '../../local/index.js';
import { printFault, tally, walletAnswers } from './report.js';

const USERS = 12;
/**
 * The rpc queue's visibility timeout for this scenario. The stack declares 6 × the function's
 * timeout (180 s); a killed batch comes back after whatever the queue says, so the scenario
 * shortens it on the local queue only to keep CI quick. Nothing else changes.
 */
const VISIBILITY_SECONDS = 15;

let stack: LocalStack;
let sqs: SQSClient;

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: () => undefined });
  sqs = new SQSClient({ ...localClientConfig(stack.sqs.endpoint), maxAttempts: 2 });
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: stack.sqs.queueUrls.rpc,
      Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS) },
    }),
  );
});
afterAll(async () => {
  sqs?.destroy();
  await stack?.stop();
});

async function inFlight(): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.sqs.queueUrls.rpc,
      AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}

describe('fault: the rpc worker is killed mid-batch', () => {
  it('completes every job exactly once after the redelivery', { timeout: 180_000 }, async () => {
    const wallets = Array.from({ length: USERS }, () => Keypair.generate().publicKey.toBase58());
    for (const wallet of wallets) await stack.solana.svm.airdrop(wallet, 1_000_000_000n);
    const users = wallets.map((_, i) => stack.telegram.user(80_000 + i, { first_name: `K${i}` }));
    // Slow chain answers keep the batch in the worker long enough to kill it there.
    for (const index of stack.solana.urls.keys()) stack.solana.endpoint(index).setLatency(4_000);
    for (const [i, user] of users.entries()) await user.sendText(`/verify ${wallets[i]}`);

    await stack.telegram.waitFor(() => (stack.runner!.stats().functions.rpcWorker?.busy ?? 0) > 0 || undefined, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const held = await inFlight();
    const killed = stack.runner!.crash('rpcWorker');
    expect(killed).toBeGreaterThan(0);
    for (const index of stack.solana.urls.keys()) stack.solana.endpoint(index).setLatency(0);

    const answered = await walletAnswers(stack, users, wallets, 120_000);
    const count = tally(
      'worker-killed (wallet.verify answers)',
      users.map((u) => String(u.id)),
      answered,
      {
        'environments killed': killed,
        'messages in flight at the kill': held,
        'batch failures': stack.runner!.stats().queues.rpc!.batchFailures,
      },
    );
    printFault(count);
    expect(count).toMatchObject({ in: USERS, lost: 0, duplicated: 0 });
    expect(held).toBeGreaterThan(0);
    expect(stack.runner!.stats().queues.rpc!.batchFailures).toBeGreaterThan(0);
  });
});
