/** One movement of a user's internal balance. Amounts are lamports; credits positive, debits negative. */
export interface LedgerEntry {
  /** Unix milliseconds. */
  readonly at: number;
  readonly kind: 'deposit' | 'withdrawal' | 'refund';
  readonly lamports: bigint;
  /** What it came from: a deposit's signature, a payout id. */
  readonly ref: string;
}

/**
 * Users' internal balances and the ledger that explains them.
 *
 * Invariants: a balance changes only together with the ledger entry that explains it, in one
 * transaction; a deposit is credited at most once (core/deposit/store.ts: its status leaves
 * `pending` once, in that same transaction), whoever confirms it and however often.
 */
export interface Ledger {
  /**
   * Holds a payout's amount: debits the balance and writes the withdrawal entry in one
   * transaction, only if the balance covers it. Repeating it for the same payout debits nothing
   * more (`debited`).
   */
  debitForPayout(userId: number, payoutId: string, lamports: bigint): Promise<'debited' | 'insufficient'>;
  /** Gives a payout's amount back (rejected or failed payout), once per payout, whoever calls it. */
  refundPayout(userId: number, payoutId: string, lamports: bigint): Promise<void>;
  balance(userId: number): Promise<bigint>;
  /** Deposits found and not decided yet (the gauge `DepositStore` moves). */
  pendingDeposits(): Promise<number>;
  /** The user's newest entries first. */
  history(userId: number, limit: number): Promise<LedgerEntry[]>;
}
