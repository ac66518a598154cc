import { describe, expect, it } from 'vitest';
import {
  AdminStatsJob,
  adminStatsHandler,
  type CounterSeries,
  type Counts,
  inspectedQueuesConfig,
  rpcCounterFlusher,
  SEEN_EVERY_MS,
  type StatsCounters,
  type StatsDeps,
  seenDue,
  UserSeenJob,
  userSeenHandler,
} from '../../../../core/desk/admin/stats.js';
import { ENV, QUEUE_NAMES } from '../../../../core/desk/settings.js';
import { ConfigError, TransientError } from '../../../../core/platform/errors.js';
import type { QueueDepth } from '../../../../core/platform/jobs/depths.js';
import { type JobEnvelope, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import type { EndpointStats, RpcPoolStats } from '../../../../core/platform/rpc/stats.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const ADMIN_CHAT = -100_5;
const NOW = Date.UTC(2030, 0, 2, 12, 30);

/** In-memory counters: adds are kept as made, totals sum those at or after `since`'s hour. */
class MemoryCounters implements StatsCounters {
  readonly adds: { series: CounterSeries; key: string; deltas: Counts; at: number }[] = [];
  failAdds = 0;
  async add(series: CounterSeries, key: string, deltas: Counts, at: number): Promise<void> {
    if (this.failAdds > 0) {
      this.failAdds--;
      throw new TransientError('dynamodb.unavailable', 'fake table down');
    }
    this.adds.push({ series, key, deltas, at });
  }
  async totals(series: CounterSeries, since: number): Promise<ReadonlyMap<string, Counts>> {
    const hour = Math.floor(since / 3_600_000) * 3_600_000;
    const totals = new Map<string, Record<string, number>>();
    for (const add of this.adds.filter((a) => a.series === series && a.at >= hour)) {
      const counts = totals.get(add.key) ?? {};
      for (const [name, n] of Object.entries(add.deltas)) counts[name] = (counts[name] ?? 0) + n;
      totals.set(add.key, counts);
    }
    return totals;
  }
}

const depths = (dead: Partial<Record<string, number>> = {}): QueueDepth[] =>
  QUEUE_NAMES.map((queue, i) => ({ queue, waiting: i, inFlight: 10 + i, dead: dead[queue] ?? 0 }));

function setup(overrides: Partial<StatsDeps> = {}) {
  const counters = new MemoryCounters();
  const queue = new MemoryJobQueue();
  const sinces: number[] = [];
  const deps: StatsDeps = {
    admins: new Set([900]),
    users: { countActive: async () => 42, countAll: async () => 50 },
    seen: {
      countSince: async (since) => {
        sinces.push(since);
        return 7;
      },
    },
    queues: { read: async () => depths() },
    counters,
    pending: { deposits: async () => 3, payouts: async () => 2 },
    wallets: async () => 11,
    queue,
    now: () => NOW,
    ...overrides,
  };
  return { counters, queue, sinces, handler: adminStatsHandler(deps), log: memoryLogger() };
}

function statsJob(lang: 'en' | 'zh' = 'en', chatId: number | null = ADMIN_CHAT): JobEnvelope<{ lang: 'en' | 'zh' }> {
  const [sealed] = sealJobs([{ job: AdminStatsJob, payload: { lang }, chatId, userId: 900 }], {
    idPrefix: 'u77',
    traceId: 't',
    tenant: TEST_TENANT,
    now: new Date(NOW),
  });
  return sealed!.envelope as JobEnvelope<{ lang: 'en' | 'zh' }>;
}

/** The one message the handler queued: where it goes and its text. */
function answer(queue: MemoryJobQueue) {
  expect(queue.sent).toHaveLength(1);
  const { queue: name, envelope } = queue.sent[0]!;
  expect(name).toBe('notify');
  const call = (envelope.payload as { calls: { method: string; params: Record<string, unknown> }[] }).calls[0]!;
  expect(call.method).toBe('sendMessage');
  expect(call.params.parse_mode).toBe('HTML');
  return { chatId: call.params.chat_id, text: String(call.params.text), id: envelope.id };
}

describe('adminStatsHandler', () => {
  it('reads and posts nothing for an admin.stats not made by an admin (poison)', async () => {
    const { queue, sinces, handler, log } = setup();
    const forged = { ...statsJob(), userId: 4242 };
    await expect(handler.run(forged, log)).rejects.toMatchObject({ code: 'admin.not_admin' });
    expect(queue.sent).toEqual([]);
    expect(sinces).toEqual([]);
  });

  it('posts every figure to the admin chat as one message', async () => {
    const { counters, queue, sinces, handler, log } = setup();
    await counters.add('rpc', '#0 https://rpc.one', { calls: 12, successes: 10, rateLimited: 2, failures: 0 }, NOW);
    await counters.add('rpc', '#0 https://rpc.one', { calls: 3, successes: 2, rateLimited: 0, failures: 1 }, NOW);
    await counters.add('rpc', '#1 https://rpc.two', { calls: 5, successes: 5, rateLimited: 0, failures: 0 }, NOW);
    // Two days ago: out of the window.
    await counters.add('rpc', '#1 https://rpc.two', { calls: 1000 }, NOW - 48 * 3_600_000);
    await counters.add('telegram', 'bot', { rateLimited: 1 }, NOW);
    await counters.add('telegram', 'bot', { rateLimited: 1 }, NOW - 3_600_000);

    await handler.run(statsJob(), log);

    const { chatId, text, id } = answer(queue);
    expect(chatId).toBe(ADMIN_CHAT);
    expect(id).toBe('u77.0.0');
    expect(sinces).toEqual([NOW - 86_400_000]);
    expect(text).toBe(
      [
        '📊 <b>Desk statistics</b>',
        '👥 Users: <b>50</b> · reachable (not blocked): <b>42</b> · active in the last 24 h: <b>7</b>',
        '👛 Linked wallets (verified): 11',
        '💰 Pending deposits: 3 · pending payouts: 2',
        '',
        '📬 <b>Queues</b> (waiting / in flight / DLQ)',
        'rpc: 0 / 10 / 0',
        'notify: 1 / 11 / 0',
        'ai: 2 / 12 / 0',
        'vault: 3 / 13 / 0',
        'payouts: 4 / 14 / 0',
        'decisions: 5 / 15 / 0',
        '',
        '🔗 <b>Solana RPC</b>, last 24 h (calls / 429s / failures)',
        '#0 https://rpc.one: 15 / 2 / 1',
        '#1 https://rpc.two: 5 / 0 / 0',
        '',
        '✈️ Telegram 429s, last 24 h: <b>2</b>',
        '',
        '<i>Workers report their counts about once a minute. “—”: not available yet.</i>',
      ].join('\n'),
    );
  });

  it('answers in Chinese and marks a queue whose DLQ holds messages', async () => {
    const { queue, handler, log } = setup({ queues: { read: async () => depths({ payouts: 3 }) } });
    await handler.run(statsJob('zh'), log);
    const { text } = answer(queue);
    expect(text).toContain('📊 <b>服务台统计</b>');
    expect(text).toContain('👥 用户：<b>50</b> · 可触达（未屏蔽）：<b>42</b> · 最近 24 小时活跃：<b>7</b>');
    expect(text).toContain('⚠️ payouts：4 / 14 / <b>3</b>');
    expect(text).toContain('rpc：0 / 10 / 0');
    expect(text).toContain('没有调用。');
    expect(text).toContain('✈️ Telegram 429，最近 24 小时：<b>0</b>');
  });

  it('shows a figure whose source failed as "—", logs why, and still answers with the rest', async () => {
    const down = async () => {
      throw new TransientError('sqs.unavailable', 'SQS GetQueueAttributes of rpc failed: TimeoutError');
    };
    const { queue, handler, log } = setup({ queues: { read: down }, users: { countActive: down, countAll: down } });
    await handler.run(statsJob(), log);
    const { text } = answer(queue);
    expect(text).toContain(
      '👥 Users: <b>—</b> · reachable (not blocked): <b>—</b> · active in the last 24 h: <b>7</b>',
    );
    expect(text).toContain('📬 <b>Queues</b> (waiting / in flight / DLQ)\n—\n');
    expect(log.lines.filter((l) => l.event === 'stats.figure_failed').map((l) => l.figure)).toEqual([
      'users',
      'all users',
      'queues',
    ]);
  });

  it('escapes what it shows', async () => {
    const { counters, queue, handler, log } = setup();
    await counters.add('rpc', '#0 https://<b>evil</b>', { calls: 1 }, NOW);
    await handler.run(statsJob(), log);
    expect(answer(queue).text).toContain('#0 https://&lt;b&gt;evil&lt;/b&gt;: 1 / 0 / 0');
  });

  it('flushes its own container’s counts before reading them', async () => {
    const order: string[] = [];
    const { queue, handler, log } = setup({
      flush: async () => void order.push('flush'),
      users: {
        countAll: async () => 1,
        countActive: async () => {
          order.push('read');
          return 1;
        },
      },
    });
    await handler.run(statsJob(), log);
    expect(order).toEqual(['flush', 'read']);
    expect(queue.sent).toHaveLength(1);
  });

  it('answers nobody for a job without a chat', async () => {
    const { queue, handler, log } = setup();
    await handler.run(statsJob('en', null), log);
    expect(queue.sent).toEqual([]);
  });
});

function endpoint(index: number, counts: Partial<EndpointStats>): EndpointStats {
  return {
    index,
    url: `https://rpc${index}.example`,
    priority: index,
    breaker: 'closed' as EndpointStats['breaker'],
    calls: 0,
    successes: 0,
    rateLimited: 0,
    failures: { timeout: 0, http_5xx: 0, http_4xx: 0, connection: 0, bad_response: 0, node_error: 0 },
    latencyMs: { count: 0, sum: 0 },
    ...counts,
  };
}

function poolStats(endpoints: EndpointStats[]): RpcPoolStats {
  return { endpoints, coalesced: 0, cache: { hits: 0, misses: 0, errors: 0 }, unavailable: 0 };
}

describe('rpcCounterFlusher', () => {
  it('adds per endpoint only what was counted since the last flush, and nothing when nothing was', async () => {
    const counters = new MemoryCounters();
    let stats = poolStats([endpoint(0, { calls: 5, successes: 4, rateLimited: 1 }), endpoint(1, {})]);
    const flusher = rpcCounterFlusher({ stats: () => stats, counters, log: memoryLogger(), now: () => NOW });
    await flusher.flush();
    expect(counters.adds).toEqual([
      {
        series: 'rpc',
        key: '#0 https://rpc0.example',
        deltas: { calls: 5, successes: 4, rateLimited: 1, failures: 0 },
        at: NOW,
      },
    ]);
    stats = poolStats([
      endpoint(0, { calls: 7, successes: 4, rateLimited: 1, failures: { ...endpoint(0, {}).failures, timeout: 2 } }),
      endpoint(1, { calls: 1, successes: 1 }),
    ]);
    await flusher.flush();
    await flusher.flush();
    expect(counters.adds.slice(1).map((a) => [a.key, a.deltas])).toEqual([
      ['#0 https://rpc0.example', { calls: 2, successes: 0, rateLimited: 0, failures: 2 }],
      ['#1 https://rpc1.example', { calls: 1, successes: 1, rateLimited: 0, failures: 0 }],
    ]);
  });

  it('never throws, and adds with the next flush what a failed one could not', async () => {
    const counters = new MemoryCounters();
    const log = memoryLogger();
    let stats = poolStats([endpoint(0, { calls: 3 })]);
    const flusher = rpcCounterFlusher({ stats: () => stats, counters, log, now: () => NOW });
    counters.failAdds = 1;
    await flusher.flush();
    expect(counters.adds).toEqual([]);
    expect(log.lines.some((l) => l.event === 'stats.flush_failed')).toBe(true);
    stats = poolStats([endpoint(0, { calls: 4 })]);
    await flusher.flush();
    expect(counters.adds.map((a) => a.deltas.calls)).toEqual([4]);
  });

  it('does not count twice when two flushes are asked at once', async () => {
    const counters = new MemoryCounters();
    const flusher = rpcCounterFlusher({
      stats: () => poolStats([endpoint(0, { calls: 9 })]),
      counters,
      log: memoryLogger(),
    });
    await Promise.all([flusher.flush(), flusher.flush()]);
    expect(counters.adds.map((a) => a.deltas.calls)).toEqual([9]);
  });
});

describe('seen users', () => {
  it('reports a session’s user once an hour, and again when its time is not to be trusted', () => {
    expect(seenDue(undefined, NOW)).toBe(true);
    expect(seenDue(NOW - SEEN_EVERY_MS + 1, NOW)).toBe(false);
    expect(seenDue(NOW - SEEN_EVERY_MS, NOW)).toBe(true);
    expect(seenDue(NOW + 30_000, NOW)).toBe(false);
    expect(seenDue(NOW + 3_600_000, NOW)).toBe(true);
  });

  it('records the job’s user as seen when the job was made', async () => {
    const seen: [number, number][] = [];
    const handler = userSeenHandler({ seen: async (userId, at) => void seen.push([userId, at]) });
    const [sealed] = sealJobs([{ job: UserSeenJob, payload: {}, chatId: null, userId: 501 }], {
      idPrefix: 'u1',
      traceId: 't',
      tenant: TEST_TENANT,
      now: new Date(NOW),
    });
    await handler.run(sealed!.envelope as JobEnvelope<Record<string, never>>, memoryLogger());
    expect(seen).toEqual([[501, NOW]]);
  });
});

describe('inspectedQueuesConfig', () => {
  const env = Object.fromEntries(
    QUEUE_NAMES.flatMap((q) => [
      [ENV.queueUrl[q], `http://127.0.0.1:9/q/${q}`],
      [ENV.deadLetterQueueUrls[q], `http://127.0.0.1:9/q/${q}-dlq`],
    ]),
  );

  it('reads every queue’s and DLQ’s URL', () => {
    expect(inspectedQueuesConfig(env).payouts).toEqual({
      url: 'http://127.0.0.1:9/q/payouts',
      deadLetterUrl: 'http://127.0.0.1:9/q/payouts-dlq',
    });
  });

  it('names every missing or malformed variable', () => {
    const broken = { ...env, [ENV.deadLetterQueueUrls.ai]: undefined, [ENV.queueUrl.vault]: 'not a url' };
    expect(() => inspectedQueuesConfig(broken)).toThrow(ConfigError);
    expect(() => inspectedQueuesConfig(broken)).toThrow(/VAULT_QUEUE_URL.*AI_DLQ_URL|AI_DLQ_URL.*VAULT_QUEUE_URL/);
  });
});
