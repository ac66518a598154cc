import type { InlineKeyboardMarkup } from 'telegraf/types';
import { LANGUAGES, type Translate, translator } from '../i18n.js';

/** A screen of the bot: HTML text and its inline keyboard. Pure data, reused for send and edit. */
export interface Screen {
  text: string;
  keyboard: InlineKeyboardMarkup;
}

/** Callback data of every button; compact (≤ 64 bytes) and parsed strictly by the handlers. */
export const CALLBACK = {
  language: (lang: string) => `lang:${lang}`,
  menu: 'menu:main',
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
    text: t('help.text'),
    keyboard: { inline_keyboard: [[{ text: t('menu.back'), callback_data: CALLBACK.menu }]] },
  };
}
