import * as z from 'zod/mini';
import { LANGUAGES } from '../i18n.js';
import { defineJob } from '../jobs/envelope.js';
import { SHORT_ID } from '../jobs/short-id.js';

/** An admin confirmed or rejected a found deposit (from the digest's buttons; only the webhook may send decisions). */
export const DepositDecideJob = defineJob(
  'deposit.decide',
  'decisions',
  z.object({
    depositId: z.string().check(z.regex(SHORT_ID)),
    approve: z.boolean(),
    adminId: z.int(),
    adminName: z.string().check(z.maxLength(64)),
  }),
);

/** The user's internal balance and latest ledger entries. */
export const LedgerHistoryJob = defineJob('ledger.history', 'rpc', z.object({ lang: z.enum(LANGUAGES) }));

/** Callback data of the admin buttons under a found deposit (`dp:ok:<id>`, `dp:no:<id>`). */
export const DEPOSIT_CALLBACK = {
  confirm: (id: string) => `dp:ok:${id}`,
  reject: (id: string) => `dp:no:${id}`,
  pattern: /^dp:(ok|no):([a-z2-7]{16})$/,
} as const;
