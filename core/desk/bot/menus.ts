import type { Translate } from '../../desk/i18n.js';
import { LANGUAGES } from '../../platform/i18n/index.js';
import { translator } from '../i18n.js';
import { MAIN_MENU_CALLBACK, type Screen } from '../screens.js';
import { MAX_WALLETS, WALLET_CALLBACK } from '../wallets/index.js';

/** Callback data of the menu buttons; compact (≤ 64 bytes) and parsed strictly by the handlers. */
export const CALLBACK = {
  language: (lang: string) => `lang:${lang}`,
  menu: MAIN_MENU_CALLBACK,
  help: 'menu:help',
  chooseLanguage: 'menu:lang',
} as const;

export function languageScreen(): Screen {
  return {
    text: translator('en')('lang.prompt'),
    keyboard: {
      inline_keyboard: [
        LANGUAGES.map((lang) => ({ text: translator(lang)('lang.name'), callback_data: CALLBACK.language(lang) })),
      ],
    },
  };
}

export function mainMenu(t: Translate, name: string): Screen {
  return {
    text: t('menu.title', { name }),
    keyboard: {
      inline_keyboard: [
        [{ text: t('menu.wallets'), callback_data: WALLET_CALLBACK.list }],
        [
          { text: t('menu.help'), callback_data: CALLBACK.help },
          { text: t('menu.language'), callback_data: CALLBACK.chooseLanguage },
        ],
      ],
    },
  };
}

export function helpScreen(t: Translate): Screen {
  return {
    text: t('help.text', { max: MAX_WALLETS }),
    keyboard: { inline_keyboard: [[{ text: t('menu.back'), callback_data: CALLBACK.menu }]] },
  };
}
