import { PoisonJobError } from '../../platform/errors.js';
import type { JobQueue } from '../../platform/jobs/index.js';
import { emitFrom, handle, type JobHandler } from '../../platform/jobs/index.js';
import { notice } from '../../platform/telegram/index.js';
import { jobTranslator } from '../i18n.js';
import type { PayoutStore } from '../payouts/index.js';
import { type PriceSource, valuationNote, valuationOf, valued, WSOL_MINT, wholeTokens } from '../prices/index.js';
import { formatSol } from '../solana/index.js';
import { LedgerHistoryJob } from './jobs.js';
import type { Ledger } from './ledger.js';

export interface LedgerDeps {
  ledger: Ledger;
  queue: JobQueue;
  /** Where each withdrawal in `/history` stands. */
  payouts: Pick<PayoutStore, 'get'>;
  /** Entries `/history` shows. */
  historySize?: number;
  /** The balance's indicative value (the rpc worker's price source). */
  prices?: PriceSource;
}

/** `ledger.history`: the user's balance (with its indicative value, given a price source) and latest entries. (Deposit decisions live in core/desk/deposits/handlers.ts.) */
export function ledgerHandlers(deps: LedgerDeps): JobHandler[] {
  const history = handle(LedgerHistoryJob, async (job) => {
    if (job.userId === null || job.chatId === null) throw new PoisonJobError('ledger.no_user', 'history needs a user');
    const t = jobTranslator(job.payload.lang);
    const [balance, entries, table] = await Promise.all([
      deps.ledger.balance(job.userId),
      deps.ledger.history(job.userId, deps.historySize ?? 10),
      deps.prices?.prices(),
    ]);
    const valuation = deps.prices && valuationOf(job.payload.lang, table);
    const lines = [
      valued(t, t('ledger.title', { balance: formatSol(balance) }), wholeTokens(balance, 9), WSOL_MINT, valuation),
    ];
    // Each withdrawal with the state its payout is in now (cooling off, waiting, paid, cancelled…).
    const withdrawals = entries.filter((e) => e.kind === 'withdrawal');
    const payouts = new Map(
      (await Promise.all(withdrawals.map((e) => deps.payouts.get(e.ref)))).flatMap((p) => (p ? [[p.id, p]] : [])),
    );
    for (const entry of entries) {
      lines.push(
        t('ledger.entry', {
          date: new Date(entry.at).toISOString().slice(0, 16).replace('T', ' '),
          kind: t(`ledger.kind.${entry.kind}`),
          sol: `${entry.lamports > 0n ? '+' : ''}${formatSol(entry.lamports)}`,
        }),
      );
      const payout = entry.kind === 'withdrawal' ? payouts.get(entry.ref) : undefined;
      if (payout) lines.push(t('ledger.payout', { id: payout.id, status: t(`payout.status.${payout.status}`) }));
    }
    if (entries.length === 0) lines.push(t('ledger.empty'));
    const note = valuation && valuationNote(t, valuation);
    if (note) lines.push('', note);
    await emitFrom(deps.queue, job, [notice(job.chatId, job.userId, lines.join('\n'))]);
  });

  return [history] as JobHandler[];
}
