import { assertAdmin } from '../admin/access.js';
import { adminEvent } from '../admin/events.js';
import { PoisonJobError } from '../errors.js';
import { translator } from '../i18n.js';
import { handle, type JobHandler } from '../jobs/consumer.js';
import { emitFrom } from '../jobs/emit.js';
import type { JobDraft, JobEnvelope, JobQueue } from '../jobs/envelope.js';
import { shortId } from '../jobs/short-id.js';
import { KeyServiceUnavailableError } from '../keys/errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { PayoutSettings } from '../settings.js';
import type { SolanaGateway } from '../solana/gateway.js';
import { TxSendJob } from '../solana/tx-send.js';
import { notice } from '../telegram/notice.js';
import { utcDay } from '../time.js';
import type { WalletBook } from '../wallet/book.js';
import { formatSol } from '../wallet/format.js';
import {
  PAYOUT_CALLBACK,
  PayoutDecideJob,
  PayoutPrepareJob,
  PayoutRequestJob,
  PayoutSettleJob,
  PayoutSignJob,
} from './jobs.js';
import type { AuditEntry, Payout, PayoutStore, TransitionChange, TransitionGuard } from './store.js';

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
  ledger: Pick<Ledger, 'debitForPayout' | 'refundPayout' | 'balance'>;
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
  /** The explorer page of a transaction. */
  explorerUrl: (signature: string) => string;
}

/** A blockhash older than this is not signed with (valid ~60–90 s; the send needs time to land). */
export const BLOCKHASH_MAX_AGE_MS = 45_000;

/** The payout of a request job: the same request (redelivered) always maps to the same payout. */
export const payoutIdOf = (requestJobId: string): string => shortId(requestJobId);

/** `YYYY-MM-DD` of a time, in UTC: the day a request counts against. */

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
    await deps.ledger.refundPayout(payout.userId, payout.id, payout.lamports);
  };

  /** Ends a payout as failed (cap released) and tells the user and the admins why. */
  async function fail(job: JobEnvelope, payout: Payout, guard: TransitionGuard, by: string, reason: string) {
    const failed = await change(job, payout.id, guard, { status: 'failed' }, audit(job, 'failed', by, reason));
    if (!failed) return;
    await release(failed);
    const t = translator(failed.lang);
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

  return { now, audit, change, tell, facts, release, fail, prepare };
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
    const t = translator(job.payload.lang);
    const say = (html: string) => emitFrom(deps.queue, job, [notice(chatId, userId, html)]);
    const lamports = BigInt(job.payload.lamports);
    const { wallet } = job.payload;
    if (lamports < BigInt(settings.minLamports) || lamports > BigInt(settings.maxLamports)) {
      const limits = { min: formatSol(BigInt(settings.minLamports)), max: formatSol(BigInt(settings.maxLamports)) };
      return say(t('withdraw.limits', limits));
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
      if ((await deps.ledger.debitForPayout(userId, id, lamports)) === 'insufficient') {
        await store.release({ userId, day, payoutId: id, lamports });
        return say(t('withdraw.insufficient', { balance: formatSol(await deps.ledger.balance(userId)) }));
      }
      const available = await treasuryLamports();
      if (!canPay(available, lamports)) {
        await store.release({ userId, day, payoutId: id, lamports });
        await deps.ledger.refundPayout(userId, id, lamports);
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
      const fresh = { id, userId, chatId, lang: job.payload.lang, wallet, lamports, day };
      ({ payout } = await store.create(fresh, flow.audit(job, 'requested', `user:${userId}`)));
    }
    log.info('payout.requested', { payoutId: id });
    await emitFrom(deps.queue, job, [
      flow.tell(payout, t('withdraw.requested', { id, sol: formatSol(lamports), wallet })),
      adminEvent({
        kind: 'withdrawal.requested',
        userId,
        facts: flow.facts(payout),
        actions: [
          { text: `✅ Approve ${id.slice(0, 6)}`, data: PAYOUT_CALLBACK.approve(id) },
          { text: `✖ Reject ${id.slice(0, 6)}`, data: PAYOUT_CALLBACK.reject(id) },
        ],
      }),
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

  return [request, prepare] as JobHandler[];
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
      // Decided already (double click, replayed button, another admin), or no such payout.
      log.info('payout.decision_ignored', { payoutId, approve });
      return;
    }
    const t = translator(next.lang);
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
    const t = translator(payout.lang);
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
      if (!paid) return;
      const link = deps.explorerUrl(signature);
      return emitFrom(deps.queue, job, [
        flow.tell(paid, t('withdraw.paid', { id: payoutId, sol: formatSol(paid.lamports), wallet: paid.wallet, link })),
        adminEvent({ kind: 'withdrawal.paid', userId: paid.userId, facts: flow.facts(paid, ['tx', link]) }),
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
