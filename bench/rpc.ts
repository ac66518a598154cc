import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Connection, PublicKey } from '@solana/web3.js';
import { WalletBalanceJob } from '../core/desk/wallets/index.js';
import { DynamoWatchStore } from '../core/desk/watches/index.js';
import { type JobDraft, sealJobs } from '../core/platform/jobs/index.js';
import { scopeToTenant } from '../core/platform/tenants/index.js';
import {
  type DownMode,
  type LocalStack,
  type LogLine,
  localClientConfig,
  type RpcCall,
  startLocalStack,
} from '../local/index.js';

import { runNaive } from './naive.js';
import { formatNumber as fixed, goalRow, type Row, ratioRow } from './stats.js';

/**
 * The RPC pool under load, on one local stack with functions (the rpc worker runs with the
 * stage's `maxConcurrency` containers, each holding `R ÷ maxConcurrency` of each endpoint's cap).
 * Every figure is measured at the Solana peer, which sees every call, or from the workers' own
 * `job.done` log lines; baselines are measured in the same run.
 */
export interface RpcBenchOptions {
  /** R: calls per second each of the peer's two endpoints allows (`setRateLimit`), and the cap the stack declares. */
  readonly rps: number;
  /** `wallet.balance` jobs per burst, one distinct address each (and the naive baseline's queries). */
  readonly burstJobs: number;
  /** `wallet.balance` jobs for one single address in the cache scenario. */
  readonly cacheJobs: number;
  /** Addresses watched in the watch poll scenario. */
  readonly watchAddresses: number;
}

export const DEFAULT_RPC_BENCH: RpcBenchOptions = {
  // A common paid provider tier, and a combined cap (2R = 50 calls/s) this 2-core machine's local
  // stack can feed: at R = 150 the local queue, functions and table carry only 65–90 calls/s in
  // all, so the figures measured the machine, not how the pool uses a cap (`BENCH_RPC_RPS` sets R).
  rps: 25,
  burstJobs: 2_000,
  cacheJobs: 1_000,
  watchAddresses: 10_000,
};

/** Calls one `wallet.balance` of one address makes: getAccountInfo, getTokenAccountsByOwner × 2 (Token, Token-2022). */
const CALLS_PER_BALANCE = 3;
/** A wait for jobs ends when none has finished for this long (a failed job comes back only after the visibility timeout). */
const STALL_MS = 30_000;
const POLL_MS = 100;
/** The group that watches every address in the watch scenario (groups are known to the Telegram peer at once). */
const WATCH_GROUP_ID = -1_002_000_000_001;
/** Balances changed between the two watch polls. */
const WATCH_CHANGES = 5;
const SEED_CONCURRENCY = 32;
/**
 * Jobs run (and not measured) before the healthy burst, at least one batch per rpc container: the
 * first burst would otherwise pay every container's cold start (and the JIT's warm-up) that the
 * bursts after it do not.
 */
const WARM_UP_JOBS = 100;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- what the workers log -----------------------------------------------------------------------------

/** The fields of a worker log line this benchmark reads. */
interface WorkerEvent {
  event?: string;
  time?: string;
  correlationId?: string;
  checks?: number;
  changes?: number;
  error?: { message?: string };
  kind?: string;
}

/** `a.b.c` → `a.b`: job ids are `<prefix>.<index>`, and a watch poll's checks are `<poll id>.<index>`. */
const prefixOf = (id: string): string => id.slice(0, Math.max(0, id.lastIndexOf('.')));

/**
 * Reads the functions' JSON log lines instead of printing them: which jobs finished (`job.done`,
 * each id once however often it was delivered), when the last of each id prefix finished, the
 * watch polls and their checks, and how often every other event occurred (429s seen by the pool,
 * failovers, failed jobs).
 */
class WorkerLog {
  private readonly done = new Set<string>();
  private readonly doneByPrefix = new Map<string, { count: number; lastAt: number }>();
  private readonly changesByPrefix = new Map<string, number>();
  /** Watch polls by id: how many checks each emitted, and when. */
  readonly polls = new Map<string, { checks: number; at: number }>();
  readonly events = new Map<string, number>();
  /** The first error message (or failure kind) logged with each event, for the notes. */
  readonly samples = new Map<string, string>();

  readonly onLine = (line: LogLine): void => {
    if (!line.line.startsWith('{') || !/"event":"(job|watch|solana)\./.test(line.line)) return;
    let entry: WorkerEvent;
    try {
      entry = JSON.parse(line.line) as WorkerEvent;
    } catch {
      return;
    }
    if (entry.event === undefined) return;
    this.events.set(entry.event, (this.events.get(entry.event) ?? 0) + 1);
    const detail = entry.error?.message ?? entry.kind;
    if (detail !== undefined && !this.samples.has(entry.event)) this.samples.set(entry.event, detail.slice(0, 120));
    const id = entry.correlationId;
    if (id === undefined) return;
    const at = entry.time ? Date.parse(entry.time) : Date.now();
    if (entry.event === 'job.done') this.jobDone(id, at);
    if (entry.event === 'watch.polled') this.polls.set(id, { checks: entry.checks ?? 0, at });
    if (entry.event === 'watch.checked') {
      const prefix = prefixOf(id);
      this.changesByPrefix.set(prefix, (this.changesByPrefix.get(prefix) ?? 0) + (entry.changes ?? 0));
    }
  };

  private jobDone(id: string, at: number): void {
    if (this.done.has(id)) return;
    this.done.add(id);
    const prefix = prefixOf(id);
    const entry = this.doneByPrefix.get(prefix) ?? { count: 0, lastAt: 0 };
    entry.count += 1;
    entry.lastAt = Math.max(entry.lastAt, at);
    this.doneByPrefix.set(prefix, entry);
  }

  /** Distinct jobs `<prefix>.<n>` finished so far, and when the last one did (ms, 0 if none). */
  finished(prefix: string): { count: number; lastAt: number } {
    return this.doneByPrefix.get(prefix) ?? { count: 0, lastAt: 0 };
  }

  /** Balance changes the checks of one poll saw. */
  changes(pollId: string): number {
    return this.changesByPrefix.get(pollId) ?? 0;
  }

  /** Event counts now, to subtract from a later snapshot. */
  snapshot(): Map<string, number> {
    return new Map(this.events);
  }

  /** Events logged since `before`, the noteworthy ones only (failures, 429s seen, breakers). */
  since(before: Map<string, number>): Record<string, number> {
    const noteworthy = /^(job\.(failed|poison|parked|park_failed)|solana\.rpc\.(?!cache_hit).*)$/;
    const out: Record<string, number> = {};
    for (const [event, count] of this.events) {
      const delta = count - (before.get(event) ?? 0);
      if (delta > 0 && noteworthy.test(event)) out[event] = delta;
    }
    return out;
  }
}

// ---- what the peer saw --------------------------------------------------------------------------------

/** One endpoint's traffic in a scenario, as the peer received it (429s included: they are load too). */
export interface EndpointTraffic {
  readonly calls: number;
  /** Calls answered 429. */
  readonly rateLimited: number;
  /** Most calls that arrived within any 1,000 ms (the peer's own window), answered or not. */
  readonly busiest: number;
}

/** Most arrival times (sorted, ms) within any window of `windowMs`: `[t, t + windowMs)`. */
export function busiestWindow(times: readonly number[], windowMs = 1_000): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

function trafficOf(calls: readonly RpcCall[], endpoint: number): EndpointTraffic {
  const mine = calls.filter((call) => call.endpoint === endpoint);
  return {
    calls: mine.length,
    rateLimited: mine.filter((call) => call.outcome.kind === 'rateLimited').length,
    busiest: busiestWindow(mine.map((call) => call.at).sort((a, b) => a - b)),
  };
}

/** Calls the peer received since `since` (ms). */
const callsSince = (stack: LocalStack, since: number): RpcCall[] => stack.solana.calls().filter((c) => c.at >= since);

/** From the first to the last call (seconds; at least one window, so a short burst is not inflated). */
function activeSeconds(calls: readonly RpcCall[]): number {
  if (calls.length === 0) return 1;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const call of calls) {
    first = Math.min(first, call.at);
    last = Math.max(last, call.at);
  }
  return Math.max(1, (last - first) / 1000);
}

/** Every endpoint healthy, no latency, capped at `rps`; the caps' windows forgotten. */
async function resetPeer(stack: LocalStack, rps: number): Promise<void> {
  for (let index = 0; index < stack.solana.urls.length; index++) {
    const endpoint = stack.solana.endpoint(index);
    await endpoint.setDown(false);
    endpoint.setLatency(0);
    endpoint.setRateLimit(rps);
  }
}

// ---- jobs ---------------------------------------------------------------------------------------------

/** Distinct, syntactically valid (32-byte, base58) addresses; unfunded, so each reads as an empty wallet. */
function randomAddresses(n: number): string[] {
  return Array.from({ length: n }, () => new PublicKey(randomBytes(32)).toBase58());
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Puts one `wallet.balance` job per address (no chat: nothing to answer) on the stack's rpc queue for its bot, ids `<prefix>.<n>`. */
async function enqueueBalances(
  sqs: SQSClient,
  stack: LocalStack,
  addresses: readonly string[],
  prefix: string,
): Promise<void> {
  const drafts: JobDraft[] = addresses.map((address) => ({
    job: WalletBalanceJob,
    payload: { addresses: [address], lang: 'en' },
    chatId: null,
    userId: null,
  }));
  const jobs = sealJobs(drafts, { idPrefix: prefix, traceId: prefix, tenant: String(stack.bot.id), now: new Date() });
  const batches: (typeof jobs)[] = [];
  for (let start = 0; start < jobs.length; start += 10) batches.push(jobs.slice(start, start + 10));
  await eachLimit(batches, 8, async (batch) => {
    const { Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.sqs.queueUrls.rpc,
        Entries: batch.map((job, i) => ({ Id: String(i), MessageBody: JSON.stringify(job.envelope) })),
      }),
    );
    if (Failed.length > 0) throw new Error(`SendMessageBatch refused ${Failed.length} job(s)`);
  });
}

/**
 * Waits until `progress()` reaches `target()` (re-read each time: more work may show up), or has
 * not moved for `STALL_MS`; the last progress seen.
 */
async function waitForProgress(progress: () => number, target: () => number): Promise<number> {
  let last = progress();
  let movedAt = Date.now();
  while (last < target() && Date.now() - movedAt < STALL_MS) {
    await sleep(POLL_MS);
    const now = progress();
    if (now !== last) movedAt = Date.now();
    last = now;
  }
  return last;
}

async function dlqDepth(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

// ---- scenarios ----------------------------------------------------------------------------------------

/** What a scenario runs against. */
interface Bench {
  readonly stack: LocalStack;
  readonly log: WorkerLog;
  readonly sqs: SQSClient;
  readonly options: RpcBenchOptions;
  /** When the stack (and so its watch poll schedule) started, ms. */
  readonly startedAt: number;
}

/** One burst of `wallet.balance` jobs, measured at the peer and in the workers' logs. */
export interface BurstResult {
  readonly jobs: number;
  /** Distinct jobs that logged `job.done`. */
  readonly completed: number;
  /** From the first enqueue to the last `job.done`. */
  readonly wallMs: number;
  /** Rpc queue messages deleted by the pollers meanwhile (a job parked in the DLQ is deleted too). */
  readonly deleted: number;
  /** Messages that entered the rpc DLQ meanwhile. */
  readonly dlq: number;
  readonly endpoints: readonly EndpointTraffic[];
  readonly calls: number;
  /** Seconds from the first to the last call at the peer. */
  readonly activeSeconds: number;
  /** Noteworthy worker log events (see `WorkerLog.since`). */
  readonly events: Record<string, number>;
  /**
   * Event-loop delay of this process (ms, p99 and max) during the burst: the peer, SQS and DynamoDB
   * all run on it, so a stall here delays the stamping of arriving calls and bunches them.
   */
  readonly loopDelayMs: { readonly p99: number; readonly max: number };
}

const rpcDeleted = (stack: LocalStack): number => stack.runner?.stats().queues.rpc?.deleted ?? 0;

/** Enqueues one `wallet.balance` job per address at once and waits until they are all done (or stall). */
async function runBurst(bench: Bench, addresses: readonly string[], prefix: string): Promise<BurstResult> {
  const { stack, log, sqs } = bench;
  const before = {
    deleted: rpcDeleted(stack),
    dlq: await dlqDepth(sqs, stack.sqs.dlqUrls.rpc),
    events: log.snapshot(),
  };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const started = Date.now();
  await enqueueBalances(sqs, stack, addresses, prefix);
  const completed = await waitForProgress(
    () => log.finished(prefix).count,
    () => addresses.length,
  );
  loop.disable();
  if (completed === 0) throw new Error(`${prefix}: not one of ${addresses.length} jobs finished`);
  const calls = callsSince(stack, started);
  return {
    jobs: addresses.length,
    completed,
    wallMs: Math.max(1, log.finished(prefix).lastAt - started),
    deleted: rpcDeleted(stack) - before.deleted,
    dlq: (await dlqDepth(sqs, stack.sqs.dlqUrls.rpc)) - before.dlq,
    endpoints: stack.solana.urls.map((_, index) => trafficOf(calls, index)),
    calls: calls.length,
    activeSeconds: activeSeconds(calls),
    events: log.since(before.events),
    loopDelayMs: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
  };
}

/** 1,000 balance jobs for one address, all within the cache window: calls made per distinct read. */
export interface CacheResult {
  readonly jobs: number;
  readonly completed: number;
  readonly calls: number;
  /** getAccountInfo + getTokenAccountsByOwner for Token and for Token-2022. */
  readonly distinctReads: number;
  readonly wallMs: number;
}

async function runCache(bench: Bench): Promise<CacheResult> {
  const address = randomAddresses(1)[0]!;
  const jobs = bench.options.cacheJobs;
  const prefix = 'bench-cache';
  const started = Date.now();
  const same = Array.from({ length: jobs }, () => address);
  await enqueueBalances(bench.sqs, bench.stack, same, prefix);
  const completed = await waitForProgress(
    () => bench.log.finished(prefix).count,
    () => jobs,
  );
  return {
    jobs,
    completed,
    calls: callsSince(bench.stack, started).length,
    distinctReads: CALLS_PER_BALANCE,
    wallMs: bench.log.finished(prefix).lastAt - started,
  };
}

/** The second of two watch polls over `addresses` watched addresses, a few balances changed in between. */
export interface WatchResult {
  readonly addresses: number;
  readonly seedMs: number;
  readonly firstPollMs: number;
  /** Polls that ran in the measured window (1, or 2 if the 1-minute schedule fired meanwhile). */
  readonly polls: number;
  readonly checks: number;
  readonly checksDone: number;
  readonly getMultipleAccounts: number;
  /** From `watchPoll()` to the last check done. */
  readonly wallMs: number;
  readonly changed: number;
  readonly changesSeen: number;
  /** The same reads made directly: `getMultipleAccounts` of 100 keys, 5 in flight, on endpoint 0. */
  readonly directMs: number;
}

/** Seeds one watcher (the bench group) per address, through the store the workers use. */
async function seedWatchers(stack: LocalStack, addresses: readonly string[]): Promise<number> {
  const store = new DynamoWatchStore({
    client: scopeToTenant(new DynamoDBClient(localClientConfig(stack.dynamodb.endpoint)), String(stack.bot.id)),
    tableName: stack.dynamodb.tableName,
  });
  stack.telegram.group(WATCH_GROUP_ID, 'Bench watchers');
  const started = performance.now();
  const watcher = { chatId: WATCH_GROUP_ID, userId: 1, lang: 'en' as const, thresholdLamports: 0n };
  await eachLimit(addresses, SEED_CONCURRENCY, (address) => store.addWatcher(address, watcher));
  return performance.now() - started;
}

/** The watch polls that started since `since` (ms), with their checks. */
interface PollRound {
  readonly polls: string[];
  readonly checks: number;
  readonly done: number;
  /** When the last of their checks finished. */
  readonly lastAt: number;
}

/** Waits until at least one poll has started since `since` and every such poll has had all its checks done. */
async function settlePolls(log: WorkerLog, since: number): Promise<PollRound> {
  const polls = () => [...log.polls].filter(([, poll]) => poll.at >= since);
  const checks = () => polls().reduce((sum, [, poll]) => sum + poll.checks, 0);
  const done = () => polls().reduce((sum, [id]) => sum + log.finished(id).count, 0);
  await waitForProgress(
    () => polls().length,
    () => 1,
  );
  await waitForProgress(done, checks);
  const ids = polls().map(([id]) => id);
  return { polls: ids, checks: checks(), done: done(), lastAt: Math.max(...ids.map((id) => log.finished(id).lastAt)) };
}

/** `stack.watchPoll()`, then waits for it (and for any scheduled poll that started meanwhile) to finish. */
async function pollAndWait(bench: Bench): Promise<PollRound> {
  const since = Date.now();
  await bench.stack.watchPoll();
  return settlePolls(bench.log, since);
}

/**
 * The local schedule puts a `watch.poll` on the rpc queue every `watchPollMinutes` from the stack's
 * start. If it is due within `quietMs`, lets it fire and finish first, so the measured poll runs alone.
 */
async function avoidScheduledPoll(bench: Bench, quietMs: number): Promise<void> {
  const period = bench.stack.settings.solana.watchPollMinutes * 60_000;
  const now = Date.now();
  const due = bench.startedAt + Math.ceil((now - bench.startedAt) / period) * period;
  if (due - now > quietMs) return;
  await sleep(due - now);
  await settlePolls(bench.log, due - 2_000);
}

/** The baseline of the watch poll: its 100-key reads made directly, 5 in flight, a 429 retried after 1 s. */
async function directReads(url: string, addresses: readonly string[]): Promise<number> {
  const connection = new Connection(url, { commitment: 'confirmed', disableRetryOnRateLimit: true });
  const chunks: PublicKey[][] = [];
  for (let start = 0; start < addresses.length; start += 100) {
    chunks.push(addresses.slice(start, start + 100).map((address) => new PublicKey(address)));
  }
  const started = performance.now();
  await eachLimit(chunks, 5, async (keys) => {
    for (;;) {
      try {
        await connection.getMultipleAccountsInfo(keys);
        return;
      } catch {
        await sleep(1_000);
      }
    }
  });
  return performance.now() - started;
}

async function runWatch(bench: Bench): Promise<WatchResult> {
  const { stack, options } = bench;
  const addresses = randomAddresses(options.watchAddresses);
  const seedMs = await seedWatchers(stack, addresses);
  const firstStarted = Date.now();
  const first = await pollAndWait(bench);
  await avoidScheduledPoll(bench, 10_000);
  const changed = addresses.slice(0, WATCH_CHANGES);
  for (const address of changed) await stack.solana.svm.airdrop(address, 1_000_000_000n);
  await resetPeer(stack, options.rps);
  const started = Date.now();
  const second = await pollAndWait(bench);
  const calls = callsSince(stack, started).filter((call) => call.method === 'getMultipleAccounts');
  await sleep(1_100); // let the peer's window forget the poll before the baseline reads
  const directMs = await directReads(stack.solana.urls[0]!, addresses);
  return {
    addresses: addresses.length,
    seedMs,
    firstPollMs: first.lastAt - firstStarted,
    polls: second.polls.length,
    checks: second.checks,
    checksDone: second.done,
    getMultipleAccounts: calls.length,
    wallMs: second.lastAt - started,
    changed: changed.length,
    changesSeen: second.polls.reduce((sum, id) => sum + bench.log.changes(id), 0),
    directMs,
  };
}

// ---- rows ---------------------------------------------------------------------------------------------

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');

/** A ratio whose goal is a range (e.g. the busiest second ÷ R within 0.9–1.0). */
function rangeRow(figure: string, value: number, baseline: number, unit: string, low: number, high: number): Row {
  return goalRow(figure, value, baseline, unit, { label: `${low}–${high}×`, met: (r) => r >= low && r <= high });
}

/** A ratio that should be at least `goal` (throughput, success rate). */
function atLeastRow(figure: string, value: number, baseline: number, unit: string, goal: number): Row {
  return goalRow(figure, value, baseline, unit, { label: `≥ ${goal}×`, met: (r) => r >= goal });
}

/** A count that should be at most `max` (429s, jobs lost), shown against what it is a part of. */
function countRow(figure: string, value: number, baseline: number, baselineLabel: string, max = 0): Row {
  return {
    figure,
    value: count(value),
    baseline: `${count(baseline)} ${baselineLabel}`,
    ratio: value / baseline,
    goal: `${max === 0 ? '= 0' : `≤ ${count(max)}`} ${verdict(value <= max)}`,
  };
}

/** A ratio printed for information (no goal was set for it). */
function infoRow(figure: string, value: number, baseline: number, unit: string, baselineLabel = ''): Row {
  return {
    figure,
    value: `${fixed(value)} ${unit}`,
    baseline: `${fixed(baseline)} ${unit}${baselineLabel}`,
    ratio: value / baseline,
    goal: 'info',
  };
}

const jobsPerSecond = (burst: BurstResult): number => burst.completed / (burst.wallMs / 1000);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const answered429 = (burst: BurstResult): number => burst.endpoints.reduce((sum, e) => sum + e.rateLimited, 0);

/**
 * The healthy burst. RPC calls ÷ the 3 per job it needs (above 1: re-sent calls); per endpoint the
 * busiest 1-s window of arrivals ÷ R (goal 0.9–1.0: the cap used, never passed) and the average
 * rate over the active span ÷ R (each call goes to the endpoint that can start it soonest, endpoint
 * 0, preferred, when both can start it at once, so both fill up); all endpoints ÷ 2R; 429s the peer answered; jobs not done when the wait
 * ended (a failed job returns only after the 180 s visibility timeout); jobs/s ÷ the 2R/3 ceiling.
 */
function healthyRows(burst: BurstResult, rps: number): Row[] {
  const tag = `burst ${count(burst.jobs)} jobs`;
  const capacity = rps * burst.endpoints.length;
  return [
    ratioRow(`${tag}: RPC calls ÷ calls needed`, burst.calls, burst.jobs * CALLS_PER_BALANCE, 'calls', 1),
    ...burst.endpoints.map((e, i) =>
      rangeRow(`${tag}: busiest 1 s, endpoint ${i} ÷ R`, e.busiest, rps, 'calls', 0.9, 1),
    ),
    ...burst.endpoints.map((e, i) =>
      infoRow(`${tag}: avg rate, endpoint ${i} ÷ R`, e.calls / burst.activeSeconds, rps, 'calls/s'),
    ),
    infoRow(
      `${tag}: avg rate, all ÷ ${burst.endpoints.length}R`,
      burst.calls / burst.activeSeconds,
      capacity,
      'calls/s',
    ),
    countRow(`${tag}: 429s answered`, answered429(burst), burst.calls, 'calls'),
    countRow(
      `${tag}: jobs lost (DLQ +${burst.dlq}, deleted ${count(burst.deleted)})`,
      burst.jobs - burst.completed,
      burst.jobs,
      'jobs',
    ),
    infoRow(
      `${tag}: throughput (wall ${seconds(burst.wallMs)}) ÷ 2R/3`,
      jobsPerSecond(burst),
      capacity / CALLS_PER_BALANCE,
      'jobs/s',
    ),
  ];
}

/** How endpoint 0 is down in a failover burst: each outage a provider can have. */
const OUTAGES: readonly Exclude<DownMode, false>[] = ['refuse', 'hang', '503'];
const OUTAGE_LABELS: Readonly<Record<Exclude<DownMode, false>, string>> = {
  refuse: 'refusing connections',
  hang: 'hanging',
  '503': 'answering 503',
};

/**
 * The same jobs with endpoint 0 down (`mode`): jobs done ÷ enqueued (must be 1), the survivor's
 * busiest second ÷ R, 429s, and jobs/s ÷ the healthy run's (one endpoint of two left: about 0.5
 * when the healthy run filled both).
 */
function downRows(mode: Exclude<DownMode, false>, down: BurstResult, healthy: BurstResult, rps: number): Row[] {
  const tag = `burst, endpoint 0 ${OUTAGE_LABELS[mode]}`;
  const survivor = down.endpoints[1];
  return [
    atLeastRow(`${tag}: jobs succeeded ÷ enqueued (DLQ +${down.dlq})`, down.completed, down.jobs, 'jobs', 1),
    ...(survivor ? [rangeRow(`${tag}: busiest 1 s, endpoint 1 ÷ R`, survivor.busiest, rps, 'calls', 0.9, 1)] : []),
    countRow(`${tag}: 429s answered`, answered429(down), down.calls, 'calls'),
    infoRow(
      `${tag}: throughput (wall ${seconds(down.wallMs)}) ÷ healthy`,
      jobsPerSecond(down),
      jobsPerSecond(healthy),
      'jobs/s',
    ),
  ];
}

/** RPC calls ÷ the 3 distinct reads of one address asked 1,000 times within the cache window (goal 1). */
function cacheRows(cache: CacheResult): Row[] {
  const tag = `cache: ${count(cache.jobs)} jobs, 1 address (${seconds(cache.wallMs)})`;
  return [
    ratioRow(`${tag}: RPC calls ÷ distinct reads`, cache.calls, cache.distinctReads, 'calls', 1),
    countRow(`${tag}: jobs lost`, cache.jobs - cache.completed, cache.jobs, 'jobs'),
  ];
}

/**
 * The second poll: getMultipleAccounts calls ÷ (addresses ÷ 100) per poll (goal ≤ 1), checks done,
 * changes seen ÷ balances changed, and the time until its last check ÷ the same reads made directly.
 */
function watchRows(watch: WatchResult): Row[] {
  const tag = `watch poll, ${count(watch.addresses)} addresses`;
  const polls = watch.polls > 1 ? ` (${watch.polls} polls: the schedule fired too)` : '';
  const needed = Math.ceil(watch.addresses / 100) * watch.polls;
  return [
    ratioRow(`${tag}: getMultipleAccounts calls${polls}`, watch.getMultipleAccounts, needed, 'calls', 1),
    atLeastRow(`${tag}: checks done ÷ emitted`, watch.checksDone, watch.checks, 'checks', 1),
    atLeastRow(`${tag}: changes seen ÷ balances changed`, watch.changesSeen, watch.changed, 'changes', 1),
    infoRow(`${tag}: wall time ÷ direct reads`, watch.wallMs / 1000, watch.directMs / 1000, 's', ' (5 in flight)'),
  ];
}

/** What the naive baseline came to, with the 429s the peer answered it. */
interface NaiveRun {
  readonly queries: number;
  readonly succeeded: number;
  readonly tries: number;
  readonly wallMs: number;
  readonly calls: number;
  readonly answered429: number;
}

/**
 * Ours (the healthy burst) beside the naive client over the same addresses, peer and R: success
 * rate ÷ theirs (goal ≥ 1), 429s (ours must be 0), and jobs/s ÷ their queries/s (they use
 * endpoint 0 only, as the seeds use one URL).
 */
function naiveRows(ours: BurstResult, naive: NaiveRun): Row[] {
  const ours429 = answered429(ours);
  return [
    atLeastRow(
      'success rate: ours ÷ naive',
      (ours.completed / ours.jobs) * 100,
      (naive.succeeded / naive.queries) * 100,
      '%',
      1,
    ),
    {
      figure: '429s answered: ours vs naive',
      value: count(ours429),
      baseline: `${count(naive.answered429)} (naive)`,
      ratio: naive.answered429 === 0 ? 0 : ours429 / naive.answered429,
      goal: `ours = 0 ${verdict(ours429 === 0)}`,
    },
    infoRow(
      `throughput: ours ÷ naive (naive wall ${seconds(naive.wallMs)})`,
      jobsPerSecond(ours),
      naive.queries / (naive.wallMs / 1000),
      'jobs/s',
    ),
  ];
}

// ---- the run ------------------------------------------------------------------------------------------

/** Printed under the table: what the figures do not show (seeding time, events the pool logged). */
export interface RpcBenchReport {
  readonly rows: Row[];
  readonly notes: string[];
}

/** One line on a burst: jobs, time, calls per endpoint, the pool's own events, this process's event-loop delay. */
function burstNote(label: string, burst: BurstResult): string {
  const calls = burst.endpoints.map((e) => count(e.calls)).join(' / ');
  const loop = `${burst.loopDelayMs.p99.toFixed(0)} / ${burst.loopDelayMs.max.toFixed(0)} ms`;
  return `${label}: ${count(burst.completed)}/${count(burst.jobs)} jobs in ${(burst.wallMs / 1000).toFixed(1)} s; calls per endpoint ${calls}; worker events ${JSON.stringify(burst.events)}; peer event-loop delay p99 / max ${loop}`;
}

/** The naive baseline over `addresses` against endpoint 0, with the 429s the peer answered it. */
async function runNaiveBaseline(bench: Bench, addresses: readonly string[]): Promise<NaiveRun> {
  await resetPeer(bench.stack, bench.options.rps);
  await sleep(1_100);
  const since = Date.now();
  const result = await runNaive({ url: bench.stack.solana.urls[0]!, addresses });
  const calls = callsSince(bench.stack, since);
  return {
    ...result,
    answered429: calls.filter((call) => call.outcome.kind === 'rateLimited').length,
    calls: calls.length,
  };
}

async function runScenarios(bench: Bench): Promise<RpcBenchReport> {
  const { stack, options } = bench;
  const addresses = randomAddresses(options.burstJobs);
  const warmUp = await runBurst(bench, randomAddresses(Math.min(WARM_UP_JOBS, options.burstJobs)), 'bench-warm-up');
  await resetPeer(stack, options.rps);
  await sleep(1_100); // let the peer's window forget the warm-up
  const healthy = await runBurst(bench, addresses, 'bench-healthy');
  await resetPeer(stack, options.rps);
  const cache = await runCache(bench);
  const naive = await runNaiveBaseline(bench, addresses);
  const downs: { mode: Exclude<DownMode, false>; burst: BurstResult }[] = [];
  for (const mode of OUTAGES) {
    await resetPeer(stack, options.rps);
    await sleep(1_100); // let the peer's window forget the burst before
    await stack.solana.endpoint(0).setDown(mode);
    // As many addresses as the healthy burst, none read before: nothing is served from the cache,
    // without waiting out its window.
    const fresh = randomAddresses(options.burstJobs);
    downs.push({ mode, burst: await runBurst(bench, fresh, `bench-down-${mode}`) });
  }
  // Last: once addresses are watched, every scheduled poll (each minute) would read them all.
  await resetPeer(stack, options.rps);
  const watch = await runWatch(bench);
  return {
    rows: [
      ...healthyRows(healthy, options.rps),
      ...downs.flatMap(({ mode, burst }) => downRows(mode, burst, healthy, options.rps)),
      ...cacheRows(cache),
      ...watchRows(watch),
      ...naiveRows(healthy, naive),
    ],
    notes: [
      `RPC benches: R = ${options.rps} calls/s per endpoint (peer setRateLimit and SOLANA_RPC_URLS), ${stack.solana.urls.length} endpoints, rpc maxConcurrency ${stack.settings.queues.rpc.maxConcurrency}`,
      burstNote('warm-up (not in the figures)', warmUp),
      burstNote('healthy burst', healthy),
      ...downs.map(({ mode, burst }) => burstNote(`endpoint 0 ${OUTAGE_LABELS[mode]}`, burst)),
      `watch: seeding ${count(watch.addresses)} watchers took ${(watch.seedMs / 1000).toFixed(1)} s (not in the figures); first poll (all first sightings) ${(watch.firstPollMs / 1000).toFixed(1)} s`,
      `naive: ${count(naive.succeeded)}/${count(naive.queries)} queries succeeded, ${count(naive.tries)} tries, ${count(naive.calls)} calls at the peer, ${count(naive.answered429)} answered 429`,
      ...[...bench.log.samples].map(([event, detail]) => `first ${event}: ${detail}`),
    ],
  };
}

/** Starts a local stack with functions, runs every RPC scenario on it, and stops it. */
export async function benchRpc(options: RpcBenchOptions = DEFAULT_RPC_BENCH): Promise<RpcBenchReport> {
  const log = new WorkerLog();
  const stack = await startLocalStack({ onFunctionLog: log.onLine, solanaRps: options.rps });
  const startedAt = Date.now();
  const sqs = new SQSClient(localClientConfig(stack.sqs.endpoint));
  try {
    return await runScenarios({ stack, log, sqs, options, startedAt });
  } finally {
    sqs.destroy();
    await stack.stop();
  }
}
