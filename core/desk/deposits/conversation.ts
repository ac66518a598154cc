import { Composer } from 'telegraf';
import { type AdminGate, decisionButtons, handleOf } from '../admin/index.js';
import { amountProblemText, limitsInSol } from '../amounts.js';
import type { BotContext } from '../bot/index.js';
import { LedgerHistoryJob } from '../ledger/index.js';
import { parseAmount } from '../solana/index.js';
import { DEPOSIT_LIMITS, newReference } from './claims.js';
import {
  DEPOSIT_CALLBACK,
  DepositCheckJob,
  DepositCreditJob,
  DepositDecideJob,
  DepositRequestJob,
  TreasuryQrJob,
} from './jobs.js';

export interface DepositCommandOptions {
  /** Draws a claim's reference (32 random bytes; injected for tests). */
  reference?: () => string;
}

const HTML = { parse_mode: 'HTML' } as const;
const CREDIT_USAGE = 'Usage: /credit &lt;signature or deposit id&gt; &lt;user id&gt;';

/** How to ask for a deposit, with the largest amount a request may name. */
export function depositUsage(ctx: BotContext): string {
  return ctx.t('deposit.usage', { max: limitsInSol(DEPOSIT_LIMITS).max });
}

/**
 * Deposits by reference: `/deposit [SOL]` draws a fresh reference for this user and queues
 * `deposit.request`, which stores the claim and only then shows the Solana Pay request with an
 * "I've paid" button (`deposit.check` of that claim). A payment is credited only to the
 * reference's owner, once per signature, after `finalized`; admins Confirm / Reject what is above
 * the automatic threshold, and credit a payment with no known reference with `/credit` in the
 * admin chat. `/history` shows the balance and the ledger.
 */
export function depositCommands(options: DepositCommandOptions, gate: AdminGate): Composer<BotContext> {
  const deposits = new Composer<BotContext>();
  const draw = options.reference ?? (() => newReference());

  deposits.command('deposit', (ctx) => {
    if (ctx.chat.type !== 'private') return ctx.reply(ctx.t('deposit.private'));
    const [amount, ...rest] = ctx.args;
    let lamports: bigint | null = null;
    if (amount !== undefined) {
      if (rest.length > 0) return ctx.reply(depositUsage(ctx), HTML);
      const parsed = parseAmount(amount, DEPOSIT_LIMITS);
      if (!parsed.ok) return ctx.reply(amountProblemText(ctx.t, parsed.problem, amount, DEPOSIT_LIMITS), HTML);
      lamports = parsed.lamports;
    }
    ctx.enqueue({
      job: DepositRequestJob,
      payload: { reference: draw(), lamports: lamports === null ? null : lamports.toString(), lang: ctx.lang },
      chatId: ctx.chat.id,
      userId: ctx.from.id,
    });
    return ctx.reply(ctx.t('deposit.preparing'));
  });

  deposits.action(DEPOSIT_CALLBACK.paidPattern, (ctx) => {
    if (ctx.chat?.type !== 'private') return ctx.answerCbQuery(ctx.t('button.stale'));
    // Whose claim it is, the worker checks: another user's reference only ever credits its owner.
    ctx.enqueue({
      job: DepositCheckJob,
      payload: { reference: ctx.match[1]!, lang: ctx.lang },
      chatId: ctx.chat.id,
      userId: ctx.from.id,
    });
    return ctx.answerCbQuery(ctx.t('deposit.checking'));
  });

  deposits.command('history', (ctx) => {
    if (ctx.chat.type !== 'private') return ctx.reply(ctx.t('withdraw.private'));
    ctx.enqueue({ job: LedgerHistoryJob, payload: { lang: ctx.lang }, chatId: ctx.chat.id, userId: ctx.from.id });
  });

  // Confirm / Reject under a pending deposit (the worker tells the admin chat what really happened).
  gate.action(
    DEPOSIT_CALLBACK.pattern,
    decisionButtons(
      (depositId, approve, admin) => ({
        job: DepositDecideJob,
        payload: { depositId, approve, adminId: admin.id, adminName: admin.name },
        userId: admin.id,
      }),
      'deposit.deciding',
    ),
  );

  // `/credit <signature or deposit id> <user id>`: an unattributed deposit credited by an admin.
  gate.command('credit', (ctx) => {
    const [deposit, user, ...rest] = ctx.args;
    const userId = Number(user);
    if (
      !deposit ||
      !/^(?:[a-z2-7]{16}|[1-9A-HJ-NP-Za-km-z]{64,90})$/.test(deposit) ||
      !Number.isSafeInteger(userId) ||
      userId <= 0 ||
      rest.length > 0
    ) {
      return ctx.reply(CREDIT_USAGE, HTML);
    }
    ctx.enqueue({
      job: DepositCreditJob,
      payload: { deposit, userId, adminId: ctx.from.id, adminName: handleOf(ctx.from) },
      chatId: ctx.chat.id,
      userId: ctx.from.id,
    });
    return ctx.reply(`Crediting deposit ${deposit.slice(0, 16)} to user ${userId}…`);
  });
  // `/treasury`: the treasury address as a QR code and as text, for admins only (funding it is
  // theirs; users deposit through their own reference'd request, which alone credits them).
  gate.command('treasury', (ctx) => {
    ctx.enqueue({ job: TreasuryQrJob, payload: { lang: ctx.lang }, chatId: ctx.chat.id, userId: ctx.from.id });
  });
  return deposits;
}
