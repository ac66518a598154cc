/** Deposits found and not yet decided: a gauge the deposit store moves and `/stats` reads through the ledger. */
export const PENDING_DEPOSITS = 'deposits.pending';

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
 * Where a payout's hold stands. Every payout's money moves `held → released | settled` exactly
 * once: `released` gave it back to the user's balance, `settled` means it left the treasury.
 */
export type HoldStatus = 'held' | 'released' | 'settled';

export interface PayoutHold {
  readonly payoutId: string;
  readonly userId: number;
  readonly lamports: bigint;
  readonly status: HoldStatus;
}

/**
 * Users' internal balances and the ledger that explains them.
 *
 * Invariants: a balance changes only together with the ledger entry that explains it, in one
 * transaction; a deposit is credited at most once (core/desk/deposits/store.ts: its status leaves
 * `pending` once, in that same transaction), whoever confirms it and however often; a payout's hold moves from `held`
 * once, to `released` (credit back) or `settled` (paid), in the transaction that moves the balance.
 * So for every user, balance = Σ entries, and Σ balances + Σ held + Σ settled = Σ credited deposits.
 */
export interface Ledger {
  /**
   * Holds a payout's amount: creates the payout's hold (`held`), debits the balance and writes the
   * withdrawal entry in one transaction, only if the balance covers it. A hold is made once per
   * payout id: asked again, it changes nothing and answers the hold's current status, so a request
   * whose hold was already released (or settled) can tell and stop.
   */
  holdForPayout(userId: number, payoutId: string, lamports: bigint): Promise<HoldStatus | 'insufficient'>;
  /**
   * Gives a payout's hold back (`held → released`: the refund entry and the balance credit in the
   * same transaction). Happens once; a settled hold is never released. Answers the status after.
   */
  releaseHold(payoutId: string): Promise<HoldStatus | 'missing'>;
  /** The payout was paid: `held → settled`, once; a released hold is never settled. Answers the status after. */
  settleHold(payoutId: string): Promise<HoldStatus | 'missing'>;
  /** The payout's hold, if it was ever made. */
  holdOf(payoutId: string): Promise<PayoutHold | undefined>;
  balance(userId: number): Promise<bigint>;
  /** Deposits found and not decided yet (the gauge `DepositStore` moves). */
  pendingDeposits(): Promise<number>;
  /** The user's newest entries first. */
  history(userId: number, limit: number): Promise<LedgerEntry[]>;
}
