import * as z from 'zod/mini';

/**
 * The plans a tenant (one bot) can be on, and the limits of each. A metric is named by the limit
 * that caps it: three are counted per window and start again from 0 at its end (UTC hours and
 * days), two are gauges of what the bot holds now.
 */
export const PLAN_NAMES = ['free', 'starter', 'pro', 'business'] as const;
export const PlanNameSchema = z.enum(PLAN_NAMES);
export type PlanName = z.infer<typeof PlanNameSchema>;

/** Counted per window: what a bot does. */
export const COUNTER_WINDOWS = {
  updatesPerHour: 'hour',
  broadcastsPerDay: 'day',
  assistantQuestionsPerDay: 'day',
} as const;
export type CounterMetric = keyof typeof COUNTER_WINDOWS;
export type QuotaWindow = (typeof COUNTER_WINDOWS)[CounterMetric];

/** Gauges: what a bot holds (moved up and down as it stores and deletes). */
export const GAUGE_METRICS = ['storedBytes', 'watchedAddresses'] as const;
export type GaugeMetric = (typeof GAUGE_METRICS)[number];

export type Metric = CounterMetric | GaugeMetric;
/** Every metric, in the order the /usage report lists them. */
export const METRICS: readonly Metric[] = [...(Object.keys(COUNTER_WINDOWS) as CounterMetric[]), ...GAUGE_METRICS];

export interface Plan {
  readonly name: PlanName;
  /** US dollars a month (0: the free tier). */
  readonly priceUsd: number;
  readonly limits: Readonly<Record<Metric, number>>;
}

const MB = 1_000_000;

/**
 * The plans, cheapest first. How the numbers were chosen (traffic figures from `npm run cost`,
 * which sets the goal of under $3 of AWS per million updates):
 *
 * - `updatesPerHour` is a burst ceiling, not an allowance: a bot at its ceiling every hour of a
 *   month (730 h) would cost at most $0.66, $6.57, $32.85 and $131 of AWS, under half of each
 *   plan's price; real traffic averages far below its peak hour.
 * - `assistantQuestionsPerDay` bounds the LLM bill, assuming at most $0.002 a question (a few
 *   thousand tokens in, a few hundred out): at most $0.60, $6, $30 and $120 a month.
 * - `broadcastsPerDay`: each broadcast is one message to every user of the bot (paced by the
 *   notify worker), so a few a day is plenty and the free tier gets one.
 * - `watchedAddresses`: each is polled on the RPC plan's budget, so it grows with the price. It
 *   counts watches: a chat's watch of an address (two chats watching one address are two), held
 *   when the watch is added and given back when it is removed.
 * - `storedBytes`: storage is cheap, so this mostly stops a runaway bot. It counts what a bot's
 *   users store that grows with use and stays until they delete it: today the sealed secrets
 *   (each item's bytes as DynamoDB counts them: keys, attribute names, envelope, mask, date),
 *   held when stored, resized when replaced, given back when deleted. Not counted (yet): sessions
 *   and the assistant's history (expire by themselves, bounded per user), broadcasts (expire
 *   after 30 days), the wallet book, watches (capped by `watchedAddresses`), the user
 *   directory, ledgers, deposits and payouts (money records are never refused).
 *
 * A gauge's share is named by what holds it (`TenantQuota.hold(metric, key)`), so a redelivered
 * job moves it once; a job that ends in the dead-letter queue between its hold and its write
 * leaves a share held for nothing until the thing is removed by name.
 */
export const PLANS: Readonly<Record<PlanName, Plan>> = {
  free: {
    name: 'free',
    priceUsd: 0,
    limits: {
      updatesPerHour: 300,
      broadcastsPerDay: 1,
      assistantQuestionsPerDay: 10,
      storedBytes: 5 * MB,
      watchedAddresses: 5,
    },
  },
  starter: {
    name: 'starter',
    priceUsd: 29,
    limits: {
      updatesPerHour: 3_000,
      broadcastsPerDay: 3,
      assistantQuestionsPerDay: 100,
      storedBytes: 50 * MB,
      watchedAddresses: 50,
    },
  },
  pro: {
    name: 'pro',
    priceUsd: 99,
    limits: {
      updatesPerHour: 15_000,
      broadcastsPerDay: 10,
      assistantQuestionsPerDay: 500,
      storedBytes: 500 * MB,
      watchedAddresses: 500,
    },
  },
  business: {
    name: 'business',
    priceUsd: 299,
    limits: {
      updatesPerHour: 60_000,
      broadcastsPerDay: 30,
      assistantQuestionsPerDay: 2_000,
      storedBytes: 5_000 * MB,
      watchedAddresses: 5_000,
    },
  },
};

/** The cheapest plan above `plan` with a higher limit for `metric`, or undefined on the largest. */
export function upgradeFor(plan: PlanName, metric: Metric): Plan | undefined {
  const current = PLANS[plan].limits[metric];
  return PLAN_NAMES.slice(PLAN_NAMES.indexOf(plan) + 1)
    .map((name) => PLANS[name])
    .find((next) => next.limits[metric] > current);
}
