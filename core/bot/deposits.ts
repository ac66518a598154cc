import { Composer } from 'telegraf';
import { DepositScanJob } from '../deposit/scan.js';
import { DEPOSIT_CALLBACK, DepositDecideJob, LedgerHistoryJob } from '../ledger/jobs.js';
import { type AdminGate, decisionButtons } from './admin-access.js';
import type { BotContext } from './context.js';

export interface DepositCommandOptions {
  /** The treasury's deposit address, shown to users. */
  treasuryAddress: string;
}

/** "I've deposited" under the deposit screen. */
export const DEPOSIT_SCAN = 'dp:scan';
const HTML = { parse_mode: 'HTML' } as const;

/**
 * Deposits into the internal balance, the seeds' "I've deposited" flow: `/deposit` shows the
 * treasury address (copyable) and a button that scans each linked wallet for transfers to it
 * (`deposit.scan`); each deposit found goes to the admins with Confirm / Reject, registered on the
 * admin gate: only an admin pressing in the admin chat queues `deposit.decide` (naming that admin,
 * whom the rpc worker checks again), whose first decision wins. `/history` shows the balance and
 * the ledger.
 */
export function depositCommands(options: DepositCommandOptions, gate: AdminGate): Composer<BotContext> {
  const deposits = new Composer<BotContext>();
  const wallets = (ctx: BotContext) => ctx.session.wallets ?? [];

  deposits.command('deposit', (ctx) => {
    if (ctx.chat.type !== 'private') return ctx.reply(ctx.t('withdraw.private'));
    if (wallets(ctx).length === 0) return ctx.reply(ctx.t('deposit.no_wallets'), HTML);
    return ctx.reply(ctx.t('deposit.screen', { treasury: options.treasuryAddress }), {
      ...HTML,
      reply_markup: { inline_keyboard: [[{ text: ctx.t('deposit.button'), callback_data: DEPOSIT_SCAN }]] },
    });
  });

  deposits.action(DEPOSIT_SCAN, (ctx) => {
    const linked = wallets(ctx);
    if (ctx.chat?.type !== 'private' || linked.length === 0) return ctx.answerCbQuery(ctx.t('button.stale'));
    for (const { address } of linked) {
      ctx.enqueue({
        job: DepositScanJob,
        payload: { wallet: address, lang: ctx.lang },
        chatId: ctx.chat.id,
        userId: ctx.from.id,
      });
    }
    return ctx.answerCbQuery(ctx.t('chain.checking'));
  });

  deposits.command('history', (ctx) => {
    if (ctx.chat.type !== 'private') return ctx.reply(ctx.t('withdraw.private'));
    ctx.enqueue({ job: LedgerHistoryJob, payload: { lang: ctx.lang }, chatId: ctx.chat.id, userId: ctx.from.id });
  });

  gate.action(
    DEPOSIT_CALLBACK.pattern,
    decisionButtons(
      (depositId, approve, admin) => ({
        job: DepositDecideJob,
        payload: { depositId, approve, adminId: admin.id, adminName: admin.name },
        chatId: null,
        userId: admin.id,
      }),
      { approve: 'deposit.confirmed_by_you', reject: 'payout.rejected_by_you' },
    ),
  );
  return deposits;
}
