import type { ConversationTranslate } from '../i18n.js';
import { MAIN_MENU_CALLBACK, type Screen } from '../screens.js';
import { shortAddress } from '../solana/index.js';
import { type LinkedWallet, MAX_LABEL_CHARS, MAX_WALLETS } from './session.js';

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

/** Callback data of the wallet buttons; compact (≤ 64 bytes) and parsed strictly by the handlers. */
export const WALLET_CALLBACK = {
  list: 'w:l',
  /** `w:<action>:<index>:<address prefix>`, at most 12 bytes; checked against the session when pressed. */
  wallet: (action: WalletAction, index: number, address: string) =>
    `w:${WALLET_ACTION_CODES[action]}:${index}:${address.slice(0, WALLET_PREFIX_CHARS)}`,
} as const;

/** How a wallet is named on a button: its label, else its shortened address (button text is not HTML). */
export function walletName(wallet: LinkedWallet): string {
  return wallet.label ?? shortAddress(wallet.address);
}

/** The linked wallets, one button each, and Back to the main menu. */
export function walletsScreen(t: ConversationTranslate, wallets: readonly LinkedWallet[]): Screen {
  return {
    text: wallets.length === 0 ? t('wallets.none') : t('wallets.title', { count: wallets.length, max: MAX_WALLETS }),
    keyboard: {
      inline_keyboard: [
        ...wallets.map((wallet, index) => [
          { text: walletName(wallet), callback_data: WALLET_CALLBACK.wallet('open', index, wallet.address) },
        ]),
        [{ text: t('menu.back'), callback_data: MAIN_MENU_CALLBACK }],
      ],
    },
  };
}

/** One wallet: its address (copyable), its label, and what can be done with it. */
export function walletScreen(t: ConversationTranslate, wallet: LinkedWallet, index: number, notice?: string): Screen {
  const screen = t('wallet.screen', {
    number: index + 1,
    address: wallet.address,
    label: wallet.label ?? t('wallet.no_label'),
  });
  const button = (action: WalletAction) => WALLET_CALLBACK.wallet(action, index, wallet.address);
  return {
    text: notice ? `${notice}\n\n${screen}` : screen,
    keyboard: {
      inline_keyboard: [
        [
          { text: t('wallet.rename'), callback_data: button('rename') },
          { text: t('wallet.remove'), callback_data: button('remove') },
        ],
        [{ text: t('wallet.balance'), callback_data: button('balance') }],
        [{ text: t('menu.back'), callback_data: WALLET_CALLBACK.list }],
      ],
    },
  };
}

/** Asks for a wallet's new label; Cancel goes back to the wallet. */
export function renamePromptScreen(t: ConversationTranslate, wallet: LinkedWallet, index: number): Screen {
  return {
    text: t('wallet.rename_prompt', { address: wallet.address, max: MAX_LABEL_CHARS }),
    keyboard: {
      inline_keyboard: [
        [{ text: t('wallet.cancel'), callback_data: WALLET_CALLBACK.wallet('open', index, wallet.address) }],
      ],
    },
  };
}

/** Asks to confirm a removal; No goes back to the wallet. */
export function removeConfirmScreen(t: ConversationTranslate, wallet: LinkedWallet, index: number): Screen {
  return {
    text: t('wallet.remove_confirm', { address: wallet.address }),
    keyboard: {
      inline_keyboard: [
        [
          { text: t('wallet.remove_yes'), callback_data: WALLET_CALLBACK.wallet('confirm', index, wallet.address) },
          { text: t('wallet.remove_no'), callback_data: WALLET_CALLBACK.wallet('open', index, wallet.address) },
        ],
      ],
    },
  };
}
