/**
 * The wallets each user has verified: addresses the chain showed to be real wallets (system
 * accounts on the Ed25519 curve) when that user asked. Withdrawals go only to these.
 *
 * Invariants: a user sees only their own. Each wallet's state is decided by the latest user
 * action (`at`, ms since the epoch: when the user asked, not when the job ran), so jobs that
 * arrive out of order or twice end in the same state: a removal beats any verification asked
 * before it, a verification asked after a removal brings the wallet back. Verifying a wallet
 * already in the book keeps its first verification time.
 */
export interface WalletBook {
  /** Records `address` as verified for `userId`, as of `at` (default: now). */
  add(userId: number, address: string, at?: number): Promise<void>;
  /** Takes `address` out of `userId`'s verified wallets, as of `at` (default: now). Idempotent. */
  remove(userId: number, address: string, at?: number): Promise<void>;
  /** Whether `userId` has verified `address` (and not removed it since). */
  has(userId: number, address: string): Promise<boolean>;
  /** Verified wallets of all users together (for /stats). */
  count(): Promise<number>;
  /** The user's verified wallets, oldest first. */
  list(userId: number): Promise<string[]>;
}
