import { Composer } from 'telegraf';
import { type AdminGate, decisionButtons } from '../admin/index.js';
import { amountProblemText, limitsInSol, withdrawLimits } from '../amounts.js';
import type { BotContext } from '../bot/index.js';
import type { PayoutSettings } from '../settings.js';
import { checkAddress, formatSol, knownNonWallet, parseAmount } from '../solana/index.js';
import { nonWalletReply } from '../wallets/index.js';
import {
  PAYOUT_CALLBACK,
  PAYOUT_CANCEL,
  PayoutCancelJob,
  PayoutDecideJob,
  PayoutRequestJob,
  WITHDRAW_CALLBACK,
} from './jobs.js';

/** The limits a withdrawal is checked against before the user confirms it, and what the screen shows. */
export type PayoutCommandSettings = Pick<
  PayoutSettings,
  'minLamports' | 'maxLamports' | 'networkFeeLamports' | 'confirmSeconds'
>;

const HTML = { parse_mode: 'HTML' } as const;

/** How to withdraw, with the limits. */
export function withdrawUsage(ctx: BotContext, settings: Pick<PayoutSettings, 'minLamports' | 'maxLamports'>): string {
  return ctx.t('withdraw.usage', limitsInSol(withdrawLimits(settings)));
}

/**
 * Withdrawals, as the webhook sees them. `/withdraw <SOL> <wallet>` in a private chat is checked
 * (syntax, limits) and shown back for confirmation: amount, network fee and destination, kept in
 * the session, so the Confirm button carries no amount or address to forge. Confirm queues a
 * `payout.request` (every check that needs the chain or the table runs in the workers). The user's
 * "Cancel withdrawal" button queues `payout.cancel`, which the worker honours only for the payout's
 * own user. An approve/reject button, registered on the admin gate, pressed by an admin in the admin
 * chat becomes a `payout.decide` naming that admin (the signer checks them again). A button pressed
 * by anyone else, or anywhere else, queues nothing: forged callback data cannot move money, and a
 * replayed one finds the payout already decided.
 */
export function payoutCommands(gate: AdminGate, settings: PayoutCommandSettings): Composer<BotContext> {
  const payouts = new Composer<BotContext>();
  const now = () => Math.floor(Date.now() / 1000);

  payouts.command('withdraw', (ctx) => {
    if (ctx.chat.type !== 'private') return ctx.reply(ctx.t('withdraw.private'));
    const [amount, wallet] = ctx.args;
    const limits = withdrawLimits(settings);
    if (amount === undefined || wallet === undefined || ctx.args.length !== 2) {
      return ctx.reply(withdrawUsage(ctx, settings), HTML);
    }
    const parsed = parseAmount(amount, limits);
    if (!parsed.ok) return ctx.reply(amountProblemText(ctx.t, parsed.problem, amount, limits), HTML);
    const { lamports } = parsed;
    const check = checkAddress(wallet);
    if (!check.ok) return ctx.reply(ctx.t(`address.${check.problem}`));
    const known = knownNonWallet(check.address, check.bytes);
    if (known) return nonWalletReply(ctx, check.address, known);
    ctx.session = { ...ctx.session, withdrawDraft: { wallet, lamports: lamports.toString(), since: now() } };
    const screen = {
      sol: formatSol(lamports),
      fee: formatSol(BigInt(settings.networkFeeLamports)),
      wallet,
      minutes: Math.round(settings.confirmSeconds / 60),
    };
    return ctx.reply(ctx.t('withdraw.confirm', screen), {
      ...HTML,
      reply_markup: {
        inline_keyboard: [
          [
            { text: ctx.t('withdraw.confirm_button'), callback_data: WITHDRAW_CALLBACK.confirm },
            { text: ctx.t('withdraw.cancel_button'), callback_data: WITHDRAW_CALLBACK.cancel },
          ],
        ],
      },
    });
  });

  payouts.action(WITHDRAW_CALLBACK.confirm, async (ctx) => {
    const { withdrawDraft: draft, ...rest } = ctx.session;
    if (ctx.chat?.type !== 'private' || !draft) return ctx.answerCbQuery(ctx.t('button.stale'));
    ctx.session = rest;
    await ctx.answerCbQuery();
    if (now() - draft.since > settings.confirmSeconds) return ctx.editMessageText(ctx.t('withdraw.draft_expired'));
    ctx.enqueue({
      job: PayoutRequestJob,
      payload: { wallet: draft.wallet, lamports: draft.lamports, lang: ctx.lang },
      chatId: ctx.chat.id,
      userId: ctx.from.id,
    });
    return ctx.editMessageText(ctx.t('withdraw.checking'));
  });

  payouts.action(WITHDRAW_CALLBACK.cancel, async (ctx) => {
    const { withdrawDraft: _, ...rest } = ctx.session;
    ctx.session = rest;
    await ctx.answerCbQuery();
    return ctx.editMessageText(ctx.t('withdraw.draft_cancelled'));
  });

  payouts.action(PAYOUT_CANCEL.pattern, (ctx) => {
    if (ctx.chat?.type !== 'private') return ctx.answerCbQuery(ctx.t('button.stale'));
    ctx.enqueue({
      job: PayoutCancelJob,
      payload: { payoutId: ctx.match[1]! },
      chatId: ctx.chat.id,
      userId: ctx.from.id,
    });
    return ctx.answerCbQuery(ctx.t('withdraw.cancelling'));
  });

  gate.action(
    PAYOUT_CALLBACK.pattern,
    decisionButtons(
      (payoutId, approve, admin) => ({
        job: PayoutDecideJob,
        payload: { payoutId, approve, adminId: admin.id, adminName: admin.name },
        userId: admin.id,
      }),
      'payout.deciding',
    ),
  );
  return payouts;
}
