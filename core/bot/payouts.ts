import { Composer } from 'telegraf';
import { PAYOUT_CALLBACK, PayoutDecideJob, PayoutRequestJob } from '../payouts/jobs.js';
import { checkAddress } from '../solana/address.js';
import { parseSol } from '../wallet/format.js';
import { type AdminGate, decisionButtons } from './admin-access.js';
import type { BotContext } from './context.js';

/**
 * Withdrawals, as the webhook sees them: `/withdraw <SOL> <wallet>` in a private chat becomes a
 * `payout.request` (every check that needs the chain or the table runs in the signer); an
 * approve/reject button, registered on the admin gate, pressed by an admin in the admin chat becomes
 * a `payout.decide` naming that admin (the signer checks them again). A button pressed by anyone
 * else, or anywhere else, queues nothing: forged callback data cannot move money, and a replayed
 * one finds the payout already decided.
 */
export function payoutCommands(gate: AdminGate): Composer<BotContext> {
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

  gate.action(
    PAYOUT_CALLBACK.pattern,
    decisionButtons(
      (payoutId, approve, admin) => ({
        job: PayoutDecideJob,
        payload: { payoutId, approve, adminId: admin.id, adminName: admin.name },
        chatId: null,
        userId: admin.id,
      }),
      { approve: 'payout.approved_by_you', reject: 'payout.rejected_by_you' },
    ),
  );
  return payouts;
}
