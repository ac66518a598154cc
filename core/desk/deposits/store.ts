import type { Language } from '../../platform/i18n/index.js';
import { shortId } from '../../platform/jobs/index.js';

/** The short id of a deposit, carried by its admin buttons and typed in `/credit`. */
export const depositIdOf = (signature: string): string => shortId(`deposit:${signature}`);

/**
 * A deposit request: its reference belongs to `userId`. Stored before the request is shown, so
 * a transfer carrying the reference can only ever be credited to this user.
 */
export interface DepositClaim {
  readonly reference: string;
  readonly userId: number;
  /** The language the user asked in (they are told the outcome in it). */
  readonly lang: Language;
  /** What the request asked for; null when the user left the amount to their wallet. */
  readonly lamports: bigint | null;
  /** Unix ms. */
  readonly createdAt: number;
  /** Unix ms: after this the scheduled poll stops looking (the "I've paid" button still works). */
  readonly expiresAt: number;
}

/**
 * A deposit's life: `pending → credited | rejected` for a transfer attributed by its reference;
 * `unattributed → credited` (by an admin's `/credit`) for a transfer to the treasury with no
 * known reference, or with the references of two different users. Every move happens once.
 */
export type DepositStatus = 'pending' | 'credited' | 'rejected' | 'unattributed';

/** Why a deposit has no owner. */
export type UnattributedReason = 'no_reference' | 'ambiguous';

/** A transfer to the treasury as recorded, keyed by its signature. */
export interface DepositRecord {
  readonly signature: string;
  /** Who it is credited to: the reference's owner, or the user an admin named; null while unattributed. */
  readonly userId: number | null;
  /** The claim's reference, when it was attributed by one. */
  readonly reference: string | null;
  /** What the treasury received (post − pre balance), in lamports. */
  readonly lamports: bigint;
  readonly lang: Language;
  readonly status: DepositStatus;
  readonly reason?: UnattributedReason;
  /** Who decided: an admin's id, or `auto` for a credit under the automatic threshold. */
  readonly decidedBy?: number | 'auto';
}

/** A transfer found on chain, about to be recorded. */
export interface NewDeposit {
  readonly signature: string;
  readonly lamports: bigint;
  readonly slot: number;
  readonly blockTime: number | null;
  /** The owner, for an attributed deposit (status `pending`). */
  readonly claim?: DepositClaim;
  /** Why nobody owns it, for an unattributed one. */
  readonly reason?: UnattributedReason;
}

/** What a decision did. */
export type DepositDecision =
  | { readonly outcome: 'credited'; readonly deposit: DepositRecord; readonly balance: bigint }
  | { readonly outcome: 'rejected'; readonly deposit: DepositRecord }
  /** Decided before (a double click, another admin, a redelivery, the automatic credit): nothing changed. */
  | { readonly outcome: 'decided'; readonly deposit: DepositRecord }
  /** `/credit` of a deposit that has an owner already, or a confirm of an unattributed one. */
  | { readonly outcome: 'wrong_state'; readonly deposit: DepositRecord }
  | { readonly outcome: 'missing' };

/** Who decides, and how. */
export type DepositVerdict =
  /** Credit a pending deposit to its owner (an admin's Confirm, or `auto` under the threshold). */
  | { readonly action: 'confirm'; readonly by: number | 'auto' }
  | { readonly action: 'reject'; readonly by: number }
  /** Credit an unattributed deposit to `userId` (an admin's `/credit`). */
  | { readonly action: 'assign'; readonly by: number; readonly userId: number };

/**
 * Deposit claims (references and their owners), deposits found on chain, and the treasury scan's
 * cursor.
 *
 * Invariants: a claim's owner never changes once stored; a deposit is recorded at most once per
 * signature, whoever finds it and however often; its status leaves `pending` / `unattributed`
 * once, and a credit moves the status, writes the ledger entry and increments the balance in one
 * transaction, so a signature is credited at most once, to one user.
 */
export interface DepositStore {
  /** Stores a claim; storing the same claim again is harmless, a different owner for a stored reference is refused. */
  putClaim(claim: DepositClaim): Promise<void>;
  claim(reference: string): Promise<DepositClaim | undefined>;
  /** The claims among `references` (unknown ones are left out), at most 100 per call. */
  claims(references: readonly string[]): Promise<DepositClaim[]>;
  /** Claims created at or after `since` (Unix ms) and not expired at `now`, oldest first, at most `limit`. */
  openClaims(since: number, now: number, limit: number): Promise<DepositClaim[]>;
  /** Records the transfer; `created` false when its signature was recorded before (the stored record is returned). */
  record(deposit: NewDeposit): Promise<{ created: boolean; deposit: DepositRecord }>;
  get(signature: string): Promise<DepositRecord | undefined>;
  /** By the short id admin buttons and `/credit` carry. */
  byId(id: string): Promise<DepositRecord | undefined>;
  decide(signature: string, verdict: DepositVerdict): Promise<DepositDecision>;
  /** The newest treasury signature already scanned, if any. */
  cursor(address: string): Promise<string | undefined>;
  setCursor(address: string, signature: string): Promise<void>;
}
