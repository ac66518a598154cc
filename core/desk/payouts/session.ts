import * as z from 'zod/mini';
import { LinkedWalletSchema } from '../wallets/index.js';

/** The withdrawals feature's session fields. */
export const payoutSessionFields = {
  /** A `/withdraw` shown for confirmation: what the Confirm button will request, and when it was asked (s). */
  withdrawDraft: z.optional(
    z.object({
      wallet: LinkedWalletSchema.shape.address,
      lamports: z.string().check(z.regex(/^[1-9]\d{0,19}$/)),
      since: z.int(),
    }),
  ),
};
