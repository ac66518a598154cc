import { assertAdmin } from '../admin/access.js';
import { adminEvent } from '../admin/events.js';
import { PoisonJobError } from '../errors.js';
import { translator } from '../i18n.js';
import { handle, type JobHandler } from '../jobs/consumer.js';
import { emitFrom } from '../jobs/emit.js';
import type { JobQueue } from '../jobs/envelope.js';
import type { PayoutStore } from '../payouts/store.js';
import { notice } from '../telegram/notice.js';
import { formatSol } from '../wallet/format.js';
import { DepositDecideJob, LedgerHistoryJob } from './jobs.js';
import type { Ledger } from './ledger.js';

export interface LedgerDeps {
  /** The admins (`ADMIN_USER_IDS`): a `deposit.decide` by anyone else is poison. */
  admins: ReadonlySet<number>;
  ledger: Ledger;
  queue: JobQueue;
  /** Where each withdrawal in `/history` stands. */
  payouts: Pick<PayoutStore, 'get'>;
  /** Entries `/history` shows. */
  historySize?: number;
}

/**
 * `deposit.decide`: the first admin decision on a found deposit wins; a confirmation credits the
 * user's internal balance and writes its ledger entry in one transaction, so a double click, a
 * second admin or a redelivered job credits nothing more. The user and the admins are told once.
 * `ledger.history`: the user's balance and latest entries.
 */
export function ledgerHandlers(deps: LedgerDeps): JobHandler[] {
  const decide = handle(DepositDecideJob, async (job, log) => {
    assertAdmin(deps.admins, job);
    const { depositId, approve, adminId, adminName } = job.payload;
    const decision = await deps.ledger.decideDeposit(depositId, approve, adminId);
    log.info('deposit.decided', { depositId, outcome: decision.outcome });
    if (decision.outcome === 'missing' || decision.outcome === 'decided') return;
    const { deposit } = decision;
    const user = translator(deposit.lang);
    const facts: [string, string][] = [
      ['user', String(deposit.userId)],
      ['amount', `${formatSol(deposit.lamports)} SOL`],
      ['signature', deposit.signature],
      ['by', adminName || String(adminId)],
    ];
    await emitFrom(deps.queue, job, [
      // Deposits are claimed in private chats, where the chat id is the user id.
      notice(
        deposit.userId,
        deposit.userId,
        decision.outcome === 'credited'
          ? user('deposit.credited', { sol: formatSol(deposit.lamports), balance: formatSol(decision.balance) })
          : user('deposit.rejected', { sol: formatSol(deposit.lamports) }),
      ),
      adminEvent({
        kind: decision.outcome === 'credited' ? 'deposit.confirmed' : 'deposit.rejected',
        userId: deposit.userId,
        facts,
      }),
    ]);
  });

  const history = handle(LedgerHistoryJob, async (job) => {
    if (job.userId === null || job.chatId === null) throw new PoisonJobError('ledger.no_user', 'history needs a user');
    const t = translator(job.payload.lang);
    const [balance, entries] = await Promise.all([
      deps.ledger.balance(job.userId),
      deps.ledger.history(job.userId, deps.historySize ?? 10),
    ]);
    const lines = [t('ledger.title', { balance: formatSol(balance) })];
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
    await emitFrom(deps.queue, job, [notice(job.chatId, job.userId, lines.join('\n'))]);
  });

  return [decide, history] as JobHandler[];
}
