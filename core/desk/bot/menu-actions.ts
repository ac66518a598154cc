import { Composer } from 'telegraf';
import { depositUsage } from '../deposits/index.js';
import { LedgerHistoryJob } from '../ledger/index.js';
import { withdrawUsage } from '../payouts/index.js';
import { replaceScreen } from '../screens.js';
import type { PayoutSettings } from '../settings.js';
import { linkedAddresses, WalletBalanceJob } from '../wallets/index.js';
import { WatchListJob } from '../watches/index.js';
import type { BotContext } from './context.js';
import { backScreen, CALLBACK } from './menus.js';

/**
 * The main menu's action buttons. Each answers: a screen in place of the menu (how to deposit or
 * withdraw, with the limits; how to ask the assistant; how to link a wallet when there is none to
 * weigh), or a job whose answer follows in the chat, the press answered with "one moment". They
 * act for the user who pressed, in their private chat; pressed in a group, they say so.
 */
export function menuActions(payouts: Pick<PayoutSettings, 'minLamports' | 'maxLamports'>): Composer<BotContext> {
  const menu = new Composer<BotContext>();
  const screen = (ctx: BotContext, text: string) =>
    ctx.answerCbQuery().then(() => replaceScreen(ctx, backScreen(ctx.t, text)));

  menu.action(CALLBACK.deposit, (ctx) => screen(ctx, depositUsage(ctx)));
  menu.action(CALLBACK.withdraw, (ctx) => screen(ctx, withdrawUsage(ctx, payouts)));
  menu.action(CALLBACK.assistant, (ctx) => screen(ctx, ctx.t('menu.assistant_text')));

  menu.action([CALLBACK.balance, CALLBACK.history, CALLBACK.watches], (ctx) => {
    if (ctx.chat?.type !== 'private') return ctx.answerCbQuery(ctx.t('menu.private'));
    const to = { chatId: ctx.chat.id, userId: ctx.from.id };
    const pressed = ctx.match[0];
    if (pressed === CALLBACK.balance) {
      const addresses = linkedAddresses(ctx.session);
      if (addresses.length === 0) return screen(ctx, ctx.t('balance.usage'));
      ctx.enqueue({ job: WalletBalanceJob, payload: { addresses, lang: ctx.lang }, ...to });
      return ctx.answerCbQuery(ctx.t('chain.checking'));
    }
    if (pressed === CALLBACK.history) ctx.enqueue({ job: LedgerHistoryJob, payload: { lang: ctx.lang }, ...to });
    else ctx.enqueue({ job: WatchListJob, payload: { lang: ctx.lang }, ...to });
    return ctx.answerCbQuery(ctx.t('menu.loading'));
  });
  return menu;
}
