import { Connection, Keypair, SystemProgram, Transaction } from '@solana/web3.js';
import { type LocalStack, startLocalStack } from '../local/index.js';
import {
  adminGroup,
  approvalFor,
  localAdmin,
  userWithBalance,
  waitForText,
  withdraw,
} from '../test/helpers/stack-payouts.js';
import { goalRow, median, type Row } from './stats.js';

/** What each user deposits (under the automatic credit threshold) and then withdraws. */
const DEPOSIT_LAMPORTS = 200_000_000n;
const WITHDRAW_SOL = '0.05';
/** Deposits are credited once finalized: 2 s here instead of 32 slots, as nothing measured waits for it. */
const FINALIZE_AFTER_MS = 2_000;

/**
 * A withdrawal end to end on the local stack, from the admin's approval to the user's "sent"
 * message: decide, prepare (RPC), sign (KMS), tx.send until confirmed, settle, notify. The
 * baseline, measured in the same run, is the bare chain: a transfer signed in-process, sent and
 * followed to `confirmed` with the same RPC calls.
 *
 * Withdrawals are backed by the ledger, so each of the `samples` users first gets a balance the
 * way users do (a deposit request paid from their wallet and credited), then asks to withdraw;
 * all of that runs at once, before the measure. The admin then approves the withdrawals one after
 * another, each once the previous user was told theirs is sent.
 */
export async function benchPayouts(samples = 8): Promise<{ rows: Row[]; notes: string[] }> {
  const stack = await startLocalStack({
    onFunctionLog: () => undefined,
    solana: { finalizeAfterMs: FINALIZE_AFTER_MS },
  });
  try {
    const chain = new Connection(stack.solana.urls[0]!, { commitment: 'confirmed', disableRetryOnRateLimit: true });
    const direct: number[] = [];
    for (let i = 0; i < samples; i++) direct.push(await directTransfer(stack, chain));
    const userIds = Array.from({ length: samples }, (_, i) => 9_100 + i);
    const waiting = await Promise.all(userIds.map((userId) => requestedWithdrawal(stack, userId)));
    const payout: number[] = [];
    for (const request of waiting) payout.push(await approvedPayout(stack, request));
    const p50 = median(payout);
    return {
      rows: [
        goalRow('payout: admin approval → user told it is sent (p50)', p50, median(direct), 'ms', {
          label: 'reported',
          met: () => true,
        }),
      ],
      notes: [
        `payouts: ${samples} approved one after another, approval → "sent" p50 ${p50.toFixed(0)} ms (max ${Math.max(...payout).toFixed(0)} ms); a bare transfer to confirmed p50 ${median(direct).toFixed(0)} ms`,
      ],
    };
  } finally {
    await stack.stop();
  }
}

async function directTransfer(stack: LocalStack, chain: Connection): Promise<number> {
  const payer = Keypair.generate();
  await stack.solana.svm.airdrop(payer.publicKey, 1_000_000_000n);
  const started = performance.now();
  const { blockhash, lastValidBlockHeight } = await chain.getLatestBlockhash();
  const tx = new Transaction({ feePayer: payer.publicKey, blockhash, lastValidBlockHeight }).add(
    SystemProgram.transfer({
      fromPubkey: payer.publicKey,
      toPubkey: Keypair.generate().publicKey,
      lamports: 10_000_000,
    }),
  );
  tx.sign(payer);
  const signature = await chain.sendRawTransaction(tx.serialize());
  for (;;) {
    const status = (await chain.getSignatureStatuses([signature])).value[0];
    if (status?.confirmationStatus === 'confirmed' || status?.confirmationStatus === 'finalized') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return performance.now() - started;
}

/** A user with a credited deposit who asked to withdraw part of it, and the admin's approve button for it. */
async function requestedWithdrawal(stack: LocalStack, userId: number) {
  const { user, wallet } = await userWithBalance(stack, userId, DEPOSIT_LAMPORTS);
  await withdraw(stack, user, WITHDRAW_SOL, wallet.toBase58());
  // The first withdrawal to an address cools off before the admins see it.
  const approval = await approvalFor(stack, wallet);
  return { userId, approval };
}

async function approvedPayout(
  stack: LocalStack,
  { userId, approval }: Awaited<ReturnType<typeof requestedWithdrawal>>,
): Promise<number> {
  const started = performance.now();
  await adminGroup(stack).pressButton(localAdmin(stack), approval.message.message_id, approval.data);
  await waitForText(stack, userId, 'sent to', 60_000);
  return performance.now() - started;
}
