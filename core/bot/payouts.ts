import { Composer } from 'telegraf';
import { PAYOUT_CALLBACK, PayoutDecideJob, PayoutRequestJob } from '../payouts/jobs.js';
import { checkAddress } from '../solana/address.js';
import { parseSol } from '../wallet/format.js';
import type { BotContext } from './context.js';

export interface PayoutCommandOptions {
  /** Where payout requests are shown to admins (their buttons are honoured there only). */
  adminChatId: number;
  /** Who may approve or reject. */
  adminUserIds: ReadonlySet<number>;
}

/**
 * Withdrawals, as the webhook sees them: `/withdraw <SOL> <wallet>` in a private chat becomes a
 * `payout.request` (every check that needs the chain or the table runs in the signer); an
 * approve/reject button pressed by an admin in the admin chat becomes a `payout.decide`. A button
 * pressed by anyone else, or anywhere else, queues nothing: forged callback data cannot move money,
 * and a replayed one finds the payout already decided.
 */
export function payoutCommands(options: PayoutCommandOptions): Composer<BotContext> {
  const payouts = new Composer<BotContext>();

  payouts.command('withdraw', (ctx) => {
    if (ctx.chat.type !== 'private') return ctx.reply(ctx.t('withdraw.private'));
    const [amount, wallet] = ctx.args;
    const lamports = amount === undefined ? undefined : parseSol(amount);
    if (lamports === undefined || wallet === undefined || ctx.args.length !== 2) {
      return ctx.reply(ctx.t('withdraw.usage'), { parse_mode: 'HTML' });
    }
    const check = checkAddress(wallet);
    if (!check.ok) return ctx.reply(ctx.t(`address.${check.problem}`));
    ctx.enqueue({
      job: PayoutRequestJob,
      payload: { wallet, lamports: lamports.toString(), lang: ctx.lang },
      chatId: ctx.chat.id,
      userId: ctx.from.id,
    });
    return ctx.reply(ctx.t('withdraw.checking'));
  });

  payouts.action(PAYOUT_CALLBACK.pattern, (ctx) => {
    const admin = ctx.chat?.id === options.adminChatId && options.adminUserIds.has(ctx.from.id);
    if (!admin)
      return ctx.answerCbQuery(ctx.t(ctx.chat?.id === options.adminChatId ? 'payout.not_admin' : 'button.stale'));
    const approve = ctx.match[1] === 'ok';
    ctx.enqueue({
      job: PayoutDecideJob,
      payload: {
        payoutId: ctx.match[2]!,
        approve,
        adminId: ctx.from.id,
        adminName: (ctx.from.username ? `@${ctx.from.username}` : ctx.from.first_name).slice(0, 64),
      },
      chatId: null,
      userId: ctx.from.id,
    });
    return ctx.answerCbQuery(ctx.t(approve ? 'payout.approved_by_you' : 'payout.rejected_by_you'));
  });
  return payouts;
}
