import type { InlineKeyboardMarkup } from 'telegraf/types';
import type { Translate } from '../../desk/i18n.js';
import { LANGUAGES } from '../../platform/i18n/index.js';
import { translator } from '../i18n.js';
import { shortAddress } from '../wallets/format.js';
import { type LinkedWallet, MAX_LABEL_CHARS, MAX_WALLETS } from '../wallets/session.js';
import type { BotContext } from './context.js';

/** A screen of the bot: HTML text and its inline keyboard. Pure data, reused for send and edit. */
export interface Screen {
  text: string;
  keyboard: InlineKeyboardMarkup;
}

const HTML = { parse_mode: 'HTML' } as const;

/** Sends a screen as a new message. */
export function showScreen(ctx: BotContext, screen: Screen) {
  return ctx.reply(screen.text, { ...HTML, reply_markup: screen.keyboard });
}

/** Replaces the message the pressed button belongs to with a screen (menus are edited in place). */
export function replaceScreen(ctx: BotContext, screen: Screen) {
  return ctx.editMessageText(screen.text, { ...HTML, reply_markup: screen.keyboard });
}

/**
 * What a wallet button does: open its screen, ask for a new label, ask to confirm removal,
 * remove (confirmed), or ask for its balance.
 */
export type WalletAction = 'open' | 'rename' | 'remove' | 'confirm' | 'balance';

/** One letter per action in the callback data. */
export const WALLET_ACTION_CODES: Readonly<Record<WalletAction, string>> = {
  open: 'o',
  rename: 'r',
  remove: 'd',
  confirm: 'y',
  balance: 'b',
};

/** A wallet button names its wallet by index and by the first characters of its address. */
export const WALLET_PREFIX_CHARS = 6;

/** Callback data of every button; compact (≤ 64 bytes) and parsed strictly by the handlers. */
export const CALLBACK = {
  language: (lang: string) => `lang:${lang}`,
  menu: 'menu:main',
  help: 'menu:help',
  chooseLanguage: 'menu:lang',
  wallets: 'w:l',
  /** `w:<action>:<index>:<address prefix>`, at most 12 bytes; checked against the session when pressed. */
  wallet: (action: WalletAction, index: number, address: string) =>
    `w:${WALLET_ACTION_CODES[action]}:${index}:${address.slice(0, WALLET_PREFIX_CHARS)}`,
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
        [{ text: t('menu.wallets'), callback_data: CALLBACK.wallets }],
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

/** How a wallet is named on a button: its label, else its shortened address (button text is not HTML). */
export function walletName(wallet: LinkedWallet): string {
  return wallet.label ?? shortAddress(wallet.address);
}

/** The linked wallets, one button each, and Back to the main menu. */
export function walletsScreen(t: Translate, wallets: readonly LinkedWallet[]): Screen {
  return {
    text: wallets.length === 0 ? t('wallets.none') : t('wallets.title', { count: wallets.length, max: MAX_WALLETS }),
    keyboard: {
      inline_keyboard: [
        ...wallets.map((wallet, index) => [
          { text: walletName(wallet), callback_data: CALLBACK.wallet('open', index, wallet.address) },
        ]),
        [{ text: t('menu.back'), callback_data: CALLBACK.menu }],
      ],
    },
  };
}

/** One wallet: its address (copyable), its label, and what can be done with it. */
export function walletScreen(t: Translate, wallet: LinkedWallet, index: number, notice?: string): Screen {
  const screen = t('wallet.screen', {
    number: index + 1,
    address: wallet.address,
    label: wallet.label ?? t('wallet.no_label'),
  });
  const button = (action: WalletAction) => CALLBACK.wallet(action, index, wallet.address);
  return {
    text: notice ? `${notice}\n\n${screen}` : screen,
    keyboard: {
      inline_keyboard: [
        [
          { text: t('wallet.rename'), callback_data: button('rename') },
          { text: t('wallet.remove'), callback_data: button('remove') },
        ],
        [{ text: t('wallet.balance'), callback_data: button('balance') }],
        [{ text: t('menu.back'), callback_data: CALLBACK.wallets }],
      ],
    },
  };
}

/** Asks for a wallet's new label; Cancel goes back to the wallet. */
export function renamePromptScreen(t: Translate, wallet: LinkedWallet, index: number): Screen {
  return {
    text: t('wallet.rename_prompt', { address: wallet.address, max: MAX_LABEL_CHARS }),
    keyboard: {
      inline_keyboard: [[{ text: t('wallet.cancel'), callback_data: CALLBACK.wallet('open', index, wallet.address) }]],
    },
  };
}

/** Asks to confirm a removal; No goes back to the wallet. */
export function removeConfirmScreen(t: Translate, wallet: LinkedWallet, index: number): Screen {
  return {
    text: t('wallet.remove_confirm', { address: wallet.address }),
    keyboard: {
      inline_keyboard: [
        [
          { text: t('wallet.remove_yes'), callback_data: CALLBACK.wallet('confirm', index, wallet.address) },
          { text: t('wallet.remove_no'), callback_data: CALLBACK.wallet('open', index, wallet.address) },
        ],
      ],
    },
  };
}
