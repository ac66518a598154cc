import type { DynamoDepositStore } from '../../core/desk/deposits/dynamodb-store.js';
import type { DepositClaim } from '../../core/desk/deposits/store.js';
import type { Language } from '../../core/platform/i18n/index.js';

/** A claim of `userId` on `reference`, open for a day from `createdAt`. */
export const claimOf = (
  reference: string,
  userId: number,
  options: { lang?: Language; lamports?: bigint | null; createdAt?: number } = {},
): DepositClaim => {
  const createdAt = options.createdAt ?? Date.now();
  return {
    reference,
    userId,
    lang: options.lang ?? 'en',
    lamports: options.lamports ?? null,
    createdAt,
    expiresAt: createdAt + 86_400_000,
  };
};

/**
 * Credits `lamports` to `userId` the way a deposit by reference is credited: its claim stored, the
 * transfer recorded under it, and confirmed by admin `by`. Returns the decision.
 */
export async function creditDeposit(
  store: DynamoDepositStore,
  deposit: { signature: string; userId: number; lamports: bigint; lang?: Language; by?: number },
) {
  const claim = claimOf(`ref-${deposit.signature}`, deposit.userId, { lang: deposit.lang ?? 'en' });
  await store.putClaim(claim);
  await store.record({ signature: deposit.signature, lamports: deposit.lamports, slot: 1, blockTime: null, claim });
  return store.decide(deposit.signature, { action: 'confirm', by: deposit.by ?? 1 });
}
