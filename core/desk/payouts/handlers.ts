import { PoisonJobError } from '../../platform/errors.js';
import {
  emitFrom,
  handle,
  type JobDraft,
  type JobEnvelope,
  type JobHandler,
  type JobQueue,
  sealJobs,
  shortId,
} from '../../platform/jobs/index.js';
import { KeyServiceUnavailableError } from '../../platform/keys/index.js';
import { explorerTxLink } from '../../platform/settings.js';
import { notice } from '../../platform/telegram/index.js';
import { utcDay } from '../../platform/time.js';
import { adminEvent, assertAdmin } from '../admin/index.js';
import { amountProblemText, withdrawLimits } from '../amounts.js';
import { jobTranslator } from '../i18n.js';
import type { Ledger } from '../ledger/index.js';
import type { PayoutSettings } from '../settings.js';
import type { SolanaGateway } from '../solana/index.js';
import { formatSol } from '../solana/index.js';
import type { WalletBook } from '../wallets/index.js';
import {
  PAYOUT_CALLBACK,
  PAYOUT_CANCEL,
  PayoutCancelJob,
  PayoutCooledJob,
  PayoutDecideJob,
  PayoutPrepareJob,
  PayoutRequestJob,
  PayoutSettleJob,
  PayoutSignJob,
} from './jobs.js';
import type { AuditEntry, Payout, PayoutStore, TransitionChange, TransitionGuard } from './store.js';
import { TxSendJob } from './tx-send.js';

/**
 * Signs payout transfers with the treasury key (KMS). The private key never leaves KMS: this
 * port only ever sees public keys, messages and signatures.
 */
export interface PayoutSigner {
  /** The treasury address, derived from the key's public key. */
  address(): Promise<string>;
  /** A transfer of `lamports` from the treasury to `to`, signed; `signature` is its transaction id. */
  signTransfer(input: {
    to: string;
    lamports: bigint;
    blockhash: string;
    lastValidBlockHeight: number;
    memo: string;
  }): Promise<{ bytes: Uint8Array; signature: string }>;
}

/** What both halves of the payout flow share. */
interface PayoutBase {
  store: PayoutStore;
  /** The users' internal balances: a payout is paid out of the user's balance. */
  ledger: Pick<Ledger, 'holdForPayout' | 'releaseHold' | 'settleHold' | 'holdOf' | 'balance'>;
  queue: JobQueue;
  settings: PayoutSettings;
  /** The configured treasury (deposit) address. */
  treasury: string;
  now?: () => number;
}

/** The rpc worker's half: the checks and reads that need the chain. */
export interface PayoutChainDeps extends PayoutBase {
  book: WalletBook;
  solana: Pick<SolanaGateway, 'getAccount' | 'getLatestBlockhash'>;
}

/** The signer's half: decisions, KMS signatures and outcomes (no RPC access at all). */
export interface PayoutSignerDeps extends PayoutBase {
  /** The admins (`ADMIN_USER_IDS`): a `payout.decide` by anyone else is poison. */
  admins: ReadonlySet<number>;
  signer: PayoutSigner;
  /** A transaction's explorer page, `{signature}` replaced (`EXPLORER_TX_URL`); no link when absent. */
  explorerTxUrl: string | undefined;
}

/** A blockhash older than this is not signed with (valid ~60–90 s; the send needs time to land). */
export const BLOCKHASH_MAX_AGE_MS = 45_000;

/** The payout of a request job: the same request (redelivered) always maps to the same payout. */
export const payoutIdOf = (requestJobId: string): string => shortId(requestJobId);

/**
 * Whether the payout's latest change was made by this job, so a redelivery resumes after it. (Only
 * the latest: a payout can come back to a status, e.g. `approved` after an expired attempt, and an
 * old decision redelivered then must not act again.)
 */
const madeBy = (payout: Payout, job: JobEnvelope): boolean => payout.history.at(-1)?.job === job.id;

/** What both halves do alike: audited changes, messages, failing a payout. */
function payoutFlow(deps: PayoutBase) {
  const now = deps.now ?? Date.now;
  const { store } = deps;

  const audit = (job: JobEnvelope, status: AuditEntry['status'], by: string, note?: string): AuditEntry => ({
    at: now(),
    status,
    by,
    job: job.id,
    ...(note === undefined ? {} : { note }),
  });

  /** Applies a change, or finds it already applied by this job (a redelivery): the payout after it either way. */
  async function change(
    job: JobEnvelope,
    id: string,
    guard: TransitionGuard,
    next: TransitionChange,
    entry: AuditEntry,
  ): Promise<Payout | undefined> {
    const applied = await store.transition(id, guard, next, entry);
    if (applied) return applied;
    const current = await store.get(id);
    return current && madeBy(current, job) && current.status === next.status ? current : undefined;
  }

  const tell = (payout: Payout, html: string): JobDraft => notice(payout.chatId, payout.userId, html);

  const facts = (payout: Payout, ...more: [string, string][]): [string, string][] => [
    ['payout', payout.id],
    ['user', String(payout.userId)],
    ['amount', `${formatSol(payout.lamports)} SOL`],
    ['wallet', payout.wallet],
    ...more,
  ];

  /** A payout that will not be paid gives back what it held: the day's cap and the user's balance. */
  const release = async (payout: Payout) => {
    await store.release({ userId: payout.userId, day: payout.day, payoutId: payout.id, lamports: payout.lamports });
    await deps.ledger.releaseHold(payout.id);
  };

  /** Ends a payout as failed (cap released) and tells the user and the admins why. */
  async function fail(job: JobEnvelope, payout: Payout, guard: TransitionGuard, by: string, reason: string) {
    const failed = await change(job, payout.id, guard, { status: 'failed' }, audit(job, 'failed', by, reason));
    if (!failed) return;
    await release(failed);
    const t = jobTranslator(failed.lang);
    await emitFrom(deps.queue, job, [
      tell(failed, t('withdraw.failed', { id: failed.id, sol: formatSol(failed.lamports) })),
      adminEvent({ kind: 'withdrawal.failed', userId: failed.userId, facts: facts(failed, ['reason', reason]) }),
    ]);
  }

  const prepare = (payout: Payout): JobDraft => ({
    job: PayoutPrepareJob,
    payload: { payoutId: payout.id },
    chatId: null,
    userId: payout.userId,
  });

  /** A requested payout: the user is told it waits for the admins, who get its buttons. */
  const announce = (payout: Payout): JobDraft[] => [
    tell(
      payout,
      jobTranslator(payout.lang)('withdraw.requested', {
        id: payout.id,
        sol: formatSol(payout.lamports),
        wallet: payout.wallet,
      }),
    ),
    adminEvent({
      kind: 'withdrawal.requested',
      userId: payout.userId,
      facts: facts(payout),
      actions: [
        { text: `✅ Approve ${payout.id.slice(0, 6)}`, data: PAYOUT_CALLBACK.approve(payout.id) },
        { text: `✖ Reject ${payout.id.slice(0, 6)}`, data: PAYOUT_CALLBACK.reject(payout.id) },
      ],
    }),
  ];

  return { now, audit, change, tell, facts, release, fail, prepare, announce };
}

/**
 * The rpc worker's payout use cases (they need the chain):
 *
 * - `payout.request`: checks the wallet is one the user verified, the amount limits, the daily cap
 *   (reserved per payout id, so a redelivery does not count twice) and the treasury balance;
 *   creates the payout (its id derived from the job) and asks the admins, with approve/reject buttons.
 * - `payout.prepare`: for an approved payout, checks the treasury can pay it and fetches a recent
 *   blockhash for the signer; a treasury too low fails the payout (nothing was signed).
 */
export function payoutChainHandlers(deps: PayoutChainDeps): JobHandler[] {
  const { settings, store } = deps;
  const flow = payoutFlow(deps);

  const treasuryLamports = async () => (await deps.solana.getAccount(deps.treasury))?.lamports ?? 0n;
  const canPay = (available: bigint, lamports: bigint) => available >= lamports + BigInt(settings.feeReserveLamports);

  const request = handle(PayoutRequestJob, async (job, log) => {
    const { userId, chatId } = job;
    if (userId === null || chatId === null) throw new PoisonJobError('payout.no_user', 'a payout request needs a user');
    const t = jobTranslator(job.payload.lang);
    const say = (html: string) => emitFrom(deps.queue, job, [notice(chatId, userId, html)]);
    const lamports = BigInt(job.payload.lamports);
    const { wallet } = job.payload;
    // The limits may have changed since the webhook checked them.
    const limits = withdrawLimits(settings);
    if (lamports < limits.minLamports || lamports > limits.maxLamports) {
      const problem = lamports < limits.minLamports ? 'too_small' : 'too_large';
      return say(amountProblemText(t, problem, formatSol(lamports), limits));
    }
    if (!(await deps.book.has(userId, wallet))) return say(t('withdraw.unverified', { wallet }));

    const id = payoutIdOf(job.id);
    let payout = await store.get(id);
    if (!payout) {
      // The day the user asked, not the day a redelivery runs.
      const day = utcDay(Date.parse(job.createdAt));
      const cap = BigInt(settings.dailyCapLamports);
      const reserved = await store.reserve({ userId, day, payoutId: id, lamports, capLamports: cap });
      if (!reserved.ok)
        return say(t('withdraw.cap', { left: formatSol(cap > reserved.used ? cap - reserved.used : 0n) }));
      const hold = await deps.ledger.holdForPayout(userId, id, lamports);
      if (hold === 'insufficient') {
        await store.release({ userId, day, payoutId: id, lamports });
        return say(t('withdraw.insufficient', { balance: formatSol(await deps.ledger.balance(userId)) }));
      }
      if (hold !== 'held') {
        // A redelivery of a request that was refused after its hold was made (the hold was given
        // back, the cap too): it stays refused. Its notices carry the same ids, so none repeats.
        await store.release({ userId, day, payoutId: id, lamports });
        log.info('payout.request_ended', { payoutId: id, hold });
        return say(t('withdraw.unavailable'));
      }
      const available = await treasuryLamports();
      if (!canPay(available, lamports)) {
        await store.release({ userId, day, payoutId: id, lamports });
        await deps.ledger.releaseHold(id);
        log.warn('payout.treasury_low', { payoutId: id });
        return emitFrom(deps.queue, job, [
          notice(chatId, userId, t('withdraw.unavailable')),
          adminEvent({
            kind: 'error',
            userId,
            facts: [
              ['problem', 'treasury too low for a withdrawal'],
              ['treasury', `${formatSol(available)} SOL`],
              ['asked', `${formatSol(lamports)} SOL`],
            ],
          }),
        ]);
      }
      // A first payout to this destination waits out the cooling-off period, which the user can cancel.
      const cooling = settings.coolingSeconds > 0 && !(await store.paidBefore(userId, wallet));
      const fresh = {
        id,
        userId,
        chatId,
        lang: job.payload.lang,
        wallet,
        lamports,
        day,
        ...(cooling
          ? { status: 'cooling' as const, releaseAt: Date.parse(job.createdAt) + settings.coolingSeconds * 1000 }
          : {}),
      };
      ({ payout } = await store.create(fresh, flow.audit(job, cooling ? 'cooling' : 'requested', `user:${userId}`)));
    }
    // Only the request that made the payout speaks for it (a late redelivery after it moved on says nothing).
    if (payout.history[0]?.job !== job.id || payout.history.length > 1) return;
    log.info('payout.requested', { payoutId: id, status: payout.status });
    if (payout.status === 'requested') return emitFrom(deps.queue, job, flow.announce(payout));
    const until = new Date(payout.releaseAt ?? 0).toISOString().slice(0, 16).replace('T', ' ');
    await emitFrom(deps.queue, job, [
      notice(chatId, userId, t('withdraw.cooling', { id, sol: formatSol(lamports), wallet, until }), [
        { text: t('withdraw.cancel_payout', { id }), data: PAYOUT_CANCEL.data(id) },
      ]),
      coolingCheck(payout, 0, flow.now()),
    ]);
  });

  /** The job that looks again when a cooling payout's period should be over (delayed up to 15 minutes per hop). */
  const coolingCheck = (payout: Payout, hop: number, now: number): JobDraft => ({
    job: PayoutCooledJob,
    payload: { payoutId: payout.id, hop },
    chatId: null,
    userId: payout.userId,
    delaySeconds: Math.max(0, ((payout.releaseAt ?? now) - now) / 1000),
  });

  const cooled = handle(PayoutCooledJob, async (job, log) => {
    const { payoutId, hop } = job.payload;
    const payout = await store.get(payoutId);
    if (!payout) throw new PoisonJobError('payout.unknown', `no payout ${payoutId}`);
    if (payout.status !== 'cooling') return;
    const now = flow.now();
    if ((payout.releaseAt ?? 0) > now) {
      // Not yet: another hop, with an id of its own (a chain of derived ids would outgrow 128 characters).
      const next = coolingCheck(payout, hop + 1, now);
      return deps.queue.send(
        sealJobs([next], {
          idPrefix: `cool-${payoutId}-${hop + 1}`,
          traceId: job.traceId,
          tenant: job.tenant,
          now: new Date(now),
        }),
      );
    }
    const requested = await flow.change(
      job,
      payoutId,
      { status: 'cooling' },
      { status: 'requested' },
      flow.audit(job, 'requested', 'clock', 'cooling-off period over'),
    );
    if (!requested) return;
    log.info('payout.cooled', { payoutId });
    await emitFrom(deps.queue, job, flow.announce(requested));
  });

  const cancel = handle(PayoutCancelJob, async (job, log) => {
    const { payoutId } = job.payload;
    const payout = await store.get(payoutId);
    // Someone else's payout id in a button: nothing happens, and the job is kept aside for a look.
    if (!payout || job.userId === null || payout.userId !== job.userId) {
      throw new PoisonJobError('payout.not_yours', `payout ${payoutId} is not the user's`);
    }
    const t = jobTranslator(payout.lang);
    const cancellable = payout.status === 'cooling' || payout.status === 'requested';
    const cancelled = cancellable
      ? await flow.change(
          job,
          payoutId,
          { status: payout.status },
          { status: 'cancelled' },
          flow.audit(job, 'cancelled', `user:${job.userId}`),
        )
      : payout.status === 'cancelled' && madeBy(payout, job)
        ? payout
        : undefined;
    if (!cancelled) {
      const current = (await store.get(payoutId)) ?? payout;
      log.info('payout.cancel_refused', { payoutId, status: current.status });
      return emitFrom(deps.queue, job, [
        flow.tell(
          current,
          t('withdraw.not_cancellable', { id: payoutId, status: t(`payout.status.${current.status}`) }),
        ),
      ]);
    }
    await flow.release(cancelled);
    await emitFrom(deps.queue, job, [
      flow.tell(cancelled, t('withdraw.cancelled', { id: payoutId, sol: formatSol(cancelled.lamports) })),
      adminEvent({ kind: 'withdrawal.cancelled', userId: cancelled.userId, facts: flow.facts(cancelled) }),
    ]);
  });

  const prepare = handle(PayoutPrepareJob, async (job) => {
    const payout = await store.get(job.payload.payoutId);
    if (!payout) throw new PoisonJobError('payout.unknown', `no payout ${job.payload.payoutId}`);
    if (payout.status !== 'approved') return;
    const guard: TransitionGuard = { status: 'approved', attempt: payout.attempt };
    if (!canPay(await treasuryLamports(), payout.lamports)) {
      return flow.fail(job, payout, guard, 'chain', 'treasury balance too low');
    }
    const { blockhash, lastValidBlockHeight } = await deps.solana.getLatestBlockhash();
    await emitFrom(deps.queue, job, [
      {
        job: PayoutSignJob,
        payload: { payoutId: payout.id, attempt: payout.attempt, blockhash, lastValidBlockHeight },
        chatId: null,
        userId: payout.userId,
      },
    ]);
  });

  return [request, cooled, cancel, prepare] as JobHandler[];
}

/**
 * The signer's payout use cases (KMS, no RPC):
 *
 * - `payout.decide`: the first decision wins (a conditional write on `requested`); a double click,
 *   a replayed button or a second admin changes nothing. Rejection releases the cap.
 * - `payout.sign`: signs the transfer through KMS with the prepared blockhash and records it
 *   (signature, bytes, `lastValidBlockHeight`) before handing it to `tx.send`; a racing or
 *   redelivered sign finds the record and sends the same bytes. KMS down: nothing is recorded, the
 *   payout stays approved and the job comes back. A blockhash grown too old while KMS was away is
 *   not used: the payout is prepared again.
 * - `payout.settle`: the chain's outcome. Confirmed → paid. Failed on chain → failed, cap released.
 *   Expired unlanded (it can never land now) → prepared and signed anew, up to `maxAttempts`.
 *
 * So a payout moves lamports at most once: one transaction per attempt is recorded and sent, and
 * a new attempt starts only once the previous transaction can no longer land.
 */
export function payoutSignerHandlers(deps: PayoutSignerDeps): JobHandler[] {
  const { settings, store } = deps;
  const flow = payoutFlow(deps);
  let treasuryChecked = false;

  /** Paying from a key other than the deposit address would drain the wrong wallet: refuse. */
  async function checkTreasury(): Promise<void> {
    if (treasuryChecked) return;
    if ((await deps.signer.address()) !== deps.treasury) {
      throw new PoisonJobError('payout.treasury_mismatch', 'the treasury key does not match TREASURY_ADDRESS');
    }
    treasuryChecked = true;
  }

  const send = (job: JobEnvelope, payout: Payout) =>
    emitFrom(deps.queue, job, [
      {
        job: TxSendJob,
        payload: {
          transaction: payout.tx!.transaction,
          lastValidBlockHeight: payout.tx!.lastValidBlockHeight,
          payoutId: payout.id,
        },
        chatId: null,
        userId: payout.userId,
      },
    ]);

  const decide = handle(PayoutDecideJob, async (job, log) => {
    assertAdmin(deps.admins, job);
    const { payoutId, approve, adminId, adminName } = job.payload;
    const by = `admin:${adminId}`;
    const requested: TransitionGuard = { status: 'requested' };
    const next = approve
      ? await flow.change(job, payoutId, requested, { status: 'approved', attempt: 1 }, flow.audit(job, 'approved', by))
      : await flow.change(job, payoutId, requested, { status: 'rejected' }, flow.audit(job, 'rejected', by));
    if (!next) {
      // Decided already (double click, replayed button, another admin), cooling off, or no such
      // payout: the admin chat hears what really is, not what was asked.
      const current = await store.get(payoutId);
      log.info('payout.decision_ignored', { payoutId, approve, status: current?.status ?? 'none' });
      if (job.chatId === null) return;
      const decided = current?.history.findLast((e) => e.by.startsWith('admin:'));
      const state = !current
        ? 'no such payout'
        : `already ${current.status}${decided ? ` (decided by ${decided.by})` : ''}`;
      return emitFrom(deps.queue, job, [
        notice(job.chatId, job.userId, `Payout <code>${payoutId}</code>: ${state}. Your press changed nothing.`),
      ]);
    }
    const t = jobTranslator(next.lang);
    if (!approve) await flow.release(next);
    await emitFrom(deps.queue, job, [
      ...(approve ? [flow.prepare(next)] : []),
      flow.tell(
        next,
        t(approve ? 'withdraw.approved' : 'withdraw.rejected', { id: payoutId, sol: formatSol(next.lamports) }),
      ),
      adminEvent({
        kind: approve ? 'withdrawal.approved' : 'withdrawal.rejected',
        userId: next.userId,
        facts: flow.facts(next, ['by', adminName || String(adminId)]),
      }),
    ]);
  });

  const sign = handle(PayoutSignJob, async (job, log) => {
    const { payoutId, attempt, blockhash, lastValidBlockHeight } = job.payload;
    const payout = await store.get(payoutId);
    if (!payout) throw new PoisonJobError('payout.unknown', `no payout ${payoutId}`);
    if (payout.status === 'sent' && payout.tx && payout.attempt === attempt) return send(job, payout);
    if (payout.status !== 'approved' || payout.attempt !== attempt) return;
    // Money leaves the treasury only against a hold that is still held.
    const hold = await deps.ledger.holdOf(payoutId);
    if (hold?.status !== 'held' || hold.lamports !== payout.lamports || hold.userId !== payout.userId) {
      log.error('payout.hold_missing', { payoutId, hold: hold?.status ?? 'none' });
      return flow.fail(job, payout, { status: 'approved', attempt }, 'signer', 'no hold for this payout');
    }
    let signed: { bytes: Uint8Array; signature: string };
    try {
      await checkTreasury();
      signed = await deps.signer.signTransfer({
        to: payout.wallet,
        lamports: payout.lamports,
        blockhash,
        lastValidBlockHeight,
        memo: `payout ${payoutId}`,
      });
    } catch (error) {
      // Nothing is recorded or sent: the payout stays approved and this job comes back soon.
      if (error instanceof KeyServiceUnavailableError && error.retryAfterSeconds === undefined) {
        throw new KeyServiceUnavailableError(error.message, {
          cause: error,
          retryAfterSeconds: settings.keyRetrySeconds,
        });
      }
      throw error;
    }
    if (flow.now() - Date.parse(job.createdAt) > BLOCKHASH_MAX_AGE_MS) {
      // KMS was away long enough for the blockhash to go stale: this signature is dropped unsent.
      // (Checked after signing, not before: during an outage the job is retried as it is, rather
      // than re-prepared again and again.)
      log.info('payout.blockhash_stale', { payoutId, attempt });
      return emitFrom(deps.queue, job, [flow.prepare(payout)]);
    }
    const tx = {
      signature: signed.signature,
      transaction: Buffer.from(signed.bytes).toString('base64'),
      lastValidBlockHeight,
    };
    const recorded = await store.transition(
      payoutId,
      { status: 'approved', attempt },
      { status: 'sent', tx },
      flow.audit(job, 'sent', 'signer', tx.signature),
    );
    // Lost a race to another sign of this attempt: what it recorded is what goes out (this signature never will).
    const winner = recorded ?? (await store.get(payoutId));
    if (winner?.status === 'sent' && winner.tx && winner.attempt === attempt) {
      log.info('payout.sent', { payoutId, signature: winner.tx.signature, attempt });
      await send(job, winner);
    }
  });

  const settle = handle(PayoutSettleJob, async (job, log) => {
    const { payoutId, signature, outcome } = job.payload;
    const payout = await store.get(payoutId);
    if (!payout) throw new PoisonJobError('payout.unknown', `no payout ${payoutId}`);
    const t = jobTranslator(payout.lang);
    const guard: TransitionGuard = { status: 'sent', signature };
    log.info('payout.outcome', { payoutId, signature, outcome, attempt: payout.attempt });
    if (outcome === 'confirmed') {
      const paid = await flow.change(
        job,
        payoutId,
        guard,
        { status: 'paid' },
        flow.audit(job, 'paid', 'chain', signature),
      );
      // The hold is settled whichever job recorded the payment (a redelivery finishes a crashed one).
      const current = paid ?? (await store.get(payoutId));
      if (current?.status === 'paid') {
        await store.rememberPaid(current.userId, current.wallet);
        const hold = await deps.ledger.settleHold(payoutId);
        if (hold !== 'settled') log.error('payout.settle_unheld', { payoutId, hold });
      }
      if (!paid) return;
      const link = explorerTxLink(deps.explorerTxUrl, signature);
      const paidText = t('withdraw.paid', { id: payoutId, sol: formatSol(paid.lamports), wallet: paid.wallet });
      return emitFrom(deps.queue, job, [
        flow.tell(paid, link === undefined ? paidText : `${paidText}\n${t('withdraw.paid_link', { link })}`),
        adminEvent({
          kind: 'withdrawal.paid',
          userId: paid.userId,
          facts: flow.facts(paid, ['tx', link ?? signature]),
        }),
      ]);
    }
    if (outcome === 'failed')
      return flow.fail(job, payout, guard, 'chain', `transaction failed on chain: ${signature}`);
    // Expired: the blockhash passed without the transaction landing, so it never can: sign anew.
    if (payout.attempt >= settings.maxAttempts) {
      return flow.fail(job, payout, guard, 'chain', `expired ${payout.attempt} time(s) without landing`);
    }
    const retried = await flow.change(
      job,
      payoutId,
      guard,
      { status: 'approved', attempt: payout.attempt + 1, tx: null },
      flow.audit(job, 'approved', 'chain', `expired ${signature}`),
    );
    if (retried) await emitFrom(deps.queue, job, [flow.prepare(retried)]);
  });

  return [decide, sign, settle] as JobHandler[];
}
