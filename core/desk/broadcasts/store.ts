import type { Language } from '../../platform/i18n/index.js';
import type { BroadcastMessage } from './message.js';

export type BroadcastStatus = 'running' | 'cancelled' | 'done';
/** How one recipient's send ended. */
export type SendOutcome = 'sent' | 'blocked' | 'failed';

/** A broadcast and its counters. */
export interface Broadcast {
  readonly id: string;
  readonly message: BroadcastMessage;
  readonly adminChatId: number;
  readonly progressMessageId: number;
  readonly lang: Language;
  readonly status: BroadcastStatus;
  /** Active users when it started (what progress counts towards). */
  readonly total: number;
  /** Sends queued so far, and whether every page has been queued. */
  readonly queued: number;
  readonly pagingDone: boolean;
  readonly counts: Readonly<Record<SendOutcome, number>>;
  /** When progress was last edited in (ms; 0 before the first edit). */
  readonly progressAt: number;
}

export const settled = (b: Broadcast): number => b.counts.sent + b.counts.blocked + b.counts.failed;

/**
 * Broadcasts and their counters, shared by every notify container. Every write is idempotent
 * for its job: creating twice keeps the first, a page is counted once, and counters only move
 * through {@link BroadcastStore.count}, which a job calls once per completed send.
 */
export interface BroadcastStore {
  /** Creates the broadcast as running, unless it exists; returns it either way. */
  create(broadcast: Omit<Broadcast, 'status' | 'queued' | 'pagingDone' | 'counts' | 'progressAt'>): Promise<Broadcast>;
  get(id: string): Promise<Broadcast | undefined>;
  /** Adds a page's sends to `queued` (once per `page`); `last` marks paging done. */
  addPage(id: string, page: number, sends: number, last: boolean): Promise<void>;
  /** Counts one send's outcome and returns the broadcast after it. */
  count(id: string, outcome: SendOutcome): Promise<Broadcast>;
  /** Running → cancelled; false if it was not running. */
  cancel(id: string): Promise<boolean>;
  /** Running → done; true only for the one caller that made the change. */
  finish(id: string): Promise<boolean>;
  /** True for at most one caller per `intervalMs`: whoever may edit the progress message now. */
  claimProgress(id: string, intervalMs: number): Promise<boolean>;
}
