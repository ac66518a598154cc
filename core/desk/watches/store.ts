import type { Language } from '../../platform/i18n/index.js';
import type { FirstCharacters } from './cadence.js';

/** A chat that watches an address, and how it wants to hear about changes. */
export interface Watcher {
  /** Where notices go (one watch per chat and address). */
  readonly chatId: number;
  /** Who asked for it. */
  readonly userId: number;
  /** The language notices are written in. */
  readonly lang: Language;
  /** Only a balance change of at least this many lamports (either way) is worth a notice; 0 means any change. */
  readonly thresholdLamports: bigint;
}

/** One entry of a chat's watch list. */
export interface ChatWatch {
  readonly address: string;
  readonly thresholdLamports: bigint;
  /** The language of this watch's notices. */
  readonly lang: Language;
}

/** The last balance the poller saw for a watched address. */
export interface WatchSnapshot {
  readonly lamports: bigint;
  /**
   * Grows with every move of the snapshot and never repeats for an address, not even after it was
   * unwatched and watched again (stores derive it from the clock). So "the change away from
   * version v" names one observed change exactly, even when a balance returns to an earlier value.
   * Never 0: 0 stands for "not seen yet" in `updateSnapshot`.
   */
  readonly version: number;
}

/** A page of watched addresses, in a stable order; `next` resumes after it, undefined on the last page. */
export interface AddressPage {
  readonly addresses: string[];
  /** When each address's snapshot last moved (ms); absent for an address not seen yet. */
  readonly changedAt: ReadonlyMap<string, number>;
  readonly next: string | undefined;
}

/**
 * Who watches which Solana address, and the balance last seen for each (the poller's state).
 *
 * Invariants:
 * - An address is listed by `listAddresses` while, and only while, at least one chat watches it
 *   (eventually: each method is idempotent, so a retried call after a partial failure converges).
 *   Removing its last watcher forgets its snapshot; watching it again starts with a first sighting.
 * - One snapshot per address however many chats watch it: the chain is read once per address.
 * - `updateSnapshot` is a compare-and-set on the snapshot version: of several writers that saw
 *   the same version, exactly one moves it.
 * - An address stays in `hotAddresses` at least until `HOT_MS` after its snapshot last moved, and
 *   from the moment it is watched anew until it is first seen (within bounds the store names):
 *   with `listAddresses` over `dueFirstCharacters`, a poll finds every address `isDue` names.
 *
 * Errors: an unreachable or throttling store surfaces as a `TransientError`.
 */
export interface WatchStore {
  /**
   * Starts (or updates the language and threshold of) `watcher.chatId`'s watch of `address`; an
   * address not seen yet turns hot.
   */
  addWatcher(address: string, watcher: Watcher): Promise<void>;
  /** Stops the chat's watch of `address`; true if there was one. */
  removeWatcher(address: string, chatId: number): Promise<boolean>;
  /** The addresses a chat watches, in address order (for `/watches`). */
  watchlist(chatId: number): Promise<ChatWatch[]>;
  /**
   * Up to `limit` watched addresses after `cursor` (undefined: from the start); with `span`, only
   * those whose first character lies in it (one contiguous span of the list).
   */
  listAddresses(cursor: string | undefined, limit: number, span?: FirstCharacters): Promise<AddressPage>;
  /**
   * The hot addresses at `at` (ms), in address order: those whose snapshot moved less than
   * `HOT_MS` before, and those nobody has seen yet since they were watched.
   * A small list apart from the watch list, so a poll finds them without reading the quiet ones.
   * It may also name addresses no longer watched (until their hot time ends); entries whose hot
   * time ended are removed as they are found.
   */
  hotAddresses(at: number): Promise<string[]>;
  /** Every chat watching `address`, in chat order. */
  watchers(address: string): Promise<Watcher[]>;
  /**
   * Snapshots of up to 100 addresses. Watched addresses map to their snapshot, or to null if the
   * poller has not seen them yet; addresses nobody watches (any more) are absent.
   */
  snapshots(addresses: readonly string[]): Promise<Map<string, WatchSnapshot | null>>;
  /**
   * Moves the snapshot of a watched address to `lamports` and a new, higher version, if its
   * version is still `expectedVersion` (0: never seen), and makes the address hot for `HOT_MS`.
   * False when another writer moved it first or nobody watches the address any more; the
   * snapshot is not written then (the address may still turn hot).
   */
  updateSnapshot(address: string, expectedVersion: number, lamports: bigint): Promise<boolean>;
}

/** Addresses one `watch.check` handles: one `getMultipleAccounts` call (≤ 100 keys) and range reads of their snapshots. */
export const CHECK_BATCH = 100;
