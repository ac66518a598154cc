import type { Language } from '../i18n.js';

/** One movement of a user's internal balance. Amounts are lamports; credits positive, debits negative. */
export interface LedgerEntry {
  /** Unix milliseconds. */
  readonly at: number;
  readonly kind: 'deposit' | 'withdrawal' | 'refund';
  readonly lamports: bigint;
  /** What it came from: a deposit's signature, a payout id. */
  readonly ref: string;
}

/** A deposit found on chain as admins decide on it. */
export interface DepositRecord {
  readonly signature: string;
  readonly userId: number;
  readonly wallet: string;
  readonly lamports: bigint;
  /** The language the user claimed it in (they are told the decision in it). */
  readonly lang: Language;
  readonly status: 'found' | 'confirmed' | 'rejected';
}

export type DepositDecision =
  | { readonly outcome: 'credited'; readonly deposit: DepositRecord; readonly balance: bigint }
  | { readonly outcome: 'rejected'; readonly deposit: DepositRecord }
  /** Decided before (a double click, another admin, a redelivery): nothing changed. */
  | { readonly outcome: 'decided'; readonly deposit: DepositRecord }
  | { readonly outcome: 'missing' };

/**
 * Users' internal balances and the ledger that explains them.
 *
 * Invariants: a balance changes only together with the ledger entry that explains it, in one
 * transaction; a deposit is credited at most once (its status moves from `found` once, in that
 * same transaction), whoever confirms it and however often.
 */
export interface Ledger {
  /** Finds a deposit by the short id its admin buttons carry. */
  depositById(id: string): Promise<DepositRecord | undefined>;
  /** Confirms (credits) or rejects a found deposit; only the first decision has an effect. */
  decideDeposit(id: string, approve: boolean, adminId: number): Promise<DepositDecision>;
  /**
   * Holds a payout's amount: debits the balance and writes the withdrawal entry in one
   * transaction, only if the balance covers it. Repeating it for the same payout debits nothing
   * more (`debited`).
   */
  debitForPayout(userId: number, payoutId: string, lamports: bigint): Promise<'debited' | 'insufficient'>;
  /** Gives a payout's amount back (rejected or failed payout), once per payout, whoever calls it. */
  refundPayout(userId: number, payoutId: string, lamports: bigint): Promise<void>;
  balance(userId: number): Promise<bigint>;
  /** Deposits found and not decided yet. */
  pendingDeposits(): Promise<number>;
  /** The user's newest entries first. */
  history(userId: number, limit: number): Promise<LedgerEntry[]>;
}
