import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import { DEPOSIT_CALLBACK } from '../../../../core/desk/deposits/jobs.js';
import { TEST_ADMIN_CHAT_ID, TEST_ADMIN_ID, testBotOptions } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid } from '../../../helpers/turns.js';
import { callbackUpdate, textUpdate } from '../../../helpers/updates.js';

const run = turnRunner(createBot(testBotOptions()));
type Turn = Awaited<ReturnType<typeof run>>;
const texts = (turn: Turn) => turn.calls.map((c) => String(c.params.text ?? ''));

const alice = { id: 511, first_name: 'Alice' };
const eve = { id: 512, first_name: 'Eve' };
const admin = { id: TEST_ADMIN_ID, first_name: 'Ada' };
const adminChat = { id: TEST_ADMIN_CHAT_ID, type: 'supergroup', title: 'Desk admins' };
const session = { lang: 'en' as const, joined: true as const };
const SIG = '5'.repeat(88);

function inAdminChat(from: { id: number; first_name: string }, text: string) {
  const update = textUpdate(from, text);
  return { ...update, message: { ...update.message, chat: adminChat } };
}

describe('/deposit', () => {
  it('draws a fresh base58 reference per request and leaves storing and showing it to the worker', async () => {
    const first = await run(valid(textUpdate(alice, '/deposit 1.5')), session);
    const second = await run(valid(textUpdate(alice, '/deposit')), session);
    const [a, b] = [first.jobs[0]!, second.jobs[0]!];
    expect(a).toMatchObject({ chatId: 511, userId: 511, payload: { lamports: '1500000000', lang: 'en' } });
    expect(a.job).toMatchObject({ type: 'deposit.request', queue: 'rpc' });
    expect(b.payload).toMatchObject({ lamports: null });
    const refs = [a, b].map((j) => (j.payload as { reference: string }).reference);
    for (const ref of refs) expect(ref).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    expect(refs[0]).not.toBe(refs[1]);
    // The webhook shows no URL itself: the claim must be stored first.
    expect(texts(first).join('\n')).not.toContain('solana:');
  });

  it.each([
    ['-1', 'more than 0 SOL'],
    ['1e30', 'not an amount'],
    ['abc', 'not an amount'],
    ['0.0000000001', 'more than 9 decimals'],
    ['1.1234567891', 'more than 9 decimals'],
    ['5000000', 'above the maximum of 1000000 SOL'],
    ['1 2', 'Send /deposit &lt;SOL&gt;'],
  ])('refuses %s with a reason and queues nothing', async (amount, reason) => {
    const turn = await run(valid(textUpdate(alice, `/deposit ${amount}`)), session);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn).join('\n')).toContain(reason);
  });

  it("queues a check of the pressed request's reference as the presser (the worker checks ownership)", async () => {
    const ref = '9'.repeat(44);
    const turn = await run(valid(callbackUpdate(eve, DEPOSIT_CALLBACK.paid(ref), 40)), session);
    expect(turn.jobs).toEqual([
      expect.objectContaining({ chatId: 512, userId: 512, payload: { reference: ref, lang: 'en' } }),
    ]);
  });
});

describe('/credit', () => {
  it('queues an admin credit with who did it, from an admin in the admin chat only', async () => {
    const ok = await run(valid(inAdminChat(admin, `/credit ${SIG} 511`)), session);
    expect(ok.jobs).toEqual([
      expect.objectContaining({
        chatId: TEST_ADMIN_CHAT_ID,
        payload: expect.objectContaining({ deposit: SIG, userId: 511, adminId: TEST_ADMIN_ID }),
      }),
    ]);
    const outsider = await run(valid(inAdminChat(eve, `/credit ${SIG} 512`)), session);
    expect(outsider.jobs).toEqual([]);
    const elsewhere = await run(valid(textUpdate(admin, `/credit ${SIG} 512`)), session);
    expect(elsewhere.jobs).toEqual([]);
    const bad = await run(valid(inAdminChat(admin, '/credit nope -3')), session);
    expect(bad.jobs).toEqual([]);
    expect(texts(bad).join('\n')).toContain('Usage: /credit');
  });
});
