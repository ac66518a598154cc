/**
 * The conflict switch of the local DynamoDB: cancels transactions with `TransactionConflict`, as
 * DynamoDB does when another transaction or write holds one of their items.
 *
 * The local transaction layer never meets real contention (transactions queue at its write gate,
 * see `dynamodb-transactions.ts`), so the code's answer to a conflict would go untested. With the
 * switch on, a chosen share of transactions (or the next few) is cancelled before anything is
 * evaluated or written, with the answer AWS gives: HTTP 400 `TransactionCanceledException`, one
 * `CancellationReasons` entry per action, `TransactionConflict` on the contended item and `None` on
 * the others. A cancelled transaction leaves no client token, so a retry with the same token runs.
 */

/** Which transactions the switch cancels; both parts may be given. */
export interface ConflictMode {
  /** Cancel the next `next` transactions (a whole number, 0 or more). */
  readonly next?: number;
  /** Then cancel each transaction with this probability (0 to 1). */
  readonly fraction?: number;
}

/** The reason DynamoDB gives the item under contention (API reference, `TransactionCanceledException`). */
export const CONFLICT_REASON = { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } as const;

/**
 * The switch and its count. Share one instance across restarts of the emulator (as with
 * `TransactionTokens`), so a mode set before `stop()` still holds after `start()`.
 */
export class TransactionConflicts {
  #next = 0;
  #fraction = 0;
  #cancelled = 0;
  readonly #random: () => number;

  /** `random` decides the share and the contended item (default `Math.random`; tests inject their own). */
  constructor(options: { random?: () => number } = {}) {
    this.#random = options.random ?? Math.random;
  }

  /** Replaces the mode (`{}` turns the switch off). Throws a `RangeError` for a count or share out of range. */
  set(mode: ConflictMode): void {
    const next = mode.next ?? 0;
    const fraction = mode.fraction ?? 0;
    if (!Number.isSafeInteger(next) || next < 0) throw new RangeError(`next must be a whole number ≥ 0, not ${next}`);
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be between 0 and 1, not ${fraction}`);
    this.#next = next;
    this.#fraction = fraction;
  }

  /** Transactions cancelled by the switch so far. */
  get cancelled(): number {
    return this.#cancelled;
  }

  /**
   * Decides one transaction of `actions` actions: the index of the action whose item is
   * contended, or undefined when the transaction goes ahead.
   */
  draw(actions: number): number | undefined {
    if (this.#next > 0) this.#next--;
    else if (this.#fraction === 0 || this.#random() >= this.#fraction) return undefined;
    this.#cancelled++;
    return Math.min(actions - 1, Math.floor(this.#random() * actions));
  }
}

/** The `CancellationReasons` of a transaction of `actions` actions whose `contended` action met a conflict. */
export function conflictReasons(actions: number, contended: number): Record<string, string>[] {
  return Array.from({ length: actions }, (_, index) =>
    index === contended ? { ...CONFLICT_REASON } : { Code: 'None' },
  );
}
