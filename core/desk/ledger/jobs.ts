import * as z from 'zod/mini';
import { LANGUAGES } from '../../platform/i18n/index.js';
import { defineJob } from '../../platform/jobs/index.js';

/** The user's internal balance and latest ledger entries. */
export const LedgerHistoryJob = defineJob('ledger.history', 'rpc', () => z.object({ lang: z.enum(LANGUAGES) }));
