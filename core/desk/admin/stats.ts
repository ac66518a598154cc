/**
 * The admins' `/stats`: how many users the desk has, how deep its queues are, how its Solana RPC
 * endpoints and Telegram have been answering. The webhook only queues `admin.stats`; the rpc
 * worker (which holds the table, the RPC pool and, alone, the right to read queue attributes)
 * gathers the figures and posts them to the admin chat as one message.
 */

import * as z from 'zod/mini';
import type { JobTranslate } from '../../desk/i18n.js';
import { ConfigError, describeError } from '../../platform/errors.js';
import { LANGUAGES } from '../../platform/i18n/index.js';
import type { InspectedQueues, QueueDepth, QueueDepths } from '../../platform/jobs/index.js';
import { defineJob, emitFrom, handle, type JobDraft, type JobQueue } from '../../platform/jobs/index.js';
import type { Logger } from '../../platform/log.js';
import type { RpcPoolStats } from '../../platform/rpc/index.js';
import { notice } from '../../platform/telegram/index.js';
import { jobTranslator } from '../i18n.js';
import { ENV, QUEUE_NAMES, type QueueName } from '../settings.js';
import { assertAdmin } from './access.js';

/** `admin.stats`: an admin asked for `/stats` in the admin chat (the job's chat); answered in `lang`. */
export const AdminStatsJob = defineJob('admin.stats', 'rpc', () => z.object({ lang: z.enum(LANGUAGES) }));

/**
 * `user.seen`: the job's user was active at the job's `createdAt`. The webhook queues it at most
 * once per {@link SEEN_EVERY_MS} per session (see {@link seenDue}), so "active in the last 24 h"
 * is exact to within that.
 */
export const UserSeenJob = defineJob('user.seen', 'rpc', () => z.object({}));

/** How often a session reports its user as seen: the precision of "active in the last 24 h". */
export const SEEN_EVERY_MS = 3_600_000;
/** A session's `seenAt` further ahead of the clock than this is not trusted (it reports again). */
const SEEN_CLOCK_SKEW_MS = 60_000;

/**
 * Whether a session last reported at `seenAt` (ms; undefined: never) should report its user as
 * seen now, i.e. queue {@link userSeen} and remember `now`.
 */
export function seenDue(seenAt: number | undefined, now: number): boolean {
  return seenAt === undefined || now - seenAt >= SEEN_EVERY_MS || seenAt - now > SEEN_CLOCK_SKEW_MS;
}

/** The `user.seen` job of `userId`. */
export function userSeen(userId: number): JobDraft {
  return { job: UserSeenJob, payload: {}, chatId: null, userId };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** What the counters count: Solana RPC attempts per endpoint, and Telegram's 429s. */
export type CounterSeries = 'rpc' | 'telegram';

/** Counter values by name (`calls`, `rateLimited`…). */
export type Counts = Readonly<Record<string, number>>;

/**
 * Operational counters shared by every container, kept in hourly buckets for a few days.
 * Adding is commutative (concurrent containers never lose each other's counts) but not
 * idempotent: a delta added twice counts twice, so each container adds only the differences of
 * its own counters, once. Counts are for admins' eyes, not for money: an add that failed after
 * it landed may be counted again when it is retried.
 */
export interface StatsCounters {
  /** Adds `deltas` to the counters of (`series`, `key`) in the hour holding `at` (ms). */
  add(series: CounterSeries, key: string, deltas: Counts, at: number): Promise<void>;
  /** Totals per key over the hourly buckets from the one holding `since` (ms) on. */
  totals(series: CounterSeries, since: number): Promise<ReadonlyMap<string, Counts>>;
}

/**
 * Who was active lately, one entry per user with the last time seen. Recording is idempotent and
 * order-free: an older time never replaces a newer one.
 */
export interface SeenUsers {
  /** Records that `userId` was active at `at` (ms). */
  seen(userId: number, at: number): Promise<void>;
  /** Users seen at or after `since` (ms). */
  countSince(since: number): Promise<number>;
}

/**
 * The URLs of every queue and DLQ, from the environment the stack gives the function that
 * inspects queues (`FunctionWiring.inspectsQueues`). A missing or malformed one fails the cold
 * start with the variable's name.
 */
export function inspectedQueuesConfig(env: Readonly<Record<string, string | undefined>>): InspectedQueues {
  const problems: string[] = [];
  const url = (name: string): string => {
    const value = env[name];
    if (!value || !z.url().safeParse(value).success) problems.push(`${name}: a queue URL`);
    return value ?? '';
  };
  const queues = Object.fromEntries(
    QUEUE_NAMES.map((q) => [q, { url: url(ENV.queueUrl[q]), deadLetterUrl: url(ENV.deadLetterQueueUrls[q]) }]),
  ) as Record<QueueName, { url: string; deadLetterUrl: string }>;
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  return queues;
}

/** The RPC counters of one endpoint, as flushed and as shown. */
const RPC_COUNTERS = ['calls', 'successes', 'rateLimited', 'failures'] as const;
/** The key Telegram 429s are counted under. */
export const TELEGRAM_COUNTER_KEY = 'bot';

/** An endpoint's counters in the pool's stats, under the key `/stats` shows (`#<index> <origin>`). */
function rpcTotals(stats: RpcPoolStats): Map<string, Record<(typeof RPC_COUNTERS)[number], number>> {
  return new Map(
    stats.endpoints.map((e) => [
      `#${e.index} ${e.url}`,
      {
        calls: e.calls,
        successes: e.successes,
        rateLimited: e.rateLimited,
        failures: Object.values(e.failures).reduce((sum, n) => sum + n, 0),
      },
    ]),
  );
}

export interface RpcCounterFlusherDeps {
  /** The container's RPC pool counters (cumulative since the container started). */
  stats: () => RpcPoolStats;
  counters: Pick<StatsCounters, 'add'>;
  log: Logger;
  now?: () => number;
}

/**
 * Moves a container's RPC pool counters into the shared {@link StatsCounters}: each flush adds,
 * per endpoint, what the pool counted since the last flush that landed. Flushes never throw (the
 * counters are not worth failing a job for) and never overlap; what a failed one did not add is
 * added by the next. The rpc worker flushes about once a minute, so a container recycled between
 * flushes loses up to a minute of its counts.
 */
export function rpcCounterFlusher(deps: RpcCounterFlusherDeps) {
  const now = deps.now ?? Date.now;
  const flushed = new Map<string, Counts>();
  let running: Promise<void> = Promise.resolve();

  async function flushNow(): Promise<void> {
    let endpoints: ReturnType<typeof rpcTotals>;
    try {
      endpoints = rpcTotals(deps.stats());
    } catch (error) {
      deps.log.warn('stats.flush_failed', { error: describeError(error) });
      return;
    }
    for (const [key, totals] of endpoints) {
      const before = flushed.get(key) ?? {};
      const deltas = Object.fromEntries(RPC_COUNTERS.map((name) => [name, totals[name] - (before[name] ?? 0)]));
      if (Object.values(deltas).every((delta) => delta === 0)) continue;
      try {
        await deps.counters.add('rpc', key, deltas, now());
        flushed.set(key, totals);
      } catch (error) {
        deps.log.warn('stats.flush_failed', { endpoint: key, error: describeError(error) });
      }
    }
  }

  return {
    /** Adds what the pool counted since the last flush (after any flush in progress). */
    flush(): Promise<void> {
      running = running.then(flushNow);
      return running;
    },
  };
}

export type RpcCounterFlusher = ReturnType<typeof rpcCounterFlusher>;

/** What `/stats` shows; a figure that could not be read is undefined (shown as "—"). */
export interface StatsSnapshot {
  /** Users in the directory who have not blocked the bot (nor been blocked by an admin). */
  readonly activeUsers?: number;
  /** Every user who ever started the bot. */
  readonly allUsers?: number;
  /** Users seen in the last 24 h. */
  readonly seenLastDay?: number;
  readonly queues?: readonly QueueDepth[];
  /** Per endpoint over the last 24 h, by key (`#<index> <origin>`). */
  readonly rpc?: ReadonlyMap<string, Counts>;
  /** Telegram 429s over the last 24 h. */
  readonly telegramRateLimited?: number;
  /** Verified wallets, all users. */
  readonly wallets?: number;
  /** Deposits found and not decided yet. */
  readonly pendingDeposits?: number;
  /** Payouts requested, approved or sent, not final yet. */
  readonly openPayouts?: number;
}

/**
 * The `/stats` message (Telegram HTML; every figure and endpoint escaped by the jobTranslator).
 * Verified wallets, pending deposits and open payouts are gauges moved in the same transactions
 * as the changes they count (no table scan).
 */
export function renderStats(t: JobTranslate, s: StatsSnapshot): string {
  const unknown = t('stats.unknown');
  const figure = (n: number | undefined) => (n === undefined ? unknown : String(n));
  const lines = [
    t('stats.title'),
    t('stats.users', { total: figure(s.allUsers), active: figure(s.activeUsers), seen: figure(s.seenLastDay) }),
    t('stats.wallets', { count: figure(s.wallets) }),
    t('stats.pending', { deposits: figure(s.pendingDeposits), payouts: figure(s.openPayouts) }),
    '',
    t('stats.queues'),
  ];
  if (!s.queues) lines.push(unknown);
  for (const q of s.queues ?? []) {
    lines.push(t(q.dead > 0 ? 'stats.queue_dead' : 'stats.queue', { ...q }));
  }
  lines.push('', t('stats.rpc'));
  if (!s.rpc) lines.push(unknown);
  else if (s.rpc.size === 0) lines.push(t('stats.rpc_none'));
  for (const [endpoint, c] of s.rpc ?? []) {
    lines.push(
      t('stats.rpc_endpoint', {
        endpoint,
        calls: c.calls ?? 0,
        rateLimited: c.rateLimited ?? 0,
        failures: c.failures ?? 0,
      }),
    );
  }
  lines.push('', t('stats.telegram', { count: figure(s.telegramRateLimited) }), '', t('stats.footnote'));
  return lines.join('\n');
}

export interface StatsDeps {
  /** The admins (`ADMIN_USER_IDS`): only their `admin.stats` runs. */
  admins: ReadonlySet<number>;
  /** The user directory (`DynamoUserDirectory`): users who have not blocked the bot. */
  users: { countActive(): Promise<number>; countAll(): Promise<number> };
  seen: Pick<SeenUsers, 'countSince'>;
  queues: QueueDepths;
  counters: Pick<StatsCounters, 'totals'>;
  /** Deposits waiting for an admin, and payouts not final yet. */
  pending: { deposits(): Promise<number>; payouts(): Promise<number> };
  /** Verified wallets, all users. */
  wallets: () => Promise<number>;
  /** Where the answer goes: the notify queue. */
  queue: JobQueue;
  /** Adds this container's unflushed counts first, so the figures include the asker's own container. */
  flush?: () => Promise<void>;
  now?: () => number;
}

/**
 * `admin.stats`: reads every figure at once and posts one message to the job's chat (the admin
 * chat, where the webhook took the command). A figure whose source fails shows as "—" and is
 * logged; the rest still answer. Other containers' counts of the last minute may be missing
 * (they flush about once a minute). A redelivered job posts the same message id again, which the
 * notify queue's deduplication drops within its five-minute window.
 */
export function adminStatsHandler(deps: StatsDeps) {
  const now = deps.now ?? Date.now;
  return handle(AdminStatsJob, async (job, log) => {
    assertAdmin(deps.admins, job);
    if (job.chatId === null) return;
    await deps.flush?.();
    const since = now() - DAY_MS;
    const read = async <T>(figure: string, get: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await get();
      } catch (error) {
        log.warn('stats.figure_failed', { figure, error: describeError(error) });
        return undefined;
      }
    };
    const [activeUsers, allUsers, seenLastDay, queues, rpc, telegram, pendingDeposits, openPayouts, wallets] =
      await Promise.all([
        read('users', () => deps.users.countActive()),
        read('all users', () => deps.users.countAll()),
        read('seen', () => deps.seen.countSince(since)),
        read('queues', () => deps.queues.read()),
        read('rpc', () => deps.counters.totals('rpc', since)),
        read('telegram', () => deps.counters.totals('telegram', since)),
        read('deposits', () => deps.pending.deposits()),
        read('payouts', () => deps.pending.payouts()),
        read('wallets', () => deps.wallets()),
      ]);
    const html = renderStats(jobTranslator(job.payload.lang), {
      activeUsers,
      allUsers,
      seenLastDay,
      queues,
      rpc,
      telegramRateLimited: telegram && (telegram.get(TELEGRAM_COUNTER_KEY)?.rateLimited ?? 0),
      pendingDeposits,
      openPayouts,
      wallets,
    });
    await emitFrom(deps.queue, job, [notice(job.chatId, job.userId, html)]);
  });
}

/** `user.seen`: records the job's user as seen when the job was made (the update, not the delivery). */
export function userSeenHandler(seen: Pick<SeenUsers, 'seen'>) {
  return handle(UserSeenJob, async (job) => {
    if (job.userId === null) return;
    await seen.seen(job.userId, Date.parse(job.createdAt));
  });
}
