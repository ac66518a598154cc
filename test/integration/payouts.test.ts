import { type Connection, Keypair, PublicKey } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoPayoutStore } from '../../core/desk/payouts/dynamodb-store.js';
import type { Payout } from '../../core/desk/payouts/store.js';
import { LOCAL_ADMIN_CHAT_ID, LOCAL_ADMIN_USER_ID, type LocalStack } from '../../local/index.js';
import type { WebChat } from '../../local/web-chat/server.js';
import {
  adminGroup,
  approvalFor as approvalOn,
  localAdmin,
  paymentsTo,
  startPayoutStack,
  userWithBalance as userWithBalanceOn,
  waitForText as waitForTextIn,
  withdraw,
} from '../helpers/stack-payouts.js';

let stack: LocalStack;
let chain: Connection;
let payouts: DynamoPayoutStore;
let webChat: WebChat | undefined;
/** The users with a balance, by id: each deposited through the bot, all side by side before the tests. */
let funded: Map<number, Awaited<ReturnType<typeof userWithBalanceOn>>>;

beforeAll(async () => {
  // The `quick` stage: 1-s admin digests and cooling, KMS tried again 2 s after a refusal.
  ({ stack, chain, payouts, webChat } = await startPayoutStack({ webChat: true, stage: 'quick' }));
  const users: [number, bigint?, ('en' | 'zh')?][] = [[701], [711], [722], [731, 2_000_000_000n, 'zh']];
  funded = new Map(
    await Promise.all(
      users.map(async ([id, lamports, lang]) => [id, await userWithBalance(id, lamports, lang)] as const),
    ),
  );
}, 120_000);
afterAll(async () => {
  await webChat?.stop();
  await stack?.stop();
});

const waitForText = (chatId: number, includes: string, timeoutMs = 30_000) =>
  waitForTextIn(stack, chatId, includes, timeoutMs);
const group = () => adminGroup(stack);
const admin = () => localAdmin(stack);
const userWithBalance = (userId: number, depositLamports?: bigint, lang?: 'en' | 'zh') =>
  userWithBalanceOn(stack, userId, depositLamports, lang);
const fundedUser = (userId: number) => funded.get(userId)!;
const approvalFor = (wallet: PublicKey) => approvalOn(stack, wallet);

const answerTo = (update: { callback_query?: { id: string } }) =>
  stack.telegram.store.callbackQueries.get(update.callback_query!.id)?.answer?.text;

async function payoutUntil(id: string, done: (p: Payout) => boolean, timeoutMs = 40_000): Promise<Payout> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const payout = await payouts.get(id);
    if (payout && done(payout)) return payout;
    if (Date.now() > deadline) throw new Error(`payout ${id} is still ${payout?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Transactions the treasury signed (its outgoing payouts). */
const treasuryTransfersTo = (wallet: PublicKey) => paymentsTo(chain, wallet);

describe('payouts on the local stack', { timeout: 90_000 }, () => {
  it('pays an approved withdrawal once, through the KMS treasury key, however often it is approved', async () => {
    const { user, wallet } = fundedUser(701);
    const treasury = new PublicKey(stack.solana.treasury!.address);
    const treasuryBefore = await stack.solana.svm.balance(treasury);
    const walletBefore = await stack.solana.svm.balance(wallet);

    await withdraw(stack, user, '0.25', wallet.toBase58());
    await waitForText(701, 'waiting for an admin');
    const { message, data, id } = await approvalFor(wallet);
    expect(message.text).toContain('Withdrawals requested');

    // A user in the admin chat who is not an admin presses approve: nothing happens.
    const outsider = stack.telegram.user(702, { first_name: 'Eve' });
    const forged = await group().pressButton(outsider, message.message_id, data);
    await stack.telegram.waitFor(() => answerTo(forged), 10_000);
    expect(answerTo(forged)).toBe('Sorry, only the bot’s admins can do that.');

    // The admin double-clicks.
    const first = await group().pressButton(admin(), message.message_id, data);
    const second = await group().pressButton(admin(), message.message_id, data);
    await stack.telegram.waitFor(() => answerTo(first) && answerTo(second), 10_000);

    const paid = await waitForText(701, 'sent to');
    expect(paid.text).toContain('0.25 SOL');
    expect(paid.text).toContain('View the transaction');
    const payout = await payoutUntil(id, (p) => p.status === 'paid');
    // The link opens the web chat's page of the transaction on the local chain (no public explorer knows it).
    const link = paid.entities.find((entity) => entity.type === 'text_link')?.url;
    expect(link).toBe(`${webChat!.url}tx/${payout.tx!.signature}`);
    const page = await fetch(link!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(payout.tx!.signature);
    expect(html).toContain(wallet.toBase58());
    expect(html).toContain('+0.25');
    expect(payout.history.map((h) => h.status)).toEqual(['cooling', 'requested', 'approved', 'sent', 'paid']);
    expect(payout.history[2]?.by).toBe(`admin:${LOCAL_ADMIN_USER_ID}`);
    expect((await stack.solana.svm.balance(wallet)) - walletBefore).toBe(250_000_000n);
    expect(await treasuryTransfersTo(wallet)).toBe(1);
    // The treasury paid the amount and one fee, no more.
    expect(treasuryBefore - (await stack.solana.svm.balance(treasury))).toBe(250_000_000n + 5_000n);
    await waitForText(LOCAL_ADMIN_CHAT_ID, 'Withdrawals paid');
    // The internal balance: 1 SOL deposited, 0.25 withdrawn.
    await user.sendText('/history');
    const history = await waitForText(701, 'History');
    expect(history.text).toContain('Balance: 0.75 SOL');
    expect(history.text).toMatch(/withdrawal {2}-0\.25 SOL[\s\S]*deposit {2}\+1 SOL/);
  });

  it('keeps an approved payout pending while KMS is unavailable, then pays it once', async () => {
    const { user, wallet } = fundedUser(711);
    const walletBefore = await stack.solana.svm.balance(wallet);
    await withdraw(stack, user, '0.5', wallet.toBase58());
    const { message, data, id } = await approvalFor(wallet);

    const signs = () => stack.kms.stats().Sign ?? 0;
    const signsBefore = signs();
    stack.kms.setFault('unavailable');
    try {
      await group().pressButton(admin(), message.message_id, data);
      await waitForText(711, 'was approved');
      // Signing fails (each try is 2 Sign requests, the SDK's own retry included), and is tried
      // again: no transaction is recorded or sent while KMS is away.
      await stack.telegram.waitFor(() => signs() >= signsBefore + 3, 30_000);
      const pending = await payouts.get(id);
      expect(pending?.status).toBe('approved');
      expect(pending?.tx).toBeUndefined();
      expect(stack.kms.stats().Sign ?? 0).toBeGreaterThan(0);
    } finally {
      stack.kms.setFault(null);
    }
    const payout = await payoutUntil(id, (p) => p.status === 'paid');
    // The local chain makes a block every 50 ms, so a blockhash fetched before the outage may have
    // expired by the time KMS signs: that transaction can never land, and a new attempt is signed.
    const sent = payout.history.filter((h) => h.status === 'sent');
    expect(new Set(sent.map((h) => h.note)).size).toBe(sent.length);
    expect(payout.history.filter((h) => h.status === 'paid')).toHaveLength(1);
    expect((await stack.solana.svm.balance(wallet)) - walletBefore).toBe(500_000_000n);
    expect(await treasuryTransfersTo(wallet)).toBe(1);
  });

  it('refuses a withdrawal to a wallet the user has not verified, and rejects on the admin’s word', async () => {
    const stranger = Keypair.generate().publicKey.toBase58();
    const user = stack.telegram.user(721);
    await withdraw(stack, user, '0.1', stranger);
    await waitForText(721, 'is not one of your verified wallets');

    const verified = fundedUser(722);
    await withdraw(stack, verified.user, '0.1', verified.wallet.toBase58());
    const { message, id } = await approvalFor(verified.wallet);
    await group().pressButton(admin(), message.message_id, `po:no:${id}`);
    await waitForText(722, 'was rejected');
    expect((await payouts.get(id))?.status).toBe('rejected');
    expect(await treasuryTransfersTo(verified.wallet)).toBe(0);
  });

  it('takes a Chinese user through deposit, withdrawal and history in Chinese', async () => {
    const { user, wallet } = fundedUser(731);
    await withdraw(stack, user, '1.5', wallet.toBase58());
    await waitForText(731, '正在等待管理员审批');
    const { message, data } = await approvalFor(wallet);
    await group().pressButton(admin(), message.message_id, data);
    await waitForText(731, '已获批准');
    const paid = await waitForText(731, '已发送到');
    expect(paid.text).toContain('1.5 SOL');
    await user.sendText('/history');
    const history = await waitForText(731, '账单');
    expect(history.text).toContain('余额：0.5 SOL');
    expect(history.text).toMatch(/提现 {2}-1\.5 SOL[\s\S]*充值 {2}\+2 SOL/);
  });
});
