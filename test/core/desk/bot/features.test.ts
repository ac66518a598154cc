import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import { commandMenus, commandsFor, DESK_COMMANDS } from '../../../../core/desk/bot/commands.js';
import { CALLBACK, mainMenu } from '../../../../core/desk/bot/menus.js';
import { BROADCAST_CALLBACK } from '../../../../core/desk/broadcasts/index.js';
import { DEPOSIT_CALLBACK } from '../../../../core/desk/deposits/index.js';
import { ALL_FEATURES, type DeskFeature } from '../../../../core/desk/features.js';
import { conversationTranslator } from '../../../../core/desk/i18n.js';
import { PAYOUT_CALLBACK, PAYOUT_CANCEL, WITHDRAW_CALLBACK } from '../../../../core/desk/payouts/index.js';
import { WATCH_CALLBACK } from '../../../../core/desk/watches/index.js';
import { TEST_ADMIN_CHAT_ID, TEST_ADMIN_ID, testBotOptions } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid, withoutLimits } from '../../../helpers/turns.js';
import { callbackUpdate, pressIn, textUpdate } from '../../../helpers/updates.js';

const LANGS = ['en', 'zh'] as const;
const alice = { id: 701, first_name: 'Alice' };
const admin = { id: TEST_ADMIN_ID, first_name: 'Ada' };
const adminChat = { id: TEST_ADMIN_CHAT_ID, type: 'supergroup', title: 'Admins' };
const WALLET = 'So11111111111111111111111111111111111111112';

/** The desk with one feature switched off. */
const without = (feature: DeskFeature) =>
  withoutLimits(turnRunner(createBot(testBotOptions({ features: { ...ALL_FEATURES, [feature]: false } }))));

const texts = (turn: { calls: { params: Record<string, unknown> }[] }) =>
  turn.calls.map((call) => String(call.params.text ?? ''));

/** What a user may still send of each feature: its commands (with valid arguments) and its buttons. */
const USER_COMMANDS: Record<DeskFeature, string[]> = {
  payouts: [`/withdraw 0.5 ${WALLET}`, '/withdraw', '/deposit 1', '/deposit', '/history'],
  watches: [`/watch ${WALLET} 1`, '/watches'],
  assistant: ['/reset'],
  broadcasts: [],
};
const USER_BUTTONS: Record<DeskFeature, string[]> = {
  payouts: [
    CALLBACK.deposit,
    CALLBACK.withdraw,
    CALLBACK.history,
    WITHDRAW_CALLBACK.confirm,
    WITHDRAW_CALLBACK.cancel,
    PAYOUT_CANCEL.data('abcdefghabcdefgh'),
    DEPOSIT_CALLBACK.paid(WALLET),
  ],
  watches: [CALLBACK.watches, WATCH_CALLBACK.remove(WALLET)],
  assistant: [CALLBACK.assistant],
  broadcasts: [],
};
const ADMIN_COMMANDS: Record<DeskFeature, string[]> = {
  payouts: [`/credit abcdefghabcdefgh ${alice.id}`, '/treasury'],
  watches: [],
  assistant: [],
  broadcasts: ['/broadcast Hello everyone'],
};
const ADMIN_BUTTONS: Record<DeskFeature, string[]> = {
  payouts: [PAYOUT_CALLBACK.approve('abcdefghabcdefgh'), DEPOSIT_CALLBACK.reject('abcdefghabcdefgh')],
  watches: [],
  assistant: [],
  broadcasts: [BROADCAST_CALLBACK.send, BROADCAST_CALLBACK.discard, 'bc:stop:b12'],
};
const FEATURES = Object.keys(ALL_FEATURES) as DeskFeature[];
/** A session a feature's buttons would act on (a pending withdrawal, a broadcast draft). */
const SESSION = {
  joined: true,
  wallets: [{ address: WALLET }],
  withdrawDraft: { wallet: WALLET, lamports: '500000000', since: Math.floor(Date.now() / 1000) },
  broadcastDraft: { text: 'Hello' },
};

describe('a bot without a feature', () => {
  describe.each(FEATURES)('without %s', (feature) => {
    const run = without(feature);

    it.each(LANGS)('answers the feature’s commands politely and queues nothing (%s)', async (lang) => {
      const off = conversationTranslator(lang)(`feature.off.${feature}`);
      for (const command of USER_COMMANDS[feature]) {
        const turn = await run(valid(textUpdate(alice, command)), { ...SESSION, lang });
        expect(turn.jobs, command).toEqual([]);
        expect(texts(turn), command).toEqual([off]);
      }
      for (const command of ADMIN_COMMANDS[feature]) {
        const turn = await run(valid(textUpdate(admin, command, { chat: adminChat })), { ...SESSION, lang });
        expect(turn.jobs, command).toEqual([]);
        expect(texts(turn), command).toEqual([off]);
      }
    });

    it.each(LANGS)('answers the feature’s old buttons and queues nothing (%s)', async (lang) => {
      const off = conversationTranslator(lang)(`feature.off.${feature}`);
      const presses = [
        ...USER_BUTTONS[feature].map((data) => callbackUpdate(alice, data)),
        ...ADMIN_BUTTONS[feature].map((data) => pressIn(adminChat, admin, data)),
      ];
      for (const press of presses) {
        const turn = await run(valid(press), { ...SESSION, lang });
        const data = press.callback_query.data;
        expect(turn.jobs, data).toEqual([]);
        expect(
          turn.calls.map((c) => [c.method, c.params.text]),
          data,
        ).toEqual([['answerCallbackQuery', off]]);
      }
    });

    it('leaves it out of /help, the main menu and Telegram’s command menus', async () => {
      const gone = DESK_COMMANDS.filter((c) => c.feature === feature).map((c) => c.name);
      const help = texts(await run(valid(textUpdate(admin, '/help', { chat: adminChat })), { lang: 'en' }))[0]!;
      for (const name of gone) expect(help).not.toMatch(new RegExp(`/${name}\\b`));
      const features = { ...ALL_FEATURES, [feature]: false };
      for (const menu of commandMenus(TEST_ADMIN_CHAT_ID, features)) {
        for (const name of gone) expect(menu.commands.map((c) => c.command)).not.toContain(name);
      }
      const buttons = mainMenu(conversationTranslator('en'), 'Alice', features).keyboard.inline_keyboard.flat();
      const data = buttons.map((b) => ('callback_data' in b ? b.callback_data : ''));
      for (const button of USER_BUTTONS[feature]) expect(data).not.toContain(button);
      // Still two by two, Help alone last.
      expect(buttons.at(-1)).toMatchObject({ callback_data: CALLBACK.help });
      const menu = await run(valid(textUpdate(alice, '/menu')), { lang: 'en', joined: true });
      const markup = menu.calls[0]!.params.reply_markup as { inline_keyboard: { callback_data: string }[][] };
      const shown = markup.inline_keyboard;
      expect(shown.flat().map((b) => b.callback_data)).toEqual(data);
      expect(shown.slice(0, -1).every((row) => row.length <= 2)).toBe(true);
    });

    it('still offers every other feature', async () => {
      for (const other of FEATURES.filter((f) => f !== feature)) {
        for (const command of USER_COMMANDS[other]) {
          const turn = await run(valid(textUpdate(alice, command)), { ...SESSION, lang: 'en' });
          expect(texts(turn), command).not.toContain(conversationTranslator('en')(`feature.off.${other}`));
        }
      }
    });
  });

  it('without the assistant: free text gets the pointer to the menu, and nothing goes to the ai queue', async () => {
    const run = without('assistant');
    for (const lang of LANGS) {
      const turn = await run(valid(textUpdate(alice, 'what is a validator?')), { lang, joined: true });
      expect(turn.jobs).toEqual([]);
      expect(texts(turn)).toEqual([conversationTranslator(lang)('text.unknown')]);
    }
    const help = texts(await run(valid(textUpdate(alice, '/help')), { lang: 'en', joined: true }))[0]!;
    expect(help).not.toContain(conversationTranslator('en')('help.assistant'));
  });

  it('with every feature on, asks the assistant (the same text, the same bot otherwise)', async () => {
    const run = withoutLimits(turnRunner(createBot(testBotOptions())));
    const turn = await run(valid(textUpdate(alice, 'what is a validator?')), { lang: 'en', joined: true });
    expect(turn.jobs.map((j) => j.job.type)).toEqual(['ai.reply']);
  });

  it('without watches: a language change does not queue watch.lang', async () => {
    const turn = await without('watches')(valid(callbackUpdate(alice, 'lang:zh', 7)), { joined: true });
    expect(turn.jobs.map((j) => j.job.type)).toEqual(['user.status']);
  });

  it('without payouts: a user’s commands of other features are unchanged (/help still lists /balance)', async () => {
    const help = texts(await without('payouts')(valid(textUpdate(alice, '/help')), { lang: 'en', joined: true }))[0]!;
    for (const command of commandsFor('user', { ...ALL_FEATURES, payouts: false })) {
      expect(help).toContain(`/${command.name}`);
    }
    expect(help).toContain('/balance');
  });
});
