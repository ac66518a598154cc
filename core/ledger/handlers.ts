import { PoisonJobError } from '../errors.js';
import { translator } from '../i18n.js';
import { handle, type JobHandler } from '../jobs/consumer.js';
import { emitFrom } from '../jobs/emit.js';
import type { JobQueue } from '../jobs/envelope.js';
import { notice } from '../telegram/notice.js';
import { formatSol } from '../wallet/format.js';
import { LedgerHistoryJob } from './jobs.js';
import type { Ledger } from './ledger.js';

export interface LedgerDeps {
  ledger: Ledger;
  queue: JobQueue;
  /** Entries `/history` shows. */
  historySize?: number;
}

/** `ledger.history`: the user's balance and latest entries. (Deposit decisions live in core/deposit/handlers.ts.) */
export function ledgerHandlers(deps: LedgerDeps): JobHandler[] {
  const history = handle(LedgerHistoryJob, async (job) => {
    if (job.userId === null || job.chatId === null) throw new PoisonJobError('ledger.no_user', 'history needs a user');
    const t = translator(job.payload.lang);
    const [balance, entries] = await Promise.all([
      deps.ledger.balance(job.userId),
      deps.ledger.history(job.userId, deps.historySize ?? 10),
    ]);
    const lines = [t('ledger.title', { balance: formatSol(balance) })];
    for (const entry of entries) {
      lines.push(
        t('ledger.entry', {
          date: new Date(entry.at).toISOString().slice(0, 16).replace('T', ' '),
          kind: t(`ledger.kind.${entry.kind}`),
          sol: `${entry.lamports > 0n ? '+' : ''}${formatSol(entry.lamports)}`,
        }),
      );
    }
    if (entries.length === 0) lines.push(t('ledger.empty'));
    await emitFrom(deps.queue, job, [notice(job.chatId, job.userId, lines.join('\n'))]);
  });

  return [history] as JobHandler[];
}
