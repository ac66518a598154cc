import { PublicKey } from '@solana/web3.js';
import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import { PAYOUT_CALLBACK, PAYOUT_CANCEL, WITHDRAW_CALLBACK } from '../../../../core/desk/payouts/jobs.js';
import { TOKEN_PROGRAM } from '../../../../core/desk/solana/gateway.js';
import { TEST_ADMIN_CHAT_ID, TEST_ADMIN_ID, testBotOptions } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid } from '../../../helpers/turns.js';
import { callbackUpdate, pressIn, textUpdate } from '../../../helpers/updates.js';

const run = turnRunner(createBot(testBotOptions()));

type Turn = Awaited<ReturnType<typeof run>>;
const texts = (turn: Turn) => turn.calls.map((c) => String(c.params.text ?? ''));

const alice = { id: 501, first_name: 'Alice' };
const admin = { id: TEST_ADMIN_ID, first_name: 'Ada' };
const adminChat = { id: TEST_ADMIN_CHAT_ID, type: 'supergroup', title: 'Desk admins' };
const group = { id: -100_777, type: 'group', title: 'Traders' };
// A wallet: a key on the curve (a mint or a program is refused at once).
const WALLET = 'GmaDrppBC7P5ARKV8g3djiwP89vz1jLK23V2GBjuAEGB';
const PAYOUT_ID = 'abcdefghijklmnop';
const USAGE = 'Send /withdraw &lt;amount in SOL&gt; &lt;wallet&gt;';
const session = { lang: 'en' as const, joined: true as const };

describe('/withdraw', () => {
  /** `/withdraw <args>`, then Confirm on the screen it shows: the second turn. */
  async function confirmed(args: string, start: typeof session | { lang: 'zh'; joined: true } = session) {
    const asked = await run(valid(textUpdate(alice, `/withdraw ${args}`)), start);
    expect(asked.jobs).toEqual([]);
    return run(valid(callbackUpdate(alice, WITHDRAW_CALLBACK.confirm, 40)), asked.session);
  }

  it('shows amount, network fee and destination, and queues nothing before the user confirms', async () => {
    const turn = await run(valid(textUpdate(alice, `/withdraw 1.5 ${WALLET}`)), session);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)[0]).toContain('Amount: <b>1.5 SOL</b>');
    expect(texts(turn)[0]).toContain('Network fee: 0.000005 SOL');
    expect(texts(turn)[0]).toContain(`<code>${WALLET}</code>`);
    expect(turn.session).toMatchObject({ withdrawDraft: { wallet: WALLET, lamports: '1500000000' } });
    const buttons = (
      turn.calls[0]!.params.reply_markup as { inline_keyboard: { callback_data: string }[][] }
    ).inline_keyboard[0]!.map((b) => b.callback_data);
    expect(buttons).toEqual([WITHDRAW_CALLBACK.confirm, WITHDRAW_CALLBACK.cancel]);
  });

  it('queues a payout request on the rpc queue with the amount in lamports once confirmed', async () => {
    const turn = await confirmed(`1.5 ${WALLET}`);
    expect(turn.jobs).toHaveLength(1);
    expect(turn.jobs[0]?.job).toMatchObject({ type: 'payout.request', queue: 'rpc' });
    expect(turn.jobs[0]).toMatchObject({
      chatId: alice.id,
      userId: alice.id,
      payload: { wallet: WALLET, lamports: '1500000000', lang: 'en' },
    });
    expect(texts(turn)).toContain('⏳ Checking your withdrawal request…');
    expect(turn.session).not.toHaveProperty('withdrawDraft');
  });

  it('queues nothing for a Confirm pressed twice, without a draft, or after Cancel', async () => {
    const once = await confirmed(`1 ${WALLET}`);
    const twice = await run(valid(callbackUpdate(alice, WITHDRAW_CALLBACK.confirm, 41)), once.session);
    expect(twice.jobs).toEqual([]);
    const asked = await run(valid(textUpdate(alice, `/withdraw 1 ${WALLET}`)), session);
    const cancelled = await run(valid(callbackUpdate(alice, WITHDRAW_CALLBACK.cancel, 42)), asked.session);
    expect(texts(cancelled)).toContain('Withdrawal cancelled. Nothing was taken from your balance.');
    const late = await run(valid(callbackUpdate(alice, WITHDRAW_CALLBACK.confirm, 43)), cancelled.session);
    expect(late.jobs).toEqual([]);
  });

  it('refuses a confirmation older than its validity', async () => {
    const stale = { ...session, withdrawDraft: { wallet: WALLET, lamports: '1000000000', since: 1 } };
    const turn = await run(valid(callbackUpdate(alice, WITHDRAW_CALLBACK.confirm, 44)), stale);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toContain('That confirmation has expired. Send /withdraw again.');
  });

  it('tells the limits at once for an amount outside them', async () => {
    const answers = {
      '0.001': '<code>0.001</code> SOL is below the minimum of 0.01 SOL (the maximum is 10 SOL, at most 9 decimals).',
      '11': '<code>11</code> SOL is above the maximum of 10 SOL (the minimum is 0.01 SOL, at most 9 decimals).',
      '-1': 'An amount must be more than 0 SOL: from 0.01 to 10 SOL, at most 9 decimals.',
      abc: '<code>abc</code> is not an amount of SOL. Write digits with at most one decimal point, like 1.5: from 0.01 to 10 SOL, at most 9 decimals.',
      '1e30':
        '<code>1e30</code> is not an amount of SOL. Write digits with at most one decimal point, like 1.5: from 0.01 to 10 SOL, at most 9 decimals.',
      '0.0000000001':
        '<code>0.0000000001</code> has more than 9 decimals: the smallest amount of SOL is 0.000000001 (1 lamport). Use from 0.01 to 10 SOL.',
    };
    for (const [amount, answer] of Object.entries(answers)) {
      const turn = await run(valid(textUpdate(alice, `/withdraw ${amount} ${WALLET}`)), session);
      expect(turn.jobs).toEqual([]);
      expect(texts(turn)).toEqual([answer]);
    }
  });

  it('queues a cancel of the user’s own payout from its button, and the worker checks the owner', async () => {
    const turn = await run(valid(callbackUpdate(alice, PAYOUT_CANCEL.data(PAYOUT_ID), 45)), session);
    expect(turn.jobs).toEqual([
      expect.objectContaining({ payload: { payoutId: PAYOUT_ID }, userId: alice.id, chatId: alice.id }),
    ]);
  });

  it.each([
    ['2', '2000000000'],
    ['0,25', '250000000'],
    ['1.345678901', '1345678901'],
  ])('reads %s SOL as %s lamports', async (amount, lamports) => {
    const turn = await confirmed(`${amount} ${WALLET}`);
    expect(turn.jobs[0]?.payload).toMatchObject({ lamports });
  });

  it('answers in the user’s language', async () => {
    const turn = await confirmed(`1 ${WALLET}`, { lang: 'zh', joined: true });
    expect(turn.jobs[0]?.payload).toMatchObject({ lang: 'zh' });
    expect(texts(turn).join('\n')).toContain('正在检查');
  });

  it('is refused in a group, queueing nothing', async () => {
    const turn = await run(valid(textUpdate(alice, `/withdraw@desk_bot 1.5 ${WALLET}`, { chat: group })), session);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toEqual(['Withdrawals are made in a private chat with me.']);
  });

  it.each([
    ['0', 'more than 0 SOL'],
    ['-1', 'more than 0 SOL'],
    ['1e3', 'not an amount'],
    ['1.0000000001', 'more than 9 decimals'],
    ['abc', 'not an amount'],
    ['0.0000000000', 'more than 0 SOL'],
    ['1.5.5', 'not an amount'],
    ['99999999999999', 'above the maximum'],
    ['１'.repeat(3), 'above the maximum'],
    ['1'.repeat(400), 'above the maximum'],
  ])('gives the amount %j its own reason, with the limits, and queues nothing', async (amount, reason) => {
    const turn = await run(valid(textUpdate(alice, `/withdraw ${amount} ${WALLET}`)), session);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toHaveLength(1);
    expect(texts(turn)[0]).toContain(reason);
    expect(texts(turn)[0]).toMatch(/0\.01 SOL|from 0\.01 to 10 SOL/);
  });

  it('explains the usage, with the limits, when the amount is missing', async () => {
    const turn = await run(valid(textUpdate(alice, `/withdraw  ${WALLET}`)), session);
    expect(texts(turn)).toEqual([expect.stringContaining(USAGE)]);
    expect(texts(turn)[0]).toContain('from 0.01 to 10 SOL');
  });

  it.each([['/withdraw'], ['/withdraw 1.5'], [`/withdraw 1.5 ${WALLET} extra`]])(
    'explains the usage for %j',
    async (text) => {
      const turn = await run(valid(textUpdate(alice, text)), session);
      expect(turn.jobs).toEqual([]);
      expect(texts(turn)[0]).toContain(USAGE);
    },
  );

  it.each([
    ['0x0000000000000000000000000000000000000000', 'characters base58 does not use'],
    ['So1111111111111111111111111111111111111111O', 'characters base58 does not use'],
    ['short', 'wrong length'],
    ['1111111111111111111111111111111111111111111111', 'wrong length'],
  ])('explains what is wrong with the address %s and queues nothing', async (address, problem) => {
    const turn = await run(valid(textUpdate(alice, `/withdraw 1.5 ${address}`)), session);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toHaveLength(1);
    expect(texts(turn)[0]).toContain(problem);
  });

  it.each([
    ['the System program', '11111111111111111111111111111111', 'address of the System program, not a wallet'],
    ['the USDC mint', 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v', 'address of the USDC token mint'],
    [
      'a PDA',
      PublicKey.findProgramAddressSync([Buffer.from('vault')], new PublicKey(TOKEN_PROGRAM))[0].toBase58(),
      'off the ed25519 curve',
    ],
  ])('refuses %s as a destination at once, saying why, with no confirmation screen', async (_, address, reason) => {
    const turn = await run(valid(textUpdate(alice, `/withdraw 1.5 ${address}`)), session);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toEqual([expect.stringContaining(reason)]);
    expect(texts(turn)[0]).not.toContain('verify');
    expect(turn.session).not.toHaveProperty('withdrawDraft');
  });
});

describe('payout buttons', () => {
  it.each([
    ['approve', PAYOUT_CALLBACK.approve(PAYOUT_ID), true, 'Deciding'],
    ['reject', PAYOUT_CALLBACK.reject(PAYOUT_ID), false, 'Deciding'],
  ])('queues the decision when an admin presses %s in the admin chat', async (_, data, approve, answer) => {
    const turn = await run(valid(pressIn(adminChat, { ...admin, username: 'ada_ops' }, data)), {});
    expect(turn.jobs).toHaveLength(1);
    expect(turn.jobs[0]?.job).toMatchObject({ type: 'payout.decide', queue: 'decisions' });
    expect(turn.jobs[0]).toMatchObject({
      chatId: TEST_ADMIN_CHAT_ID,
      userId: TEST_ADMIN_ID,
      payload: { payoutId: PAYOUT_ID, approve, adminId: TEST_ADMIN_ID, adminName: '@ada_ops' },
    });
    expect(turn.calls.map((c) => c.method)).toEqual(['answerCallbackQuery']);
    expect(String(turn.calls[0]?.params.text)).toContain(answer);
  });

  it('takes the pressed payout’s buttons off the digest at once and leaves the others', async () => {
    const other = 'qrstuvwxyzabcdef';
    const row = (id: string) => [
      { text: 'Approve', callback_data: PAYOUT_CALLBACK.approve(id) },
      { text: 'Reject', callback_data: PAYOUT_CALLBACK.reject(id) },
    ];
    const update = pressIn(adminChat, admin, PAYOUT_CALLBACK.reject(PAYOUT_ID));
    const pressed = {
      ...update,
      callback_query: {
        ...update.callback_query,
        message: { ...update.callback_query.message, reply_markup: { inline_keyboard: [row(PAYOUT_ID), row(other)] } },
      },
    };
    const turn = await run(valid(pressed), {});
    expect(turn.calls.map((c) => c.method)).toEqual(['editMessageReplyMarkup', 'answerCallbackQuery']);
    expect(turn.calls[0]?.params.reply_markup).toEqual({ inline_keyboard: [row(other)] });
  });

  it('names an admin without a username by their first name', async () => {
    const turn = await run(valid(pressIn(adminChat, admin, PAYOUT_CALLBACK.approve(PAYOUT_ID))), {});
    expect(turn.jobs[0]?.payload).toMatchObject({ adminName: 'Ada' });
  });

  it('answers a non-admin in the admin chat politely and queues nothing', async () => {
    const turn = await run(valid(pressIn(adminChat, alice, PAYOUT_CALLBACK.approve(PAYOUT_ID))), {});
    expect(turn.jobs).toEqual([]);
    expect(turn.calls.map((c) => c.method)).toEqual(['answerCallbackQuery']);
    expect(texts(turn)).toEqual(['Sorry, only the bot’s admins can do that.']);
  });

  it('queues nothing when the admin presses a forged button in a private chat', async () => {
    const turn = await run(valid(callbackUpdate(admin, PAYOUT_CALLBACK.approve(PAYOUT_ID))), session);
    expect(turn.jobs).toEqual([]);
    expect(turn.calls.map((c) => c.method)).toEqual(['answerCallbackQuery']);
    expect(texts(turn)[0]).toContain('no longer valid');
  });

  it('queues nothing when the admin presses a payout button in another group', async () => {
    const turn = await run(valid(pressIn(group, admin, PAYOUT_CALLBACK.reject(PAYOUT_ID))), {});
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)[0]).toContain('no longer valid');
  });

  it('queues nothing for a button on an inline message (no chat to check)', async () => {
    const update = callbackUpdate(admin, PAYOUT_CALLBACK.approve(PAYOUT_ID));
    const { message: _, ...query } = update.callback_query;
    const turn = await run(valid({ ...update, callback_query: { ...query, inline_message_id: 'inl1' } }), {});
    expect(turn.jobs).toEqual([]);
    expect(turn.calls.map((c) => c.method)).toEqual(['answerCallbackQuery']);
  });

  it.each([
    'po:ok:XYZ',
    'po:ok:ABCDEFGHIJKLMNOP',
    'po:ok:abcdefghijklmno',
    'po:ok:abcdefghijklmnopq',
    'po:ok:abcdefghijklmno1',
    'po:maybe:abcdefghijklmnop',
    `po:ok:${PAYOUT_ID}\n`,
  ])('answers malformed callback data %j as a stale button and queues nothing', async (data) => {
    const turn = await run(valid(pressIn(adminChat, admin, data)), {});
    expect(turn.jobs).toEqual([]);
    expect(turn.calls.map((c) => c.method)).toEqual(['answerCallbackQuery']);
    expect(texts(turn)[0]).toContain('no longer valid');
  });
});
