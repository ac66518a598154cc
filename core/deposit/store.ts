import type { Language } from '../i18n.js';
import { shortId } from '../jobs/short-id.js';

/** The short id of a deposit, carried by its admin buttons. */
export const depositIdOf = (signature: string): string => shortId(`deposit:${signature}`);

/** An incoming SOL transfer from a user's linked wallet to the treasury, as found on chain. */
export interface Deposit {
  signature: string;
  userId: number;
  wallet: string;
  lamports: bigint;
  slot: number;
  blockTime: number | null;
  /** The language of the user who claimed it. */
  lang: Language;
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
