import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDepositStore } from '../../core/desk/deposits/dynamodb-store.js';
import { depositIdOf } from '../../core/desk/deposits/store.js';
import { DynamoLedger } from '../../core/desk/ledger/dynamodb-ledger.js';
import { DynamoUserDirectory } from '../../core/platform/users/dynamodb-directory.js';
import { LOCAL_ADMIN_CHAT_ID, type LocalStack, localClientConfig } from '../../local/index.js';
import { payRequest, pressPaidUntil, requestDeposit } from '../helpers/stack-deposits.js';
import { adminGroup, localAdmin, startPayoutStack, waitForText } from '../helpers/stack-payouts.js';
import { homeScope } from '../helpers/tenants.js';

let stack: LocalStack;
let ledger: DynamoLedger;
let deposits: DynamoDepositStore;
let users: DynamoUserDirectory;

beforeAll(async () => {
  // The `quick` stage: admin digests close after 1 s instead of 5.
  ({ stack } = await startPayoutStack({ stage: 'quick' }));
  // The stack's own bot's ledger, deposits and users, as its functions keep them.
  const client = homeScope(
    stack,
    new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 1 }),
  );
  ledger = new DynamoLedger({ client, tableName: stack.dynamodb.tableName });
  deposits = new DynamoDepositStore({ client, tableName: stack.dynamodb.tableName });
  users = new DynamoUserDirectory({ client, tableName: stack.dynamodb.tableName });
});
afterAll(() => stack?.stop());

const answerTo = (update: { callback_query?: { id: string } }) =>
  stack.telegram.store.callbackQueries.get(update.callback_query!.id)?.answer?.text;

async function funded(lamports = 5_000_000_000n) {
  const keypair = Keypair.generate();
  await stack.solana.svm.airdrop(keypair.publicKey, lamports);
  return keypair;
}

describe('deposits on the local stack (attacks)', () => {
  it("does not credit user B with user A's transfer, even when B links A's wallet and claims first", async () => {
    const walletA = await funded();
    const alice = stack.telegram.user(801, { first_name: 'Alice' });
    const bob = stack.telegram.user(802, { first_name: 'Bob' });
    // The old attack: Bob links Alice's wallet address and asks for a deposit before she pays.
    // (Alice asks for hers meanwhile, in her own chat.)
    const [bobs, alices] = await Promise.all([
      (async () => {
        await bob.sendText(walletA.publicKey.toBase58());
        await waitForText(stack, 802, 'is a wallet');
        return requestDeposit(stack, bob, '0.5');
      })(),
      requestDeposit(stack, alice, '0.5'),
    ]);
    expect(alices.reference).not.toBe(bobs.reference);
    // Each request came as a QR code a wallet scans to exactly the link shown beside it.
    expect([bobs.qr, alices.qr]).toEqual([bobs.url, alices.url]);
    await payRequest(stack, walletA, alices.url);
    // Bob presses his "I've paid" while Alice's payment finalizes: nothing is his.
    await pressPaidUntil(stack, bob, bobs, ['No finalized payment']);
    await pressPaidUntil(stack, alice, alices, ['confirmed and credited']);
    await pressPaidUntil(stack, bob, bobs, ['No finalized payment']);
    expect(await ledger.balance(801)).toBe(500_000_000n);
    expect(await ledger.balance(802)).toBe(0n);
    // Alice pressing again credits nothing more.
    await pressPaidUntil(stack, alice, alices, ['No finalized payment']);
    expect(await ledger.balance(801)).toBe(500_000_000n);
  });

  it('never credits a transfer to the treasury without a reference until an admin names its owner with /credit', async () => {
    const payer = await funded();
    const signature = await stack.solana.svm.transfer(payer, stack.solana.treasury!.address, 300_000_000n);
    const id = depositIdOf(signature);
    // The poll finds it (once finalized) and shows it to the admins as unattributed.
    let event: { text: string } | undefined;
    for (let i = 0; i < 40 && !event; i++) {
      await stack.depositPoll();
      event = await stack.telegram
        .waitFor(() => stack.telegram.sent(LOCAL_ADMIN_CHAT_ID).find((m) => m.text.includes(id)), 1_000)
        .catch(() => undefined);
    }
    if (!event) throw new Error('the unattributed transfer never reached the admins');
    expect(event.text).toContain('no known reference');
    expect((await deposits.get(signature))?.status).toBe('unattributed');

    // A user in the admin chat who is not an admin: nothing happens.
    const group = adminGroup(stack);
    const eve = stack.telegram.user(803, { first_name: 'Eve' });
    await group.sendText(eve, `/credit ${id} 803`);
    // A mistyped id, of nobody the bot knows: nothing credited, and the admin is told.
    await group.sendText(localAdmin(stack), `/credit ${id} 8040`);
    await waitForText(stack, LOCAL_ADMIN_CHAT_ID, 'user 8040 never talked to the bot');
    expect((await deposits.get(signature))?.status).toBe('unattributed');
    // The admin credits it to user 804.
    const carol = stack.telegram.user(804, { first_name: 'Carol' });
    await carol.sendText('/start');
    // The notify worker records her in the directory (user.seen) a moment later.
    for (let i = 0; i < 200 && !(await users.get(804)); i++) await new Promise((r) => setTimeout(r, 100));
    await group.sendText(localAdmin(stack), `/credit ${id} 804`);
    await waitForText(stack, 804, 'confirmed and credited');
    expect(await ledger.balance(804)).toBe(300_000_000n);
    expect(await ledger.balance(803)).toBe(0n);
    expect(await deposits.get(signature)).toMatchObject({ status: 'credited', userId: 804, decidedBy: 1000 });
    // Again, or to someone else: already credited.
    await group.sendText(localAdmin(stack), `/credit ${signature} 803`);
    await waitForText(stack, LOCAL_ADMIN_CHAT_ID, `Deposit ${id}: already credited by admin 1000 (user 804)`);
    expect(await ledger.balance(803)).toBe(0n);
    expect(await ledger.balance(804)).toBe(300_000_000n);
  });

  it('asks an admin above the automatic threshold, removes the pressed buttons, and says what really happened', async () => {
    const payer = await funded(10_000_000_000n);
    const dave = stack.telegram.user(805, { first_name: 'Dave' });
    const request = await requestDeposit(stack, dave, '2');
    await payRequest(stack, payer, request.url);
    await pressPaidUntil(stack, dave, request, ['An admin will confirm it']);
    expect(await ledger.balance(805)).toBe(0n);
    const found = await stack.telegram.waitFor(() => {
      for (const message of stack.telegram.sent(LOCAL_ADMIN_CHAT_ID)) {
        const confirm = message.reply_markup?.inline_keyboard.flat().find((b) => b.callback_data?.startsWith('dp:ok:'));
        if (confirm && message.text.includes('805')) return { message, data: confirm.callback_data! };
      }
      return undefined;
    }, 30_000);
    const group = adminGroup(stack);
    const eve = stack.telegram.user(806, { first_name: 'Eve' });
    const forged = await group.pressButton(eve, found.message.message_id, found.data);
    await stack.telegram.waitFor(() => answerTo(forged), 10_000);
    const press = await group.pressButton(localAdmin(stack), found.message.message_id, found.data);
    await stack.telegram.waitFor(() => answerTo(press), 10_000);
    await waitForText(stack, 805, 'confirmed and credited');
    expect(await ledger.balance(805)).toBe(2_000_000_000n);
    // Its buttons left the digest.
    const edited = stack.telegram.sent(LOCAL_ADMIN_CHAT_ID).find((m) => m.message_id === found.message.message_id)!;
    expect(edited.reply_markup?.inline_keyboard.flat().some((b) => b.callback_data === found.data) ?? false).toBe(
      false,
    );
  });

  it('explains odd /deposit amounts', async () => {
    const user = stack.telegram.user(807);
    for (const [amount, says] of [
      ['-1', 'more than 0 SOL'],
      ['0', 'more than 0 SOL'],
      ['1e30', 'not an amount'],
      ['abc', 'not an amount'],
      ['0.0000000001', 'more than 9 decimals'],
      ['1.1234567891', 'more than 9 decimals'],
      ['99999999999', 'above the maximum of 1000000 SOL'],
    ] as const) {
      await user.sendText(`/deposit ${amount}`);
      await waitForText(stack, 807, says);
    }
    expect(user.botMessages().some((m) => m.text.includes('solana:'))).toBe(false);
  });
});
