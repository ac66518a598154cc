/**
 * Block production of the local chain, derived from wall-clock time: one slot (and one block) every
 * `slotMs`, each with its own blockhash. Nothing runs on a timer; every reading computes the current slot.
 *
 * A blockhash stays usable for {@link MAX_PROCESSING_AGE} blocks after the block that produced it, as on
 * Solana: `getLatestBlockhash` returns `lastValidBlockHeight = height + 150`, and a transaction whose
 * blockhash is older is refused with `BlockhashNotFound`. Recent blockhashes are kept in a bounded ring.
 */
import { createHash, randomBytes } from 'node:crypto';
import { base58Encode } from './codec.js';

/** Blocks a blockhash stays valid for (`MAX_PROCESSING_AGE`). */
export const MAX_PROCESSING_AGE = 150;
/** Blockhashes remembered, by block (twice the validity window: enough to tell "expired" from "unknown"). */
const RING_SIZE = 2 * (MAX_PROCESSING_AGE + 1);
/** Slots per epoch on mainnet; only reported by `getEpochInfo`. */
export const SLOTS_PER_EPOCH = 432_000;

export type Commitment = 'processed' | 'confirmed' | 'finalized';
export const COMMITMENT_RANK: Readonly<Record<Commitment, number>> = { processed: 0, confirmed: 1, finalized: 2 };

/** Timing of the chain. */
export interface ClockOptions {
  slotMs: number;
  confirmAfterMs: number;
  finalizeAfterMs: number;
}

/** Where a chain's time starts: slot 0's time and the seed of its blockhashes (kept across restarts). */
export interface ClockOrigin {
  readonly startedAt: number;
  readonly seed: Uint8Array;
}

/** Slots, blockhashes and the commitment a landed transaction has reached. */
export class SlotClock {
  readonly genesisHash: string;
  readonly options: ClockOptions;
  /** Slot 0's time and the blockhash seed: a chain restored with the same origin keeps counting its slots. */
  readonly origin: ClockOrigin;
  readonly #startedAt: number;
  readonly #seed: Uint8Array;
  /** blockhash → slot, for the last {@link RING_SIZE} blocks handed out. */
  readonly #recent = new Map<string, number>();

  constructor(options: ClockOptions, origin: ClockOrigin = { startedAt: Date.now(), seed: randomBytes(16) }) {
    this.options = options;
    this.origin = origin;
    this.#startedAt = origin.startedAt;
    this.#seed = origin.seed;
    this.genesisHash = this.#hashOf(-1);
  }

  /** The current slot; block height is the same number (no skipped slots locally). */
  slot(now = Date.now()): number {
    return Math.floor((now - this.#startedAt) / this.options.slotMs);
  }

  /** Unix time (seconds) at which `slot` began. */
  blockTime(slot: number): number {
    return Math.floor((this.#startedAt + slot * this.options.slotMs) / 1000);
  }

  /** The blockhash of the current block and the last block height at which it is still accepted. */
  latestBlockhash(): { blockhash: string; lastValidBlockHeight: number; slot: number } {
    const slot = this.slot();
    return { blockhash: this.#remember(slot), lastValidBlockHeight: slot + MAX_PROCESSING_AGE, slot };
  }

  /** True while a transaction using `blockhash` may still land. */
  isBlockhashValid(blockhash: string): boolean {
    const issued = this.#recent.get(blockhash);
    return issued !== undefined && this.slot() <= issued + MAX_PROCESSING_AGE;
  }

  /** Commitment reached by a transaction that landed at `landedAt` (ms). */
  commitmentOf(landedAt: number, now = Date.now()): Commitment {
    const age = now - landedAt;
    if (age >= this.options.finalizeAfterMs) return 'finalized';
    if (age >= this.options.confirmAfterMs) return 'confirmed';
    return 'processed';
  }

  #hashOf(slot: number): string {
    return base58Encode(createHash('sha256').update(this.#seed).update(String(slot)).digest());
  }

  #remember(slot: number): string {
    const hash = this.#hashOf(slot);
    if (!this.#recent.has(hash)) {
      this.#recent.set(hash, slot);
      for (const [old, oldSlot] of this.#recent) {
        if (this.#recent.size <= RING_SIZE && oldSlot > slot - RING_SIZE) break;
        this.#recent.delete(old);
      }
    }
    return hash;
  }
}
