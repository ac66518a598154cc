/**
 * What landed on the local chain: every transaction that was executed (succeeded or failed with a fee
 * charged), indexed by signature and by every account it named, plus the set of account keys ever
 * touched. litesvm keeps neither an address index nor an owner index, so `getSignaturesForAddress` and
 * `getTokenAccountsByOwner` read these.
 */
import type { ExecutionOutcome, TransactionErrorJson } from './svm-protocol.js';
import type { DecodedTransaction, ResolvedKeys } from './transaction.js';

/** One token balance of `meta.preTokenBalances` / `postTokenBalances`. */
export interface TokenBalance {
  accountIndex: number;
  mint: string;
  owner: string;
  programId: string;
  amount: bigint;
  decimals: number;
}

/** A landed transaction. */
export interface TxRecord {
  signature: string;
  slot: number;
  blockTime: number;
  /** `Date.now()` when it landed; commitment is measured from here. */
  landedAt: number;
  tx: DecodedTransaction;
  keys: ResolvedKeys;
  outcome: ExecutionOutcome;
  err: TransactionErrorJson | null;
  preBalances: bigint[];
  postBalances: bigint[];
  preTokenBalances: TokenBalance[];
  postTokenBalances: TokenBalance[];
}

/** Landed transactions and touched accounts. */
export class Ledger {
  readonly #bySignature = new Map<string, TxRecord>();
  readonly #byAddress = new Map<string, TxRecord[]>();
  readonly #touched = new Set<string>();

  /** Records a landed transaction (in landing order). */
  add(record: TxRecord): void {
    this.#bySignature.set(record.signature, record);
    for (const address of new Set(record.keys.keys)) {
      this.touch(address);
      let list = this.#byAddress.get(address);
      if (!list) {
        list = [];
        this.#byAddress.set(address, list);
      }
      list.push(record);
    }
  }

  /** Remembers an account key (written by a transaction, an airdrop or `setAccount`). */
  touch(address: string): void {
    this.#touched.add(address);
  }

  /** Every landed transaction, in landing order. */
  records(): IterableIterator<TxRecord> {
    return this.#bySignature.values();
  }

  get(signature: string): TxRecord | undefined {
    return this.#bySignature.get(signature);
  }

  /** Transactions naming `address`, oldest first. */
  forAddress(address: string): readonly TxRecord[] {
    return this.#byAddress.get(address) ?? [];
  }

  /** Every account key the chain has seen. */
  touched(): string[] {
    return [...this.#touched];
  }

  get size(): number {
    return this.#bySignature.size;
  }
}
