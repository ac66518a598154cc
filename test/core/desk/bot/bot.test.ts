import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import { stageSettings } from '../../../../core/desk/settings.js';
import { testBotOptions } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid, withoutLimits } from '../../../helpers/turns.js';
import { callbackUpdate, textUpdate } from '../../../helpers/updates.js';

const runTurn = turnRunner(createBot(testBotOptions({ adminChatId: -1001 })));
const run = withoutLimits(runTurn);
const _allowed = stageSettings('test').webhook.allowedUpdates;

const alice = { id: 501, first_name: 'Alice <admin>' };

describe('wallet desk bot', () => {
  it('asks for a language on /start when none is chosen', async () => {
    const turn = await run(valid(textUpdate(alice, '/start')), undefined);
    expect(turn.calls).toHaveLength(1);
    expect(turn.calls[0]?.method).toBe('sendMessage');
    const markup = turn.calls[0]?.params.reply_markup as { inline_keyboard: { callback_data: string }[][] };
    expect(markup.inline_keyboard.flat().map((b) => b.callback_data)).toEqual(['lang:en', 'lang:zh']);
  });

  it('saves the language, answers the button and edits the menu in place when a language is picked', async () => {
    const turn = await run(valid(callbackUpdate(alice, 'lang:zh', 7)), { joined: true });
    expect(turn.session).toEqual({ joined: true, lang: 'zh' });
    expect(turn.calls.map((c) => c.method)).toEqual(['answerCallbackQuery', 'editMessageText']);
    expect(turn.calls[1]?.params).toMatchObject({ chat_id: alice.id, message_id: 7, parse_mode: 'HTML' });
    expect(String(turn.calls[1]?.params.text)).toContain('钱包');
  });

  it("records a private chat's language choice in the user directory (what an admin's /user reads)", async () => {
    const turn = await run(valid(callbackUpdate({ ...alice, username: 'alice_b' }, 'lang:zh', 7)), { joined: true });
    expect(turn.jobs.map((j) => [j.job.type, j.payload])).toEqual([
      ['user.status', { active: true, lang: 'zh', username: 'alice_b' }],
      ['watch.lang', { lang: 'zh' }],
    ]);
  });

  it('escapes the user name in the menu markup', async () => {
    const turn = await run(valid(textUpdate(alice, '/menu')), { lang: 'en' });
    expect(String(turn.calls[0]?.params.text)).toContain('Alice &lt;admin&gt;');
  });

  it('shows the main menu on /start once a language is saved', async () => {
    const turn = await run(valid(textUpdate(alice, '/start')), { lang: 'en' });
    expect(String(turn.calls[0]?.params.text)).toContain('Solana wallet desk');
  });

  it('answers /help in the saved language', async () => {
    const turn = await run(valid(textUpdate(alice, '/help')), { lang: 'zh' });
    expect(String(turn.calls[0]?.params.text)).toContain('帮助');
  });

  it('answers a forged button politely and changes nothing', async () => {
    const turn = await run(valid(callbackUpdate(alice, 'lang:xx')), { lang: 'en', joined: true });
    expect(turn.session).toEqual({ lang: 'en', joined: true });
    expect(turn.calls.map((c) => c.method)).toEqual(['answerCallbackQuery']);
    const unknown = await run(valid(callbackUpdate(alice, 'withdraw:all')), { lang: 'en' });
    expect(unknown.calls.map((c) => c.method)).toEqual(['answerCallbackQuery']);
    expect(String(unknown.calls[0]?.params.text)).toContain('no longer valid');
  });

  it('starts a fresh session when the stored one does not match the schema', async () => {
    const turn = await run(valid(textUpdate(alice, '/start')), { lang: 'klingon' });
    expect(turn.calls[0]?.params.text).toContain('Choose your language');
  });

  it('answers only commands addressed to it in a group', async () => {
    const group = { id: -100, type: 'group', title: 'Traders' };
    const other = await run(valid(textUpdate(alice, '/help@other_bot', { chat: group })), { lang: 'en' });
    expect(other.calls).toEqual([]);
    const chatter = await run(valid(textUpdate(alice, 'gm everyone', { chat: group })), { lang: 'en' });
    expect(chatter.calls).toEqual([]);
    const ours = await run(valid(textUpdate(alice, '/help@desk_bot', { chat: group })), { lang: 'en' });
    expect(ours.calls.map((c) => c.method)).toEqual(['sendMessage']);
  });

  it('points an unknown command in a private chat to the menu', async () => {
    const turn = await run(valid(textUpdate({ id: 9, language_code: 'zh-hans' }, '/nonsense')), undefined);
    expect(String(turn.calls[0]?.params.text)).toContain('/menu');
    expect(String(turn.calls[0]?.params.text)).toContain('没有理解');
  });
});

describe('chain commands', () => {
  const address = 'So11111111111111111111111111111111111111112';

  it('queues a balance question for valid addresses and says it is checking', async () => {
    const turn = await run(valid(textUpdate(alice, `/balance ${address} ${address}`)), { lang: 'zh', joined: true });
    expect(turn.jobs).toHaveLength(1);
    expect(turn.jobs[0]).toMatchObject({
      chatId: alice.id,
      userId: alice.id,
      payload: { addresses: [address], lang: 'zh' },
    });
    expect(turn.jobs[0]?.job.type).toBe('wallet.balance');
    expect(String(turn.calls[0]?.params.text)).toContain('正在查询');
  });

  it('refuses an invalid address in the webhook, with the reason, and queues nothing', async () => {
    const turn = await run(valid(textUpdate(alice, '/verify 0x<b>nope</b>')), { lang: 'en', joined: true });
    expect(turn.jobs).toEqual([]);
    expect(String(turn.calls[0]?.params.text)).toContain('&lt;b&gt;');
    expect(String(turn.calls[0]?.params.text)).toMatch(/wrong length|base58/);
  });

  it('explains the usage when no address is given', async () => {
    const turn = await run(valid(textUpdate(alice, '/balance')), { lang: 'en', joined: true });
    expect(turn.jobs).toEqual([]);
    expect(String(turn.calls[0]?.params.text)).toContain('/balance');
  });
});

describe('user directory', () => {
  const types = (turn: { jobs: { job: { type: string } }[] }) => turn.jobs.map((j) => j.job.type);

  it('queues the new user for the directory and tells admins, once, on the first private update', async () => {
    const first = await run(valid(textUpdate(alice, '/start')), undefined);
    expect(types(first)).toEqual(['user.status', 'admin.event']);
    expect(first.jobs[0]?.payload).toEqual({ active: true, lang: 'en' });
    expect(first.jobs[1]?.payload).toMatchObject({ kind: 'user.new', userId: alice.id });
    expect(first.session).toMatchObject({ joined: true });
    const again = await run(valid(textUpdate(alice, '/start')), first.session);
    expect(types(again)).toEqual([]);
  });

  it('marks the user inactive when they block the bot and active when they restart it', async () => {
    const member = (status: string) => ({
      update_id: 77,
      my_chat_member: {
        chat: { id: alice.id, type: 'private', first_name: 'Alice' },
        from: { ...alice, is_bot: false },
        date: 1,
        old_chat_member: { user: { id: 4242, is_bot: true, first_name: 'desk' }, status: 'member' },
        new_chat_member: { user: { id: 4242, is_bot: true, first_name: 'desk' }, status },
      },
    });
    const blocked = await run(valid(member('kicked')), { joined: true });
    expect(blocked.jobs.map((j) => [j.job.type, j.payload])).toEqual([['user.status', { active: false, lang: 'en' }]]);
    const back = await run(valid(member('member')), { joined: true });
    expect(back.jobs.map((j) => j.payload)).toEqual([{ active: true, lang: 'en' }]);
  });
});
