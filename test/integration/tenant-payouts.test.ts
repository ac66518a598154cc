import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Keypair, PublicKey } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger } from '../../core/desk/ledger/index.js';
import { DynamoPayoutStore, type Payout, PayoutDecideJob } from '../../core/desk/payouts/index.js';
import { fifoQueues } from '../../core/desk/settings.js';
import { formatSol } from '../../core/desk/solana/index.js';
import { SqsJobQueue, sealJobs } from '../../core/platform/jobs/index.js';
import { scopeToTenant } from '../../core/platform/tenants/index.js';
import {
  LOCAL_ADMIN_CHAT_ID,
  LOCAL_ADMIN_USER_ID,
  type LocalBot,
  type LocalStack,
  localClientConfig,
  type PeerUser,
  startLocalStack,
} from '../../local/index.js';
import { payRequest, pressPaidUntil, requestDeposit } from '../helpers/stack-deposits.js';
import { approvalFor, withdraw as withdrawAs } from '../helpers/stack-payouts.js';

/**
 * Payouts of a registered bot from its own treasury (its own KMS key), on the local stack beside
 * the stage's own bot: its user deposits and withdraws, its own admin (from its record) approves,
 * the transfer leaves its treasury and no other, and neither bot's admins can decide the other's.
 */
let stack: LocalStack;
let second: LocalBot;
let client: DynamoDBClient;
let sqs: SQSClient;
const OPERATOR = 8_001;
const SECOND_ADMIN = 8_002;
const SECOND_ADMIN_CHAT = -1_002_000_000_002;
const SOL = 1_000_000_000n;
const FEE = 5_000n;

beforeAll(async () => {
  // The `quick` stage: 1-s admin digests and cooling.
  stack = await startLocalStack({
    stage: 'quick',
    solana: { slotMs: 50 },
    onFunctionLog: () => undefined,
  });
  second = await stack.addBot({
    username: 'paying_desk_bot',
    operator: OPERATOR,
    adminChatId: SECOND_ADMIN_CHAT,
    adminUserIds: [SECOND_ADMIN],
  });
  client = new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 1 });
  sqs = new SQSClient(localClientConfig(stack.sqs.endpoint));
}, 120_000);
afterAll(async () => {
  client?.destroy();
  sqs?.destroy();
  await stack?.stop();
});

/** One bot as the tests see it: its id, admin chat and admin, its treasury, its stores. */
interface Desk {
  readonly id: number;
  readonly adminChatId: number;
  readonly admin: () => PeerUser;
  readonly treasury: PublicKey;
  readonly ledger: DynamoLedger;
  readonly payouts: DynamoPayoutStore;
  /** What its users' deposits credited, and the payouts asked for (the model the invariant is checked against). */
  readonly credited: Map<number, bigint>;
  readonly payoutIds: string[];
}

function desk(id: number, adminChatId: number, adminId: number, treasury: string): Desk {
  const stores = { client: scopeToTenant(client, String(id)), tableName: stack.dynamodb.tableName };
  return {
    id,
    adminChatId,
    admin: () => stack.telegram.user(adminId, { first_name: `Admin${adminId}` }),
    treasury: new PublicKey(treasury),
    ledger: new DynamoLedger(stores),
    payouts: new DynamoPayoutStore(stores),
    credited: new Map(),
    payoutIds: [],
  };
}

const home = () => desk(stack.bot.id, LOCAL_ADMIN_CHAT_ID, LOCAL_ADMIN_USER_ID, stack.solana.treasury!.address);
let homeDesk: Desk;
let secondDesk: Desk;
beforeAll(() => {
  homeDesk = home();
  secondDesk = desk(second.id, SECOND_ADMIN_CHAT, SECOND_ADMIN, second.record.treasury!.address);
});

const waitForText = (bot: Desk, chatId: number, includes: string, timeoutMs = 30_000) =>
  stack.telegram.waitFor(
    () => stack.telegram.sent(chatId, { bot: bot.id }).find((m) => m.text.includes(includes)),
    timeoutMs,
  );

/** The bot's admin chat as that bot sees it. */
const adminGroup = (bot: Desk) => stack.telegram.group(bot.adminChatId, `admins of ${bot.id}`).to(bot.id);

/** A user of `bot` with a linked, verified wallet and 1 SOL deposited to that bot's treasury. */
async function userWithBalance(bot: Desk, userId: number) {
  const keypair = Keypair.generate();
  await stack.solana.svm.airdrop(keypair.publicKey, 3n * SOL);
  const user = stack.telegram.user(userId, { first_name: `U${userId}`, language_code: 'en' }).to(bot.id);
  await user.sendText(keypair.publicKey.toBase58());
  await waitForText(bot, userId, 'is a wallet');
  const request = await requestDeposit(stack, user, formatSol(SOL));
  expect(request.url.startsWith(`solana:${bot.treasury.toBase58()}?`)).toBe(true);
  await payRequest(stack, keypair, request.url);
  const outcome = await pressPaidUntil(stack, user, request, ['confirmed and credited', 'An admin will confirm it']);
  if (outcome.text.includes('An admin will confirm it')) {
    const found = await stack.telegram.waitFor(() => {
      for (const message of stack.telegram.sent(bot.adminChatId, { bot: bot.id })) {
        const ok = message.reply_markup?.inline_keyboard.flat().find((b) => b.callback_data?.startsWith('dp:ok:'));
        if (ok && message.text.includes(String(userId))) return { message, data: ok.callback_data! };
      }
      return undefined;
    }, 30_000);
    await adminGroup(bot).pressButton(bot.admin(), found.message.message_id, found.data);
    await waitForText(bot, userId, 'confirmed and credited');
  }
  bot.credited.set(userId, (bot.credited.get(userId) ?? 0n) + SOL);
  return { user, wallet: keypair.publicKey };
}

/** `/withdraw`, Confirm, and the approve button the bot's admins get for it (with the payout id). */
async function withdraw(bot: Desk, user: PeerUser, sol: string, wallet: PublicKey) {
  await withdrawAs(stack, user, sol, wallet.toBase58());
  const approval = await approvalFor(stack, wallet, { chat: bot.adminChatId, bot: bot.id });
  bot.payoutIds.push(approval.id);
  return approval;
}

async function payoutUntil(bot: Desk, id: string, done: (p: Payout) => boolean, timeoutMs = 40_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const payout = await bot.payouts.get(id);
    if (payout && done(payout)) return payout;
    if (Date.now() > deadline) throw new Error(`payout ${id} is still ${payout?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Σ balances + Σ held + Σ paid = Σ credited deposits, over the bot's users (each balance = Σ its ledger, ≥ 0). */
async function checkLedger(bot: Desk) {
  let balances = 0n;
  for (const userId of bot.credited.keys()) {
    const balance = await bot.ledger.balance(userId);
    const entries = await bot.ledger.history(userId, 1_000);
    expect(balance, `bot ${bot.id} user ${userId}: balance = Σ ledger`).toBe(
      entries.reduce((sum, e) => sum + e.lamports, 0n),
    );
    expect(balance >= 0n).toBe(true);
    balances += balance;
  }
  const holds = await Promise.all(bot.payoutIds.map((id) => bot.ledger.holdOf(id)));
  const held = holds.reduce((sum, h) => sum + (h?.status === 'held' ? h.lamports : 0n), 0n);
  const paid = holds.reduce((sum, h) => sum + (h?.status === 'settled' ? h.lamports : 0n), 0n);
  const credited = [...bot.credited.values()].reduce((a, b) => a + b, 0n);
  expect(balances + held + paid, `bot ${bot.id}: Σ balances + Σ held + Σ paid = Σ credited`).toBe(credited);
  return { balances, held, paid };
}

/** How `bot` answered a button press. */
const answerTo = (bot: Desk, update: { callback_query?: { id: string } }) =>
  stack.telegram.bot(bot.id).callbackQuery(update.callback_query!.id)?.answer?.text;

describe('payouts of a registered bot from its own treasury (local stack)', { timeout: 150_000 }, () => {
  it('pays a withdrawal its own admin approved from its own treasury key; the home bot’s treasury is untouched', async () => {
    // The same person uses both bots, with a balance on each (deposited on both side by side).
    const [homeUser, { user, wallet }] = await Promise.all([
      userWithBalance(homeDesk, 901),
      userWithBalance(secondDesk, 901),
    ]);
    expect(await homeDesk.ledger.balance(901)).toBe(SOL);
    expect(await secondDesk.ledger.balance(901)).toBe(SOL);

    const homeTreasuryBefore = await stack.solana.svm.balance(homeDesk.treasury);
    const treasuryBefore = await stack.solana.svm.balance(secondDesk.treasury);
    const walletBefore = await stack.solana.svm.balance(wallet);
    const signsBefore = stack.kms.stats().Sign ?? 0;

    const { message, data, id } = await withdraw(secondDesk, user, '0.25', wallet);
    expect((await secondDesk.payouts.get(id))?.status).toBe('requested');
    await adminGroup(secondDesk).pressButton(secondDesk.admin(), message.message_id, data);
    const paid = await waitForText(secondDesk, 901, 'sent to');
    expect(paid.text).toContain('0.25 SOL');
    const payout = await payoutUntil(secondDesk, id, (p) => p.status === 'paid');
    expect(payout.history.find((h) => h.status === 'approved')?.by).toBe(`admin:${SECOND_ADMIN}`);
    expect(stack.kms.stats().Sign ?? 0).toBeGreaterThan(signsBefore);

    // The transfer was signed by the second bot's treasury (its KMS key's address) and left it alone.
    const landed = stack.solana.transaction(payout.tx!.signature)!;
    expect(landed.err).toBeNull();
    expect(landed.accounts.filter((a) => a.signer).map((a) => a.address)).toEqual([secondDesk.treasury.toBase58()]);
    expect((await stack.solana.svm.balance(wallet)) - walletBefore).toBe(SOL / 4n);
    expect(treasuryBefore - (await stack.solana.svm.balance(secondDesk.treasury))).toBe(SOL / 4n + FEE);
    expect(await stack.solana.svm.balance(homeDesk.treasury)).toBe(homeTreasuryBefore);
    // No payout of the home bot, and its user's balance there is whole.
    expect(await homeDesk.payouts.get(id)).toBeUndefined();
    expect(await homeDesk.ledger.balance(901)).toBe(SOL);
    expect(homeUser.user.botMessages().some((m) => m.text.includes('sent to'))).toBe(false);

    expect(await checkLedger(secondDesk)).toEqual({ balances: (3n * SOL) / 4n, held: 0n, paid: SOL / 4n });
    expect(await checkLedger(homeDesk)).toEqual({ balances: SOL, held: 0n, paid: 0n });
  });

  it('lets neither bot’s admin decide the other’s withdrawal: not by button, not by a forged decision job', async () => {
    // One user of each bot deposits, then withdraws, side by side with the other.
    const [homePayout, secondPayout] = await Promise.all([
      userWithBalance(homeDesk, 902).then((side) => withdraw(homeDesk, side.user, '0.1', side.wallet)),
      userWithBalance(secondDesk, 903).then((side) => withdraw(secondDesk, side.user, '0.1', side.wallet)),
    ]);

    // Each admin is in the other bot's admin chat and presses approve there: that bot's gate refuses them.
    const intoSecond = await adminGroup(secondDesk).pressButton(
      homeDesk.admin(),
      secondPayout.message.message_id,
      secondPayout.data,
    );
    const intoHome = await adminGroup(homeDesk).pressButton(
      secondDesk.admin(),
      homePayout.message.message_id,
      homePayout.data,
    );
    await stack.telegram.waitFor(() => answerTo(secondDesk, intoSecond) && answerTo(homeDesk, intoHome), 10_000);
    expect(answerTo(secondDesk, intoSecond)).toBe('Sorry, only the bot’s admins can do that.');
    expect(answerTo(homeDesk, intoHome)).toBe('Sorry, only the bot’s admins can do that.');

    // Decision jobs forged in each bot's name by the other's admin (as a compromised sender could):
    // the signer checks the admin against the bot's own record and parks them.
    const queue = new SqsJobQueue({ client: sqs, queueUrls: stack.sqs.queueUrls, fifo: fifoQueues(stack.settings) });
    const forged = (bot: Desk, payoutId: string, adminId: number) =>
      sealJobs(
        [
          {
            job: PayoutDecideJob,
            payload: { payoutId, approve: true, adminId, adminName: 'forger' },
            chatId: bot.adminChatId,
            userId: adminId,
          },
        ],
        { idPrefix: `forged-${bot.id}`, traceId: 'forged', tenant: String(bot.id), now: new Date() },
      );
    await queue.send([
      ...forged(secondDesk, secondPayout.id, LOCAL_ADMIN_USER_ID),
      ...forged(homeDesk, homePayout.id, SECOND_ADMIN),
    ]);
    const parked: Message[] = [];
    const deadline = Date.now() + 30_000;
    while (parked.length < 2 && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.sqs.dlqUrls.decisions,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      parked.push(...Messages.filter((m) => m.Body?.includes('"forged-')));
    }
    expect(parked.map((m) => m.MessageAttributes?.reason?.StringValue)).toEqual(['admin.not_admin', 'admin.not_admin']);

    // Nothing was decided, nothing left either treasury for them; each bot's own admin still can.
    expect((await secondDesk.payouts.get(secondPayout.id))?.status).toBe('requested');
    expect((await homeDesk.payouts.get(homePayout.id))?.status).toBe('requested');
    await checkLedger(secondDesk);
    await checkLedger(homeDesk);
    await adminGroup(secondDesk).pressButton(secondDesk.admin(), secondPayout.message.message_id, secondPayout.data);
    await payoutUntil(secondDesk, secondPayout.id, (p) => p.status === 'paid');
    expect(await checkLedger(secondDesk)).toMatchObject({ held: 0n, paid: SOL / 4n + SOL / 10n });
    expect(await checkLedger(homeDesk)).toMatchObject({ held: SOL / 10n, paid: 0n });
  });
});
