import * as z from 'zod/mini';
import { LANGUAGES } from '../../platform/i18n/index.js';
import { defineJob, SHORT_ID } from '../../platform/jobs/index.js';

const reference = z.string().check(z.regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/));
const lang = z.enum(LANGUAGES);

/**
 * `/deposit [SOL]`: stores the claim (the reference is the job's user's) and then sends the user
 * the transfer request (link and button). The reference is drawn by the webhook and carried
 * here, so a redelivered job stores the same claim and shows the same request.
 */
export const DepositRequestJob = defineJob('deposit.request', 'rpc', () =>
  z.object({ reference, lamports: z.nullable(z.string().check(z.regex(/^\d{1,20}$/))), lang }),
);

/**
 * Looks for finalized payments to one claim's reference and settles each once. From the "I've
 * paid" button (the job's chat hears "nothing yet" when nothing is found) or the scheduled poll
 * (no chat: only outcomes are told).
 */
export const DepositCheckJob = defineJob('deposit.check', 'rpc', () => z.object({ reference, lang }));

/**
 * Scheduled (stacks/Schedule.ts): one `deposit.check` per claim still open, and a scan of the
 * treasury's own new signatures, where transfers with no known reference show up.
 */
export const DepositPollJob = defineJob('deposit.poll', 'rpc', () => z.object({}));

/**
 * `/treasury` in the admin chat: the treasury address as a QR code image (drawn here, in the rpc
 * worker, so the webhook bundle carries no QR encoder) with the address as text to copy.
 */
export const TreasuryQrJob = defineJob('deposit.treasury', 'rpc', () => z.object({ lang }));

/** An admin confirmed or rejected a pending deposit (from the digest's buttons; only the webhook may send decisions). */
export const DepositDecideJob = defineJob('deposit.decide', 'decisions', () =>
  z.object({
    depositId: z.string().check(z.regex(SHORT_ID)),
    approve: z.boolean(),
    adminId: z.int(),
    adminName: z.string().check(z.maxLength(64)),
  }),
);

/** `/credit <signature or id> <user id>` in the admin chat: an unattributed deposit credited to a user by an admin. */
export const DepositCreditJob = defineJob('deposit.credit', 'decisions', () =>
  z.object({
    deposit: z.string().check(z.regex(/^(?:[a-z2-7]{16}|[1-9A-HJ-NP-Za-km-z]{64,90})$/)),
    userId: z.int().check(z.positive()),
    adminId: z.int(),
    adminName: z.string().check(z.maxLength(64)),
  }),
);

/** Callback data: admin buttons under a pending deposit (`dp:ok:<id>`, `dp:no:<id>`), the user's "I've paid" (`dp:paid:<reference>`, ≤ 52 bytes). */
export const DEPOSIT_CALLBACK = {
  confirm: (id: string) => `dp:ok:${id}`,
  reject: (id: string) => `dp:no:${id}`,
  pattern: /^dp:(ok|no):([a-z2-7]{16})$/,
  paid: (ref: string) => `dp:paid:${ref}`,
  paidPattern: /^dp:paid:([1-9A-HJ-NP-Za-km-z]{32,44})$/,
} as const;

/**
 * The `deposit.poll` envelope a schedule produces: id and trace id are the schedule event's id
 * (a redelivered event is the same job), created at the event's time.
 */
export function depositPollEnvelope(eventId: string, time: string) {
  return {
    type: DepositPollJob.type,
    id: eventId,
    chatId: null,
    userId: null,
    payload: {},
    attempt: 0,
    createdAt: time,
    traceId: eventId,
  };
}
