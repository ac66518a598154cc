import * as z from 'zod/mini';
import { LANGUAGES } from '../../platform/i18n/index.js';
import { defineJob } from '../../platform/jobs/index.js';

/** A payout id: 16 characters of base32 from the request's job id (short enough for callback data). */
export const PayoutIdSchema = z.string().check(z.regex(/^[a-z2-7]{16}$/, 'a payout id'));
const lamports = z.string().check(z.regex(/^[1-9]\d{0,19}$/, 'a positive integer amount of lamports'));
const address = z.string().check(z.minLength(32), z.maxLength(44));

/** A user asks to withdraw `lamports` to one of their verified wallets (checked by the rpc worker: it needs the chain). */
export const PayoutRequestJob = defineJob('payout.request', 'rpc', () =>
  z.object({ wallet: address, lamports, lang: z.enum(LANGUAGES) }),
);

/** An admin approved or rejected a requested payout (from the admin chat's buttons; only the webhook may send decisions). */
export const PayoutDecideJob = defineJob('payout.decide', 'decisions', () =>
  z.object({
    payoutId: PayoutIdSchema,
    approve: z.boolean(),
    adminId: z.int(),
    adminName: z.string().check(z.maxLength(64)),
  }),
);

/** An approved payout needs a transaction: check the treasury and fetch a recent blockhash (rpc worker). */
export const PayoutPrepareJob = defineJob('payout.prepare', 'rpc', () => z.object({ payoutId: PayoutIdSchema }));

/** Sign (KMS) the transfer of an approved payout's attempt with this blockhash, record it, send it (signer). */
export const PayoutSignJob = defineJob('payout.sign', 'payouts', () =>
  z.object({
    payoutId: PayoutIdSchema,
    attempt: z.int().check(z.minimum(1)),
    blockhash: z.string().check(z.minLength(32), z.maxLength(44)),
    lastValidBlockHeight: z.int().check(z.minimum(0)),
  }),
);

/** The final outcome of a payout's transaction, from `tx.send`. */
export const PayoutSettleJob = defineJob('payout.settle', 'payouts', () =>
  z.object({
    payoutId: PayoutIdSchema,
    signature: z.string().check(z.minLength(64), z.maxLength(88)),
    outcome: z.enum(['confirmed', 'failed', 'expired']),
  }),
);

/** Callback data of the admin buttons under a payout request (`po:ok:<id>`, `po:no:<id>`; 22 bytes). */
export const PAYOUT_CALLBACK = {
  approve: (id: string) => `po:ok:${id}`,
  reject: (id: string) => `po:no:${id}`,
  pattern: /^po:(ok|no):([a-z2-7]{16})$/,
} as const;

/**
 * A cooling payout's period may be over: it goes to the admins, or waits again (SQS delays are
 * at most 15 minutes, so a long period is waited out in hops; `hop` keeps each hop's job id apart).
 */
export const PayoutCooledJob = defineJob('payout.cooled', 'rpc', () =>
  z.object({ payoutId: PayoutIdSchema, hop: z.int().check(z.minimum(0), z.maximum(10_000)) }),
);

/** The user cancels their own payout, while it cools off or waits for the admins (the worker checks it is theirs). */
export const PayoutCancelJob = defineJob('payout.cancel', 'rpc', () => z.object({ payoutId: PayoutIdSchema }));

/** Callback data of the user's "Cancel withdrawal" button (`pc:<id>`), and of the `/withdraw` confirmation screen. */
export const PAYOUT_CANCEL = { data: (id: string) => `pc:${id}`, pattern: /^pc:([a-z2-7]{16})$/ } as const;
export const WITHDRAW_CALLBACK = { confirm: 'wd:ok', cancel: 'wd:no' } as const;
