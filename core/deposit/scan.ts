import * as z from 'zod/mini';
import { adminEvent } from '../admin/events.js';
import { LANGUAGES, translator } from '../i18n.js';
import { handle } from '../jobs/consumer.js';
import { emitFrom } from '../jobs/emit.js';
import { defineJob, type JobDraft, type JobQueue } from '../jobs/envelope.js';
import { DEPOSIT_CALLBACK } from '../ledger/jobs.js';
import { checkAddress } from '../solana/address.js';
import { isOnCurve } from '../solana/curve.js';
import type { SignatureInfo, SolanaGateway } from '../solana/gateway.js';
import { notice } from '../telegram/notice.js';
import { formatSol } from '../wallet/format.js';
import { type Deposit, type DepositStore, depositIdOf } from './store.js';

/** "I've deposited": look for new SOL transfers from the user's linked wallet to the treasury. */
export const DepositScanJob = defineJob(
  'deposit.scan',
  'rpc',
  z.object({ wallet: z.string().check(z.minLength(32), z.maxLength(44)), lang: z.enum(LANGUAGES) }),
);

export interface DepositScanDeps {
  solana: SolanaGateway;
  deposits: DepositStore;
  queue: JobQueue;
  /** The treasury deposit address (from config). */
  treasury: string;
  /** Signatures read per page (getSignaturesForAddress allows up to 1,000). */
  pageSize?: number;
  /** Pages read per job; a longer backlog continues on the next scan. */
  maxPages?: number;
}

/**
 * The deposit in a transaction, if it is one: it succeeded, the wallet signed it, the wallet
 * lost lamports and the treasury gained them. The amount is what the treasury received.
 */
export function depositIn(
  movements: { failed: boolean; deltas: Record<string, bigint>; signers: string[] },
  wallet: string,
  treasury: string,
): bigint | undefined {
  if (movements.failed || !movements.signers.includes(wallet)) return undefined;
  const received = movements.deltas[treasury] ?? 0n;
  const sent = movements.deltas[wallet] ?? 0n;
  return received > 0n && sent < 0n ? received : undefined;
}

/**
 * `deposit.scan`: pages the wallet's signatures newest first down to the last scanned one,
 * reads each successful transaction, records every deposit exactly once (keyed by signature),
 * then moves the cursor. New deposits go to the admin channel; the user hears what was found.
 */
export function depositScanHandler(deps: DepositScanDeps) {
  const pageSize = deps.pageSize ?? 100;
  const maxPages = deps.maxPages ?? 10;
  return handle(DepositScanJob, async (job, log) => {
    const { wallet, lang } = job.payload;
    const check = checkAddress(wallet);
    const problem = check.ok ? (isOnCurve(check.bytes) ? undefined : 'off_curve') : check.problem;
    if (problem) {
      // A wallet is expected: something no one can sign for cannot have sent a deposit.
      if (job.chatId !== null)
        await emitFrom(deps.queue, job, [notice(job.chatId, job.userId, translator(lang)(`address.${problem}`))]);
      return;
    }
    const until = await deps.deposits.cursor(wallet);
    const seen: SignatureInfo[] = [];
    let before: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const batch = await deps.solana.getSignatures(wallet, {
        limit: pageSize,
        ...(until ? { until } : {}),
        ...(before ? { before } : {}),
      });
      seen.push(...batch);
      if (batch.length < pageSize) break;
      before = batch.at(-1)!.signature;
      if (page === maxPages - 1) log.warn('deposit.backlog', { wallet, scanned: seen.length });
    }
    const found: Deposit[] = [];
    // Oldest first, so the cursor could advance safely even if a later read failed.
    for (const info of seen.filter((s) => !s.failed).reverse()) {
      const movements = await deps.solana.getTransfer(info.signature);
      if (!movements) continue;
      const lamports = depositIn(movements, wallet, deps.treasury);
      if (lamports === undefined) continue;
      const deposit: Deposit = {
        signature: info.signature,
        userId: job.userId ?? 0,
        wallet,
        lamports,
        slot: info.slot,
        blockTime: info.blockTime,
        lang,
      };
      if (await deps.deposits.record(deposit)) found.push(deposit);
    }
    const newest = seen[0]?.signature;
    if (newest) await deps.deposits.setCursor(wallet, newest);

    const drafts: JobDraft[] = found.map((d) =>
      adminEvent({
        kind: 'deposit.found',
        userId: job.userId,
        facts: [
          ['user', String(d.userId)],
          ['wallet', d.wallet],
          ['amount', `${formatSol(d.lamports)} SOL`],
          ['signature', d.signature],
        ],
        actions: [
          {
            text: `✅ Confirm ${depositIdOf(d.signature).slice(0, 6)}`,
            data: DEPOSIT_CALLBACK.confirm(depositIdOf(d.signature)),
          },
          {
            text: `✖ Reject ${depositIdOf(d.signature).slice(0, 6)}`,
            data: DEPOSIT_CALLBACK.reject(depositIdOf(d.signature)),
          },
        ],
      }),
    );
    if (job.chatId !== null) {
      const t = translator(lang);
      const total = found.reduce((sum, d) => sum + d.lamports, 0n);
      const text =
        found.length > 0
          ? t('deposit.found', { count: found.length, sol: formatSol(total) })
          : t('deposit.none', { treasury: deps.treasury });
      drafts.push(notice(job.chatId, job.userId, text));
    }
    await emitFrom(deps.queue, job, drafts);
    log.info('deposit.scanned', { signatures: seen.length, deposits: found.length });
  });
}
