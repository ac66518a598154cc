import * as z from 'zod/mini';
import { LANGUAGES } from '../../platform/i18n/index.js';
import { defineJob } from '../../platform/jobs/index.js';

const address = z.string().check(z.minLength(32), z.maxLength(44));
const lang = z.enum(LANGUAGES);

/**
 * What is this address (wallet, PDA, program, token account, mint…) and how much SOL does it hold?
 * `link`: the user linked it by sending it; if the chain shows it is not a wallet, it is unlinked.
 */
export const WalletVerifyJob = defineJob('wallet.verify', 'rpc', () =>
  z.object({ address, lang, link: z.optional(z.literal(true)) }),
);

/** SOL and SPL token balances (Token and Token-2022) of up to 10 addresses, with a total. */
export const WalletBalanceJob = defineJob('wallet.balance', 'rpc', () =>
  z.object({ addresses: z.array(address).check(z.minLength(1), z.maxLength(10)), lang }),
);

/**
 * The user removed a linked wallet: it leaves their book of verified wallets, so withdrawals can
 * no longer go to it. The removal is as of the job's `createdAt`: a verification the user asked
 * for earlier that runs later does not bring the wallet back.
 */
export const WalletUnlinkJob = defineJob('wallet.unlink', 'rpc', () => z.object({ address }));
