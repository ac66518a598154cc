import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import { commandMenus, commandsFor, DESK_COMMANDS } from '../../../../core/desk/bot/commands.js';
import { CALLBACK, mainMenu } from '../../../../core/desk/bot/menus.js';
import { conversationTranslator } from '../../../../core/desk/i18n.js';
import { TEST_ADMIN_CHAT_ID, TEST_ADMIN_ID, testBotOptions } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid, withoutLimits } from '../../../helpers/turns.js';
import { callbackUpdate, pressIn, textUpdate } from '../../../helpers/updates.js';

const run = withoutLimits(turnRunner(createBot(testBotOptions())));
const alice = { id: 601, first_name: 'Alice' };
const admin = { id: TEST_ADMIN_ID, first_name: 'Ada' };
const adminChat = { id: TEST_ADMIN_CHAT_ID, type: 'supergroup', title: 'Admins' };
const WALLET = 'So11111111111111111111111111111111111111112';
const LANGS = ['en', 'zh'] as const;

const texts = (turn: { calls: { params: Record<string, unknown> }[] }) =>
  turn.calls.map((call) => String(call.params.text ?? call.params.caption ?? ''));

describe('the declared commands', () => {
  it.each(LANGS)('/help lists every user command and no admin command, for a user (%s)', async (lang) => {
    const turn = await run(valid(textUpdate(alice, '/help')), { lang, joined: true });
    const help = texts(turn)[0]!;
    for (const command of commandsFor('user')) expect(help).toContain(`/${command.name}`);
    for (const command of commandsFor('admin')) expect(help).not.toMatch(new RegExp(`/${command.name}\\b`));
    expect(help).toContain(conversationTranslator(lang)('command.deposit'));
  });

  it('/help shows an admin in the admin chat their commands too, and the same admin in private only the user ones', async () => {
    const here = texts(await run(valid(textUpdate(admin, '/help', { chat: adminChat })), { lang: 'en' }))[0]!;
    for (const command of DESK_COMMANDS) expect(here).toContain(`/${command.name}`);
    expect(here).toContain('/credit &lt;deposit id or signature&gt; &lt;user id&gt;');
    const elsewhere = texts(await run(valid(textUpdate(admin, '/help')), { lang: 'en', joined: true }))[0]!;
    expect(elsewhere).not.toContain('/broadcast');
  });

  it('/help shows another member of the admin chat no admin command', async () => {
    const help = texts(await run(valid(textUpdate(alice, '/help', { chat: adminChat })), { lang: 'en' }))[0]!;
    expect(help).not.toContain('/broadcast');
  });

  it.each(commandsFor('user').map((c) => c.name))('/%s is answered in a private chat, not as unknown', async (name) => {
    for (const lang of LANGS) {
      const turn = await run(valid(textUpdate(alice, `/${name}`)), { lang, joined: true });
      const unknown = conversationTranslator(lang)('text.unknown');
      expect(turn.calls.length + turn.jobs.length).toBeGreaterThan(0);
      expect(texts(turn)).not.toContain(unknown);
    }
  });

  it.each(commandsFor('admin').map((c) => c.name))('/%s is answered for an admin in the admin chat', async (name) => {
    const turn = await run(valid(textUpdate(admin, `/${name}`, { chat: adminChat })), { lang: 'en' });
    expect(turn.calls.length + turn.jobs.length).toBeGreaterThan(0);
  });

  it('/verify without an address explains /verify, not /balance', async () => {
    for (const lang of LANGS) {
      const turn = await run(valid(textUpdate(alice, '/verify')), { lang, joined: true });
      expect(turn.jobs).toEqual([]);
      expect(texts(turn)).toEqual([conversationTranslator(lang)('verify.usage')]);
      expect(texts(turn)[0]).toContain('/verify');
      expect(texts(turn)[0]).not.toContain('/balance');
    }
  });
});

describe('Telegram command menus (setMyCommands)', () => {
  const menus = commandMenus(TEST_ADMIN_CHAT_ID);

  it('sets the user commands for private chats and the admin commands for the admin chat, per language', () => {
    expect(menus.map((m) => [m.scope, m.language_code])).toEqual([
      [{ type: 'all_private_chats' }, undefined],
      [{ type: 'all_private_chats' }, 'zh'],
      [{ type: 'chat', chat_id: TEST_ADMIN_CHAT_ID }, undefined],
      [{ type: 'chat', chat_id: TEST_ADMIN_CHAT_ID }, 'zh'],
    ]);
    expect(menus[0]!.commands.map((c) => c.command)).toEqual(commandsFor('user').map((c) => c.name));
    expect(menus[2]!.commands.map((c) => c.command)).toEqual([...commandsFor('admin').map((c) => c.name), 'help']);
    expect(menus[1]!.commands.find((c) => c.command === 'deposit')?.description).toBe(
      conversationTranslator('zh')('command.deposit'),
    );
  });

  it('keeps within what Telegram accepts: names of 1–32 [a-z0-9_], descriptions of 1–256 plain characters', () => {
    for (const menu of menus) {
      expect(menu.commands.length).toBeLessThanOrEqual(100);
      for (const { command, description } of menu.commands) {
        expect(command).toMatch(/^[a-z0-9_]{1,32}$/);
        expect(description.length).toBeGreaterThan(0);
        expect(description.length).toBeLessThanOrEqual(256);
        expect(description).not.toMatch(/[<>&]/);
      }
    }
  });
});

describe('the main menu', () => {
  const buttons = (lang: 'en' | 'zh') =>
    mainMenu(conversationTranslator(lang), 'Alice').keyboard.inline_keyboard.flat() as {
      text: string;
      callback_data: string;
    }[];

  it('offers the desk’s real actions', () => {
    expect(buttons('en').map((b) => b.callback_data)).toEqual([
      'w:l',
      CALLBACK.balance,
      CALLBACK.deposit,
      CALLBACK.withdraw,
      CALLBACK.history,
      CALLBACK.watches,
      CALLBACK.assistant,
      CALLBACK.chooseLanguage,
      CALLBACK.help,
    ]);
  });

  it.each(LANGS)('answers every button with something meaningful (%s)', async (lang) => {
    const session = { lang, joined: true, wallets: [{ address: WALLET }] };
    for (const button of buttons(lang)) {
      const turn = await run(valid(callbackUpdate(alice, button.callback_data, 5)), session);
      const answer = turn.calls.find((c) => c.method === 'answerCallbackQuery');
      expect(answer, button.text).toBeDefined();
      const edit = turn.calls.find((c) => c.method === 'editMessageText');
      const said = String(edit?.params.text ?? answer?.params.text ?? '');
      // A screen in place of the menu, or a job whose answer follows with the press answered.
      expect(said.length, button.text).toBeGreaterThan(3);
      if (!edit) expect(turn.jobs.length, button.text).toBe(1);
      expect(said).not.toBe(conversationTranslator(lang)('button.stale'));
    }
  });

  it('shows the withdrawal and deposit usage with their limits, and how to ask the assistant', async () => {
    const press = async (data: string) =>
      String((await run(valid(callbackUpdate(alice, data, 5)), { lang: 'en' })).calls[1]?.params.text);
    expect(await press(CALLBACK.withdraw)).toContain('from 0.01 to 10 SOL');
    expect(await press(CALLBACK.deposit)).toContain('up to 1000000 SOL');
    expect(await press(CALLBACK.assistant)).toContain('/reset');
  });

  it('queues the balance of the linked wallets, history and watches; with no wallet, tells how to link one', async () => {
    const session = { lang: 'en' as const, joined: true, wallets: [{ address: WALLET }] };
    const types = async (data: string) =>
      (await run(valid(callbackUpdate(alice, data, 5)), session)).jobs.map((j) => j.job.type);
    expect(await types(CALLBACK.balance)).toEqual(['wallet.balance']);
    expect(await types(CALLBACK.history)).toEqual(['ledger.history']);
    expect(await types(CALLBACK.watches)).toEqual(['watch.list']);
    const none = await run(valid(callbackUpdate(alice, CALLBACK.balance, 5)), { lang: 'en', joined: true });
    expect(none.jobs).toEqual([]);
    expect(String(none.calls[1]?.params.text)).toContain('link your wallet');
  });

  it('queues nothing for a group’s press of a private action, and says why', async () => {
    const group = { id: -5, type: 'group', title: 'G' };
    const turn = await run(valid(pressIn(group, alice, CALLBACK.history)), { lang: 'en' });
    expect(turn.jobs).toEqual([]);
    expect(String(turn.calls[0]?.params.text)).toContain('private chat');
  });
});
