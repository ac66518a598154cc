import type { ConversationTranslate } from '../../desk/i18n.js';
import { LANGUAGES } from '../../platform/i18n/index.js';
import { ALL_FEATURES, type DeskFeatures } from '../features.js';
import { conversationTranslator } from '../i18n.js';
import { MAIN_MENU_CALLBACK, type Screen } from '../screens.js';
import { WALLET_CALLBACK } from '../wallets/index.js';
import { helpText } from './commands.js';

/** Callback data of the menu buttons; compact (≤ 64 bytes) and parsed strictly by the handlers. */
export const CALLBACK = {
  language: (lang: string) => `lang:${lang}`,
  menu: MAIN_MENU_CALLBACK,
  help: 'menu:help',
  chooseLanguage: 'menu:lang',
  balance: 'menu:balance',
  deposit: 'menu:deposit',
  withdraw: 'menu:withdraw',
  history: 'menu:history',
  watches: 'menu:watches',
  assistant: 'menu:assistant',
} as const;

export function languageScreen(): Screen {
  return {
    text: conversationTranslator('en')('lang.prompt'),
    keyboard: {
      inline_keyboard: [
        LANGUAGES.map((lang) => ({
          text: conversationTranslator(lang)('lang.name'),
          callback_data: CALLBACK.language(lang),
        })),
      ],
    },
  };
}

/**
 * The desk's real actions, two by two: every one answers (a screen, or a job whose answer follows).
 * Only those of the features the bot offers (`features`, default all).
 */
export function mainMenu(t: ConversationTranslate, name: string, features: DeskFeatures = ALL_FEATURES): Screen {
  const buttons = [
    { text: t('menu.wallets'), callback_data: WALLET_CALLBACK.list },
    { text: t('menu.balance'), callback_data: CALLBACK.balance },
    ...(features.payouts
      ? [
          { text: t('menu.deposit'), callback_data: CALLBACK.deposit },
          { text: t('menu.withdraw'), callback_data: CALLBACK.withdraw },
          { text: t('menu.history'), callback_data: CALLBACK.history },
        ]
      : []),
    ...(features.watches ? [{ text: t('menu.watches'), callback_data: CALLBACK.watches }] : []),
    ...(features.assistant ? [{ text: t('menu.assistant'), callback_data: CALLBACK.assistant }] : []),
    { text: t('menu.language'), callback_data: CALLBACK.chooseLanguage },
  ];
  const rows = Array.from({ length: Math.ceil(buttons.length / 2) }, (_, i) => buttons.slice(2 * i, 2 * i + 2));
  return {
    text: t('menu.title', { name }),
    keyboard: { inline_keyboard: [...rows, [{ text: t('menu.help'), callback_data: CALLBACK.help }]] },
  };
}

/** A screen of text with Back to the main menu. */
export function backScreen(t: ConversationTranslate, text: string): Screen {
  return { text, keyboard: { inline_keyboard: [[{ text: t('menu.back'), callback_data: CALLBACK.menu }]] } };
}

/** `/help`: every command the user may use; admins in the admin chat also see theirs. */
export function helpScreen(
  t: ConversationTranslate,
  options: { admin: boolean; features?: DeskFeatures } = { admin: false },
): Screen {
  return backScreen(t, helpText(t, options));
}
