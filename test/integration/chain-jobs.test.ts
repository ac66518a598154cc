import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Connection, Keypair, SystemProgram, Transaction } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TxSendJob } from '../../core/desk/payouts/tx-send.js';
import { DynamoWatchStore } from '../../core/desk/watches/dynamodb-store.js';
import { type JobDraft, sealJobs } from '../../core/platform/jobs/envelope.js';
import { type LocalStack, localClientConfig, startLocalStack } from '../../local/index.js';
import { homeScope, homeTenant } from '../helpers/tenants.js';

let stack: LocalStack;
let sqs: SQSClient;
let chain: Connection;

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: () => undefined, solana: { slotMs: 50 } });
  sqs = new SQSClient(localClientConfig(stack.sqs.endpoint));
  chain = new Connection(stack.solana.urls[0]!, { commitment: 'confirmed', disableRetryOnRateLimit: true });
});
afterAll(() => stack?.stop());

/** Puts jobs on the rpc queue as a producer would. */
async function enqueue(drafts: JobDraft[], prefix: string) {
  for (const { envelope } of sealJobs(drafts, {
    idPrefix: prefix,
    traceId: prefix,
    tenant: homeTenant(stack),
    now: new Date(),
  })) {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: stack.sqs.queueUrls.rpc, MessageBody: JSON.stringify(envelope) }),
    );
  }
}

const waitForText = (chatId: number, includes: string, timeoutMs = 20_000) =>
  stack.telegram.waitFor(() => stack.telegram.sent(chatId).find((m) => m.text.includes(includes)), timeoutMs);

describe('chain jobs on the local stack', () => {
  it('answers /balance with SOL and token balances read from the chain', async () => {
    const owner = Keypair.generate().publicKey;
    await stack.solana.svm.airdrop(owner, 2_500_000_000n);
    const mint = await stack.solana.svm.createMint({ decimals: 6, program: 'token-2022' });
    await stack.solana.svm.mintTo(mint, owner, 1_234_500n);
    const user = stack.telegram.user(601);
    await user.sendText(`/balance ${owner.toBase58()}`);
    const answer = await waitForText(601, 'SOL: 2.5');
    expect(answer.text).toContain(`${mint.toBase58().slice(0, 4)}…${mint.toBase58().slice(-4)}: 1.2345`);
  });

  it('answers /verify with what the address is', async () => {
    const user = stack.telegram.user(602, { language_code: 'zh' });
    await user.sendText(`/verify ${stack.solana.treasury!.address}`);
    const answer = await waitForText(602, '钱包');
    expect(answer.text).toContain('1000 SOL');
  });

  it('sends a signed transaction once, even when its job is delivered twice', async () => {
    const payer = Keypair.generate();
    const to = Keypair.generate().publicKey;
    await stack.solana.svm.airdrop(payer.publicKey, 2_000_000_000n);
    const { blockhash, lastValidBlockHeight } = await chain.getLatestBlockhash();
    const tx = new Transaction({ feePayer: payer.publicKey, blockhash, lastValidBlockHeight });
    tx.add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 1_000_000_000 }));
    tx.sign(payer);
    const user = stack.telegram.user(604);
    await user.sendText('/start');
    const job = {
      job: TxSendJob,
      payload: {
        transaction: tx.serialize().toString('base64'),
        lastValidBlockHeight,
        notify: { chatId: 604, lang: 'en' as const },
      },
      chatId: 604,
      userId: 604,
    };
    await enqueue([job], 'payout1');
    await enqueue([job], 'payout1');
    await waitForText(604, 'Transaction confirmed');
    expect(await chain.getBalance(to)).toBe(1_000_000_000);
    expect(await chain.getBalance(payer.publicKey)).toBe(1_000_000_000 - 5_000);
  });

  it('alerts every watcher of an address whose balance changed, once, after one chain read', async () => {
    const watched = Keypair.generate().publicKey.toBase58();
    await stack.solana.svm.airdrop(watched, 1_000_000_000n);
    const store = new DynamoWatchStore({
      client: homeScope(stack, new DynamoDBClient(localClientConfig(stack.dynamodb.endpoint))),
      tableName: stack.dynamodb.tableName,
    });
    for (const chatId of [605, 606]) {
      await stack.telegram.user(chatId).sendText('/start');
      await store.addWatcher(watched, {
        chatId,
        userId: chatId,
        lang: chatId === 605 ? 'en' : 'zh',
        thresholdLamports: 0n,
      });
    }
    await stack.watchPoll();
    for (let tries = 0; (await store.snapshots([watched])).get(watched) == null; tries++) {
      if (tries > 200) throw new Error('no first snapshot');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await stack.solana.svm.airdrop(watched, 500_000_000n);
    const before = stack.solana.calls({ method: 'getMultipleAccounts' }).length;
    await stack.watchPoll();
    await waitForText(605, watched.slice(0, 4));
    await waitForText(606, watched.slice(0, 4));
    expect(stack.solana.calls({ method: 'getMultipleAccounts' }).length - before).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const chatId of [605, 606]) {
      expect(stack.telegram.sent(chatId).filter((m) => m.text.includes(watched.slice(0, 4)))).toHaveLength(1);
    }
  });
});
