/**
 * The wallets each user has verified: addresses the chain showed to be real wallets (system
 * accounts on the Ed25519 curve) when that user asked. Withdrawals go only to these.
 *
 * Invariants: adding is idempotent (the first verification time stays); a user sees only their own.
 */
export interface WalletBook {
  /** Records `address` as verified for `userId`. */
  add(userId: number, address: string): Promise<void>;
  /** Whether `userId` has verified `address`. */
  has(userId: number, address: string): Promise<boolean>;
  /** The user's verified wallets, oldest first. */
  list(userId: number): Promise<string[]>;
}
