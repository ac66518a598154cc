import type { JobTranslate } from '../../desk/i18n.js';
import {
  emitFrom,
  handle,
  type JobEnvelope,
  type JobQueue,
  type OutgoingJob,
  sealJobs,
} from '../../platform/jobs/index.js';
import type { Logger } from '../../platform/log.js';
import type { TenantQuota } from '../../platform/quotas/index.js';
import { notice } from '../../platform/telegram/index.js';
import { jobTranslator } from '../i18n.js';
import type { SolanaGateway } from '../solana/index.js';
import { checkAddress, formatSol } from '../solana/index.js';
import { dueFirstCharacters, isDue } from './cadence.js';
import { WatchCheckJob, WatchPollJob } from './jobs.js';
import { CHECK_BATCH, type Watcher, type WatchSnapshot, type WatchStore } from './store.js';
import { watchlistHandlers } from './watchlist.js';

export interface WatchDeps {
  store: WatchStore;
  solana: SolanaGateway;
  /** Where checks (rpc queue) and notices (notify queue) go. */
  queue: JobQueue;
  /** Minutes between two scheduled polls (`solana.watchPollMinutes`). */
  pollMinutes: number;
  /** The bot's plan (`watchedAddresses`). */
  quota: TenantQuota;
  now?: () => Date;
}

/** Addresses asked of the store per page while polling (a page is one DynamoDB query). */
const LIST_PAGE = 1000;
/** Store calls a check keeps in flight (watcher lists, snapshot writes). */
const STORE_CONCURRENCY = 16;

/** A balance that moved since its snapshot. */
export interface BalanceChange {
  readonly address: string;
  readonly from: WatchSnapshot;
  readonly to: bigint;
}

/** The watcher's notice of a change, in their language (values are HTML-escaped by the jobTranslator). */
export function describeChange(t: JobTranslate, change: BalanceChange): string {
  const delta = change.to - change.from.lamports;
  return t('watch.changed', {
    address: change.address,
    old: formatSol(change.from.lamports),
    new: formatSol(change.to),
    delta: `${delta > 0n ? '+' : ''}${formatSol(delta)}`,
  });
}

/** Whether a change is big enough for a watcher: at least their threshold, up or down. */
export function passesThreshold(change: BalanceChange, watcher: Watcher): boolean {
  const delta = change.to - change.from.lamports;
  return (delta < 0n ? -delta : delta) >= watcher.thresholdLamports;
}

/**
 * The id of a watcher's notice of a change: the address, the snapshot version it moves away from
 * (never reused), the new balance and the chat. Every check that observes the same change, be it
 * a redelivery or an overlapping poll, emits the same id, so the notify queue drops the repeats
 * (FIFO dedupe, then the notify worker's per-id progress, which a notice alone in its batch does
 * not write: a repeat more than five minutes later is sent). At most 6+44+1+16+1+20+1+17+2 = 108 chars.
 */
export function noticeIdPrefix(change: BalanceChange, chatId: number): string {
  return `watch.${change.address}.${change.from.version}.${change.to}.${chatId}`;
}

/**
 * `watch.poll`: emits one `watch.check` per 100 of the addresses due at this poll (`isDue`: every
 * poll for an address that moved lately or was never seen, every 5 or 15 minutes for quiet ones),
 * in address order. It reads only what may be due: the hot addresses (`hotAddresses`), and the
 * spans of the watch list whose first characters are due for a quiet cadence
 * (`dueFirstCharacters`), about a fifth and a fifteenth of the list. The poll's time is its
 * envelope's (the schedule event's), and child ids derive from the poll's id (the EventBridge
 * event id), so a redelivered poll yields the same checks with the same ids; checks are
 * idempotent anyway, as the rpc queue is a standard queue.
 */
export function watchPollHandler(deps: WatchDeps) {
  return handle(WatchPollJob, async (job, log) => {
    const at = Date.parse(job.createdAt);
    const pollMs = deps.pollMinutes * 60_000;
    const hot = await deps.store.hotAddresses(at);
    const due = new Set(hot);
    let listed = 0;
    for (const span of dueFirstCharacters(at, pollMs)) {
      let cursor: string | undefined;
      do {
        const page = await deps.store.listAddresses(cursor, LIST_PAGE, span);
        listed += page.addresses.length;
        for (const address of page.addresses) {
          if (isDue(address, page.changedAt.get(address), at, pollMs)) due.add(address);
        }
        cursor = page.next;
      } while (cursor !== undefined);
    }
    const sorted = [...due].sort();
    const drafts = Array.from({ length: Math.ceil(sorted.length / CHECK_BATCH) }, (_, i) => ({
      job: WatchCheckJob,
      payload: { addresses: sorted.slice(i * CHECK_BATCH, (i + 1) * CHECK_BATCH) },
      chatId: null,
      userId: null,
    }));
    log.info('watch.polled', { hot: hot.length, listed, due: sorted.length, checks: drafts.length });
    await emitFrom(deps.queue, job, drafts, deps.now?.());
  });
}

/**
 * `watch.check`: one batch read of the snapshots, one `getAccounts` call for the addresses still
 * watched, then for each changed address a notice to every watcher whose threshold it passes. A
 * closed account counts as 0 lamports; a first sighting only records the balance.
 *
 * Notices are sent before the snapshots move, so a failure in between loses nothing: the retry
 * sees the same change and sends the same notice ids, which are dropped downstream. Once a
 * snapshot has moved, a redelivered check finds nothing changed and notifies nobody. The snapshot
 * write is a compare-and-set, so of two overlapping checks only one moves it.
 */
export function watchCheckHandler(deps: WatchDeps) {
  return handle(WatchCheckJob, async (job, log) => {
    const addresses = validAddresses(job.payload.addresses, log);
    const snapshots = await deps.store.snapshots(addresses);
    const watched = addresses.filter((address) => snapshots.has(address));
    if (watched.length === 0) return;
    const accounts = await deps.solana.getAccounts(watched);
    const seen = watched.map((address, index) => ({
      address,
      from: snapshots.get(address) ?? null,
      to: accounts[index]?.lamports ?? 0n,
    }));
    const changes = seen.filter((s): s is BalanceChange => s.from !== null && s.from.lamports !== s.to);
    const notices = (await mapLimit(changes, (change) => noticesOf(deps, job, change))).flat();
    if (notices.length > 0) await deps.queue.send(notices);
    const moves = seen.filter((s) => s.from === null || s.from.lamports !== s.to);
    const moved = await mapLimit(moves, (s) => deps.store.updateSnapshot(s.address, s.from?.version ?? 0, s.to));
    log.info('watch.checked', {
      addresses: watched.length,
      firstSightings: moves.length - changes.length,
      changes: changes.length,
      notices: notices.length,
      conflicts: moved.filter((ok) => !ok).length,
    });
  });
}

/** Every watch handler, for the rpc worker: polling and checking, and the users' watch lists. */
export function watchHandlers(deps: WatchDeps) {
  return [watchPollHandler(deps), watchCheckHandler(deps), ...watchlistHandlers(deps)] as const;
}

async function noticesOf(deps: WatchDeps, job: JobEnvelope, change: BalanceChange): Promise<OutgoingJob[]> {
  const watchers = (await deps.store.watchers(change.address)).filter((w) => passesThreshold(change, w));
  const now = deps.now?.() ?? new Date();
  return watchers.flatMap((watcher) =>
    sealJobs([notice(watcher.chatId, watcher.userId, describeChange(jobTranslator(watcher.lang), change))], {
      idPrefix: noticeIdPrefix(change, watcher.chatId),
      traceId: job.traceId,
      tenant: job.tenant,
      now,
    }),
  );
}

/** Unique, well-formed addresses; a malformed one (which would fail the whole RPC call) is logged and skipped. */
function validAddresses(addresses: readonly string[], log: Logger): string[] {
  const unique = [...new Set(addresses)];
  const valid = unique.filter((address) => checkAddress(address).ok);
  if (valid.length < unique.length) {
    log.warn('watch.invalid_addresses', { skipped: unique.filter((address) => !valid.includes(address)) });
  }
  return valid;
}

/** `items.map(fn)` with at most `STORE_CONCURRENCY` calls in flight, results in order. */
async function mapLimit<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(STORE_CONCURRENCY, items.length) }, worker));
  return results;
}
