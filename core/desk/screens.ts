import type { Context } from 'telegraf';
import type { InlineKeyboardMarkup } from 'telegraf/types';

/** A screen of the bot: HTML text and its inline keyboard. Pure data, reused for send and edit. */
export interface Screen {
  text: string;
  keyboard: InlineKeyboardMarkup;
}

const HTML = { parse_mode: 'HTML' } as const;

/** Sends a screen as a new message. */
export function showScreen(ctx: Context, screen: Screen) {
  return ctx.reply(screen.text, { ...HTML, reply_markup: screen.keyboard });
}

/** Replaces the message the pressed button belongs to with a screen (menus are edited in place). */
export function replaceScreen(ctx: Context, screen: Screen) {
  return ctx.editMessageText(screen.text, { ...HTML, reply_markup: screen.keyboard });
}

/** Back to the desk's main menu (`bot/` answers it); every feature's screens may offer it. */
export const MAIN_MENU_CALLBACK = 'menu:main';
