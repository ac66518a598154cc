/** An incoming SOL transfer from a user's linked wallet to the treasury, as found on chain. */
export interface Deposit {
  signature: string;
  userId: number;
  wallet: string;
  lamports: bigint;
  slot: number;
  blockTime: number | null;
}

/**
 * Deposits found by scanning, and how far each wallet has been scanned.
 *
 * Invariants: a deposit is recorded at most once, keyed by its signature (a signature can
 * never count twice, whichever user or scan finds it); the cursor only moves forward and is
 * written after the deposits it covers, so a crash can only cause a rescan, never a gap.
 */
export interface DepositStore {
  /** The newest signature already scanned for this wallet, if any. */
  cursor(wallet: string): Promise<string | undefined>;
  setCursor(wallet: string, signature: string): Promise<void>;
  /** Records the deposit; false when its signature was already recorded. */
  record(deposit: Deposit): Promise<boolean>;
}
