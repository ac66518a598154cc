import { PoisonJobError, TransientError } from '../../platform/errors.js';
import type { JobDraft, JobEnvelope, JobQueue } from '../../platform/jobs/index.js';
import { emitFrom, handle, type JobHandler } from '../../platform/jobs/index.js';
import { qrPng } from '../../platform/qr/index.js';
import { notice, TelegramSendJob } from '../../platform/telegram/index.js';
import type { UserDirectory } from '../../platform/users/index.js';
import { adminEvent, assertAdmin } from '../admin/index.js';
import { jobTranslator } from '../i18n.js';
import type { DepositSettings } from '../settings.js';
import type { SolanaGateway, TransactionMovements } from '../solana/index.js';
import { formatSol, shortAddress } from '../solana/index.js';
import { transferRequestUrl } from './claims.js';
import {
  DEPOSIT_CALLBACK,
  DepositCheckJob,
  DepositCreditJob,
  DepositDecideJob,
  DepositPollJob,
  DepositRequestJob,
} from './jobs.js';
import {
  type DepositClaim,
  type DepositDecision,
  type DepositRecord,
  type DepositStore,
  depositIdOf,
  type UnattributedReason,
} from './store.js';

export interface DepositDeps {
  solana: SolanaGateway;
  deposits: DepositStore;
  queue: JobQueue;
  /** The treasury (TREASURY_ADDRESS): the only recipient a deposit can have. */
  treasury: string;
  settings: DepositSettings;
  /** Signatures read per page (getSignaturesForAddress allows up to 1,000). */
  pageSize?: number;
  /** Pages of the treasury's signatures one poll reads; a longer backlog continues at the next poll. */
  maxPages?: number;
  now?: () => number;
}

/**
 * What a finalized transaction pays the treasury, and to whom, if anything: it succeeded, the
 * treasury's balance went up (post − pre > 0), and the owners of the claims among its account
 * keys decide who it belongs to. One owner: theirs (whoever signed: paying someone else's request
 * is not theft). None: unattributed. Two or more: ambiguous, unattributed too.
 */
export function attribute(
  movements: Pick<TransactionMovements, 'failed' | 'deltas' | 'accountKeys'>,
  treasury: string,
  claims: readonly DepositClaim[],
):
  | { kind: 'none' }
  | { kind: 'owned'; lamports: bigint; claim: DepositClaim }
  | { kind: 'unattributed'; lamports: bigint; reason: UnattributedReason } {
  if (movements.failed) return { kind: 'none' };
  const lamports = movements.deltas[treasury] ?? 0n;
  if (lamports <= 0n) return { kind: 'none' };
  const keys = new Set(movements.accountKeys);
  const present = claims.filter((c) => keys.has(c.reference) && c.reference !== treasury);
  const owners = new Set(present.map((c) => c.userId));
  if (owners.size === 1) return { kind: 'owned', lamports, claim: present[0]! };
  return { kind: 'unattributed', lamports, reason: owners.size === 0 ? 'no_reference' : 'ambiguous' };
}

/** What settling one signature did (for the messages that follow). */
type Settled =
  | { kind: 'nothing' }
  | { kind: 'not_final' }
  | { kind: 'pending'; deposit: DepositRecord }
  | { kind: 'credited'; decision: Extract<DepositDecision, { outcome: 'credited' }> }
  | { kind: 'unattributed'; deposit: DepositRecord };

const confirmButtons = (signature: string) => {
  const id = depositIdOf(signature);
  return [
    { text: `✅ Confirm ${id.slice(0, 6)}`, data: DEPOSIT_CALLBACK.confirm(id) },
    { text: `✖ Reject ${id.slice(0, 6)}`, data: DEPOSIT_CALLBACK.reject(id) },
  ];
};

/** The messages a settled signature calls for: the owner's notice and the admins' event. */
function messagesOf(settled: Settled): JobDraft[] {
  switch (settled.kind) {
    case 'pending': {
      const d = settled.deposit;
      const t = jobTranslator(d.lang);
      return [
        notice(d.userId!, d.userId, t('deposit.pending', { sol: formatSol(d.lamports) })),
        adminEvent({
          kind: 'deposit.found',
          userId: d.userId,
          facts: [
            ['user', String(d.userId)],
            ['amount', `${formatSol(d.lamports)} SOL`],
            ['reference', shortAddress(d.reference ?? '')],
            ['signature', d.signature],
          ],
          actions: confirmButtons(d.signature),
        }),
      ];
    }
    case 'credited':
      return creditMessages(settled.decision, 'auto');
    case 'unattributed': {
      const d = settled.deposit;
      return [
        adminEvent({
          kind: 'deposit.unattributed',
          userId: null,
          facts: [
            ['amount', `${formatSol(d.lamports)} SOL`],
            ['reason', d.reason === 'ambiguous' ? 'references of several users' : 'no known reference'],
            ['signature', d.signature],
            ['credit with', `/credit ${depositIdOf(d.signature)} <user id>`],
          ],
        }),
      ];
    }
    default:
      return [];
  }
}

/** The owner's "credited" notice and the admins' event, for a credit by `by`. */
function creditMessages(decision: Extract<DepositDecision, { outcome: 'credited' }>, by: string): JobDraft[] {
  const { deposit, balance } = decision;
  const user = jobTranslator(deposit.lang);
  return [
    notice(
      deposit.userId!,
      deposit.userId,
      user('deposit.credited', { sol: formatSol(deposit.lamports), balance: formatSol(balance) }),
    ),
    adminEvent({
      kind: 'deposit.confirmed',
      userId: deposit.userId,
      facts: [
        ['user', String(deposit.userId)],
        ['amount', `${formatSol(deposit.lamports)} SOL`],
        ['signature', deposit.signature],
        ['by', by],
      ],
    }),
  ];
}

/**
 * Settles one signature, once, whoever calls and however often: reads the transaction at
 * `finalized` (not finalized yet: nothing happens, a later check will see it), attributes it by
 * the claims among its account keys, records it keyed by signature, and credits it at once when
 * it is an owned deposit of at most `autoCreditLamports` (a pending one found again, after a crash
 * between recording and crediting, is credited then).
 */
async function settle(deps: DepositDeps, signature: string, slot: number, blockTime: number | null): Promise<Settled> {
  const auto = BigInt(deps.settings.autoCreditLamports);
  const known = await deps.deposits.get(signature);
  if (known && known.status !== 'pending') return { kind: 'nothing' };
  let deposit = known;
  let created = false;
  if (!deposit) {
    const movements = await deps.solana.getTransfer(signature, { commitment: 'finalized' });
    if (!movements) return { kind: 'not_final' };
    const candidates = movements.accountKeys.filter((k) => k !== deps.treasury);
    const claims: DepositClaim[] = [];
    for (let i = 0; i < candidates.length; i += 100) {
      claims.push(...(await deps.deposits.claims(candidates.slice(i, i + 100))));
    }
    const found = attribute(movements, deps.treasury, claims);
    if (found.kind === 'none') return { kind: 'nothing' };
    const recorded = await deps.deposits.record({
      signature,
      lamports: found.lamports,
      slot,
      blockTime,
      ...(found.kind === 'owned' ? { claim: found.claim } : { reason: found.reason }),
    });
    deposit = recorded.deposit;
    created = recorded.created;
    if (deposit.status === 'unattributed') return created ? { kind: 'unattributed', deposit } : { kind: 'nothing' };
  }
  if (deposit.status !== 'pending') return { kind: 'nothing' };
  if (deposit.lamports <= auto) {
    const decision = await deps.deposits.decide(signature, { action: 'confirm', by: 'auto' });
    return decision.outcome === 'credited' ? { kind: 'credited', decision } : { kind: 'nothing' };
  }
  return created ? { kind: 'pending', deposit } : { kind: 'nothing' };
}

/** Settles every successful signature of `address` at `finalized`, oldest first; what each did. */
async function settleAll(
  deps: DepositDeps,
  address: string,
  until?: string,
): Promise<{ settled: Settled[]; newest?: string }> {
  const pageSize = deps.pageSize ?? 100;
  const maxPages = deps.maxPages ?? 5;
  const infos = [];
  let before: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const batch = await deps.solana.getSignatures(address, {
      limit: pageSize,
      commitment: 'finalized',
      ...(until ? { until } : {}),
      ...(before ? { before } : {}),
    });
    infos.push(...batch);
    if (batch.length < pageSize) break;
    before = batch.at(-1)!.signature;
  }
  const settled: Settled[] = [];
  for (const info of [...infos].reverse()) {
    if (info.failed) continue;
    settled.push(await settle(deps, info.signature, info.slot, info.blockTime));
  }
  return { settled, ...(infos[0] ? { newest: infos[0].signature } : {}) };
}

/**
 * The deposit jobs (rpc worker):
 * - `deposit.request`: stores the claim, then shows the transfer request (stored before shown);
 * - `deposit.check`: settles the finalized payments carrying one claim's reference;
 * - `deposit.poll` (scheduled): a check per open claim, and the treasury's new signatures, where
 *   payments with no known reference are recorded once as unattributed for the admins;
 *
 * The admins' decisions are in `depositDecisionHandlers`.
 */
export function depositHandlers(deps: DepositDeps): JobHandler[] {
  const now = deps.now ?? Date.now;

  const request = handle(DepositRequestJob, async (job) => {
    const { reference, lamports, lang } = job.payload;
    if (job.userId === null || job.chatId === null) throw new PoisonJobError('deposit.no_user', 'a claim needs a user');
    const createdAt = Date.parse(job.createdAt) || now();
    await deps.deposits.putClaim({
      reference,
      userId: job.userId,
      lang,
      lamports: lamports === null ? null : BigInt(lamports),
      createdAt,
      expiresAt: createdAt + deps.settings.claimHours * 3_600_000,
    });
    const t = jobTranslator(lang);
    const url = transferRequestUrl({
      recipient: deps.treasury,
      reference,
      ...(lamports === null ? {} : { lamports: BigInt(lamports) }),
      label: 'Solana wallet desk',
      message: `Deposit ${reference.slice(0, 8)}`,
    });
    const amount = lamports === null ? t('deposit.any_amount') : `${formatSol(lamports)} SOL`;
    const short = shortAddress(reference);
    const text = t('deposit.request', { amount, url, short, hours: deps.settings.claimHours });
    await emitFrom(deps.queue, job, [
      {
        job: TelegramSendJob,
        payload: {
          calls: [
            // The request as a QR code for a phone's wallet, then as text with the button.
            {
              method: 'sendPhoto',
              params: { chat_id: job.chatId, caption: t('deposit.qr_caption', { amount, short }) },
              files: {
                photo: {
                  filename: `deposit-${reference.slice(0, 8)}.png`,
                  contentType: 'image/png',
                  base64: Buffer.from(qrPng(url)).toString('base64'),
                },
              },
            },
            {
              method: 'sendMessage',
              params: {
                chat_id: job.chatId,
                text,
                parse_mode: 'HTML',
                reply_markup: {
                  inline_keyboard: [
                    [{ text: t('deposit.paid_button'), callback_data: DEPOSIT_CALLBACK.paid(reference) }],
                  ],
                },
              },
            },
          ],
        },
        chatId: job.chatId,
        userId: job.userId,
      },
    ]);
  });

  const check = handle(DepositCheckJob, async (job, log) => {
    const { reference } = job.payload;
    const claim = await deps.deposits.claim(reference);
    // Only the owner's button (or the schedule) checks a claim; anyone else learns nothing.
    if (!claim || (job.userId !== null && job.userId !== claim.userId)) {
      if (job.chatId !== null) {
        await emitFrom(deps.queue, job, [
          notice(job.chatId, job.userId, jobTranslator(job.payload.lang)('deposit.unknown')),
        ]);
      }
      return;
    }
    const { settled } = await settleAll(deps, reference);
    const drafts = settled.flatMap(messagesOf);
    if (drafts.length === 0 && job.chatId !== null) {
      drafts.push(notice(job.chatId, job.userId, jobTranslator(claim.lang)('deposit.none')));
    }
    await emitFrom(deps.queue, job, drafts);
    log.info('deposit.checked', { reference: shortAddress(reference), signatures: settled.length });
  });

  const poll = handle(DepositPollJob, async (job, log) => {
    const at = now();
    const claims = await deps.deposits.openClaims(
      at - deps.settings.claimHours * 3_600_000,
      at,
      deps.settings.maxClaimsPerPoll,
    );
    const until = await deps.deposits.cursor(deps.treasury);
    const { settled, newest } = await settleAll(deps, deps.treasury, until);
    if (settled.some((s) => s.kind === 'not_final')) {
      // Listed as finalized but not readable as such yet (another endpoint lags): try again later.
      throw new TransientError('deposit.not_final', 'a finalized treasury signature is not readable yet');
    }
    const drafts: JobDraft[] = settled.flatMap(messagesOf);
    for (const claim of claims) {
      drafts.push({
        job: DepositCheckJob,
        payload: { reference: claim.reference, lang: claim.lang },
        chatId: null,
        userId: null,
      });
    }
    await emitFrom(deps.queue, job, drafts);
    if (newest) await deps.deposits.setCursor(deps.treasury, newest);
    log.info('deposit.polled', { claims: claims.length, treasurySignatures: settled.length });
  });

  return [request, check, poll] as JobHandler[];
}

/**
 * The admins' deposit decisions (the signer, from the decisions queue only the webhook may send to;
 * the acting admin is checked again here):
 * - `deposit.decide`: an admin's Confirm / Reject of a pending deposit, the first decision wins;
 * - `deposit.credit`: an admin's `/credit` of an unattributed deposit to a named user.
 */
export function depositDecisionHandlers(deps: {
  deposits: DepositDeps['deposits'];
  queue: JobQueue;
  /** The admins (`ADMIN_USER_IDS`): a decision by anyone else is poison. */
  admins: ReadonlySet<number>;
  /** Who talked to the bot: `/credit` to anyone else (a mistyped id) credits nothing. */
  users: Pick<UserDirectory, 'get'>;
}): JobHandler[] {
  const decide = handle(DepositDecideJob, async (job, log) => {
    assertAdmin(deps.admins, job);
    const { depositId, approve, adminId, adminName } = job.payload;
    const deposit = await deps.deposits.byId(depositId);
    const decision = deposit
      ? await deps.deposits.decide(
          deposit.signature,
          approve ? { action: 'confirm', by: adminId } : { action: 'reject', by: adminId },
        )
      : ({ outcome: 'missing' } as const);
    log.info('deposit.decided', { depositId, outcome: decision.outcome });
    await emitFrom(deps.queue, job, decisionMessages(decision, depositId, adminName || String(adminId), job));
  });

  const credit = handle(DepositCreditJob, async (job, log) => {
    assertAdmin(deps.admins, job);
    const { deposit: ref, userId, adminId, adminName } = job.payload;
    const deposit = ref.length === 16 ? await deps.deposits.byId(ref) : await deps.deposits.get(ref);
    // Only a deposit still to assign needs its user checked (a decided one is told as it is).
    if (deposit?.status === 'unattributed' && !(await deps.users.get(userId))) {
      log.info('deposit.assigned', { outcome: 'unknown_user' });
      if (job.chatId !== null)
        await emitFrom(deps.queue, job, [notice(job.chatId, job.userId, unknownUser(ref, userId))]);
      return;
    }
    const decision = deposit
      ? await deps.deposits.decide(deposit.signature, { action: 'assign', by: adminId, userId })
      : ({ outcome: 'missing' } as const);
    log.info('deposit.assigned', { outcome: decision.outcome });
    const id = deposit ? depositIdOf(deposit.signature) : ref;
    await emitFrom(deps.queue, job, decisionMessages(decision, id, adminName || String(adminId), job));
  });

  return [decide, credit] as JobHandler[];
}

function unknownUser(ref: string, userId: number): string {
  return `Deposit ${ref.slice(0, 16)}: user ${userId} never talked to the bot (a mistyped id?). Nothing credited.`;
}

/**
 * What admins (and the owner) hear about a decision: what really happened, not what was asked.
 * The job's chat is the admin chat the decision was made in.
 */
function decisionMessages(decision: DepositDecision, id: string, adminName: string, job: JobEnvelope): JobDraft[] {
  const chat = job.chatId;
  const tell = (text: string): JobDraft[] => (chat === null ? [] : [notice(chat, job.userId, text)]);
  switch (decision.outcome) {
    case 'missing':
      return tell(`Deposit ${id}: no such deposit.`);
    case 'decided': {
      const d = decision.deposit;
      const by = d.decidedBy === 'auto' ? 'the automatic credit' : `admin ${d.decidedBy ?? '?'}`;
      return tell(
        `Deposit ${id}: already ${d.status} by ${by}${d.userId === null ? '' : ` (user ${d.userId})`}. Nothing changed.`,
      );
    }
    case 'wrong_state':
      return tell(
        decision.deposit.status === 'pending'
          ? `Deposit ${id} belongs to user ${decision.deposit.userId} by its reference: use its Confirm / Reject buttons.`
          : `Deposit ${id} has no owner yet: credit it with /credit ${id} <user id>.`,
      );
    case 'rejected': {
      const d = decision.deposit;
      return [
        notice(d.userId!, d.userId, jobTranslator(d.lang)('deposit.rejected', { sol: formatSol(d.lamports) })),
        adminEvent({
          kind: 'deposit.rejected',
          userId: d.userId,
          facts: [
            ['user', String(d.userId)],
            ['amount', `${formatSol(d.lamports)} SOL`],
            ['signature', d.signature],
            ['by', adminName],
          ],
        }),
      ];
    }
    case 'credited':
      return creditMessages(decision, adminName);
  }
}
