/**
 * Where a payout stands. `cooling` (a first payout to a new destination, waiting out its
 * cooling-off period) → `requested` (admins decide) → `approved` → `sent` → `paid`.
 * `rejected`, `cancelled` (by the user, while cooling or requested), `paid` and `failed` are final.
 */
export type PayoutStatus = 'cooling' | 'requested' | 'approved' | 'rejected' | 'cancelled' | 'sent' | 'paid' | 'failed';

/** One state change, kept with the payout (the audit trail). */
export interface AuditEntry {
  /** Unix milliseconds. */
  readonly at: number;
  readonly status: PayoutStatus;
  /** Who made the change: `user:<id>`, `admin:<id>`, `signer`, `chain`. */
  readonly by: string;
  /** The job that made it, so a redelivered job can tell its own change from another's. */
  readonly job?: string;
  readonly note?: string;
}

/** The signed transaction of the payout's current attempt, recorded before it is sent. */
export interface PayoutTransaction {
  readonly signature: string;
  /** Wire bytes, base64. */
  readonly transaction: string;
  readonly lastValidBlockHeight: number;
}

export interface Payout {
  readonly id: string;
  readonly userId: number;
  /** Where the user is told the outcome. */
  readonly chatId: number;
  readonly lang: 'en' | 'zh';
  readonly wallet: string;
  readonly lamports: bigint;
  /** UTC day of the request (`YYYY-MM-DD`): whose daily cap it counts against. */
  readonly day: string;
  readonly status: PayoutStatus;
  /** While `cooling`: when it goes to the admins (Unix ms). */
  readonly releaseAt?: number;
  /** The signing attempt (1 + transactions that expired unlanded). */
  readonly attempt: number;
  readonly tx?: PayoutTransaction;
  readonly history: readonly AuditEntry[];
}

export type NewPayout = Omit<Payout, 'status' | 'attempt' | 'tx' | 'history'> & {
  /** `cooling` (with `releaseAt`) or `requested` (the default). */
  readonly status?: 'cooling' | 'requested';
};

/** What a transition requires of the payout as stored. */
export interface TransitionGuard {
  readonly status: PayoutStatus;
  readonly attempt?: number;
  readonly signature?: string;
}

/** What a transition sets; `tx: null` clears the recorded transaction. */
export interface TransitionChange {
  readonly status: PayoutStatus;
  readonly attempt?: number;
  readonly tx?: PayoutTransaction | null;
}

/**
 * Payouts and the per-user daily caps they count against.
 *
 * Invariants: a payout id is created once; every change is one conditional write that checks
 * the guard and appends its audit entry in the same write, so two racing changes never both
 * apply and no change goes unrecorded; a cap reservation is counted once per payout id, however
 * often it is repeated, and released at most once.
 */
export interface PayoutStore {
  /**
   * Counts `lamports` of `payoutId` against the user's cap for `day`, unless that would pass
   * `capLamports`. Repeating a reservation that holds succeeds without counting again.
   */
  reserve(input: {
    userId: number;
    day: string;
    payoutId: string;
    lamports: bigint;
    capLamports: bigint;
  }): Promise<{ ok: true } | { ok: false; used: bigint }>;
  /** Gives back a reservation (no-op if it was never made or already released). */
  release(input: { userId: number; day: string; payoutId: string; lamports: bigint }): Promise<void>;
  /** Whether the user was ever paid at `wallet` (a first payout there waits out the cooling-off period). */
  paidBefore(userId: number, wallet: string): Promise<boolean>;
  /** Remembers that the user was paid at `wallet`. */
  rememberPaid(userId: number, wallet: string): Promise<void>;
  /** Creates the payout as `requested` (or `cooling`), or returns the existing payout with that id unchanged. */
  create(payout: NewPayout, audit: AuditEntry): Promise<{ payout: Payout; created: boolean }>;
  get(id: string): Promise<Payout | undefined>;
  /** Payouts not final yet (requested, approved or sent). */
  countOpen(): Promise<number>;
  /** Applies `change` if the stored payout matches `guard`; the payout after it, or undefined when it did not match. */
  transition(
    id: string,
    guard: TransitionGuard,
    change: TransitionChange,
    audit: AuditEntry,
  ): Promise<Payout | undefined>;
}
