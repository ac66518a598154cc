import { Connection, Keypair, SystemProgram, Transaction } from '@solana/web3.js';
import { LOCAL_ADMIN_CHAT_ID, LOCAL_ADMIN_USER_ID, type LocalStack, startLocalStack } from '../local/index.js';
import { goalRow, median, type Row } from './stats.js';

/**
 * A withdrawal end to end on the local stack, from the admin's approval to the user's "sent"
 * message: decide, prepare (RPC), sign (KMS), tx.send until confirmed, settle, notify. The
 * baseline, measured in the same run, is the bare chain: a transfer signed in-process, sent and
 * followed to `confirmed` with the same RPC calls.
 */
export async function benchPayouts(samples = 8): Promise<{ rows: Row[]; notes: string[] }> {
  const stack = await startLocalStack({ onFunctionLog: () => undefined });
  try {
    const chain = new Connection(stack.solana.urls[0]!, { commitment: 'confirmed', disableRetryOnRateLimit: true });
    const direct: number[] = [];
    for (let i = 0; i < samples; i++) direct.push(await directTransfer(stack, chain));
    const payout: number[] = [];
    for (let i = 0; i < samples; i++) payout.push(await approvedPayout(stack, 9_100 + i));
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

async function approvedPayout(stack: LocalStack, userId: number): Promise<number> {
  const wallet = Keypair.generate().publicKey.toBase58();
  await stack.solana.svm.airdrop(wallet, 1_000_000n);
  const user = stack.telegram.user(userId);
  const waitFor = (chatId: number, includes: string) =>
    stack.telegram.waitFor(() => stack.telegram.sent(chatId).find((m) => m.text.includes(includes)), 60_000);
  await user.sendText(`/verify ${wallet}`);
  await waitFor(userId, 'is a wallet');
  await user.sendText(`/withdraw 0.05 ${wallet}`);
  const screen = await stack.telegram.waitFor(
    () =>
      user.botMessages().find((m) => m.reply_markup?.inline_keyboard.flat().some((b) => b.callback_data === 'wd:ok')),
    60_000,
  );
  await user.pressButton(screen.message_id, 'wd:ok');
  const { message, data } = await stack.telegram.waitFor(() => {
    for (const m of stack.telegram.sent(LOCAL_ADMIN_CHAT_ID)) {
      const button = m.reply_markup?.inline_keyboard
        .flat()
        .find((b) => b.callback_data?.startsWith('po:ok:') && m.text.includes(wallet));
      if (button) return { message: m, data: button.callback_data! };
    }
    return undefined;
  }, 60_000);
  const admin = stack.telegram.user(LOCAL_ADMIN_USER_ID, { first_name: 'Admin' });
  const started = performance.now();
  await stack.telegram.group(LOCAL_ADMIN_CHAT_ID, 'Desk admins').pressButton(admin, message.message_id, data);
  await waitFor(userId, 'sent to');
  return performance.now() - started;
}
