import type { Translate } from '../i18n/index.js';
import type { QuotaMessageKey } from './catalog.js';
import type { Usage } from './meter.js';
import { type Metric, PLAN_NAMES, PLANS, type Plan, upgradeFor } from './plans.js';

/** A translator covering the quota texts (a bot's translator over more catalogs will do). */
export type QuotaTranslate = Translate<QuotaMessageKey>;

/**
 * The polite answer a bot's user gets while the bot is over a quota: try again in `retryAfterSeconds`
 * (a counter's window end), or later (a gauge, which has none). Plain text: it may be a toast.
 */
export function overQuotaUserText(t: QuotaTranslate, retryAfterSeconds?: number): string {
  return retryAfterSeconds === undefined
    ? t('quota.user.full')
    : t('quota.user.busy', { wait: waitText(t, retryAfterSeconds) });
}

/** The operator's notice that `bot` reached the limit of `metric`: what it means, when it resets, which plan raises it. */
export function overQuotaOperatorText(
  t: QuotaTranslate,
  notice: { bot: string; plan: Plan; metric: Metric; resetsAt?: number; now: number },
): string {
  const { plan, metric } = notice;
  const next = upgradeFor(plan.name, metric);
  return [
    t('quota.operator.reached', {
      bot: notice.bot,
      plan: t(`quota.plan.${plan.name}`),
      limit: limitText(t, metric, plan.limits[metric]),
    }),
    t(`quota.effect.${metric}`),
    ...(notice.resetsAt === undefined
      ? []
      : [
          t('quota.operator.resets', {
            at: clock(notice.resetsAt),
            wait: waitText(t, (notice.resetsAt - notice.now) / 1000),
          }),
        ]),
    next
      ? t('quota.operator.upgrade', {
          plan: t(`quota.plan.${next.name}`),
          price: priceText(t, next),
          limit: limitText(t, metric, next.limits[metric]),
        })
      : t('quota.operator.largest'),
  ].join('\n');
}

/** The operator's /usage report: the plan, then each metric's use against its limit and when it resets. */
export function usageReport(t: QuotaTranslate, usage: Usage, report: { bot: string; now: number }): string {
  const { plan } = usage;
  const nextName = PLAN_NAMES[PLAN_NAMES.indexOf(plan.name) + 1];
  const lines = usage.metrics.map(({ metric, used, limit, resetsAt }) => {
    const percent = limit === 0 ? 100 : Math.floor((used * 100) / limit);
    const shown = {
      mark: used >= limit ? '🔴' : percent >= 80 ? '🟡' : '🟢',
      name: t(`quota.metric.${metric}`),
      used: amountText(metric, used),
      limit: amountText(metric, limit),
      percent,
    };
    return resetsAt === undefined
      ? t('quota.usage.gauge', shown)
      : t('quota.usage.counter', { ...shown, at: clock(resetsAt), wait: waitText(t, (resetsAt - report.now) / 1000) });
  });
  return [
    t('quota.usage.title', { bot: report.bot }),
    t('quota.usage.plan', { plan: t(`quota.plan.${plan.name}`), price: priceText(t, plan) }),
    '',
    ...lines,
    ...(nextName
      ? ['', t('quota.usage.upgrade', { plan: t(`quota.plan.${nextName}`), price: priceText(t, PLANS[nextName]) })]
      : []),
  ].join('\n');
}

/** A wait in whole minutes, rounded up (at least 1): `25 min`, `3 h`, `5 h 12 min`. */
export function waitText(t: QuotaTranslate, seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  if (minutes < 60) return t('quota.wait.minutes', { minutes });
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0
    ? t('quota.wait.hours', { hours })
    : t('quota.wait.hours_minutes', { hours, minutes: minutes % 60 });
}

function priceText(t: QuotaTranslate, plan: Plan): string {
  return plan.priceUsd === 0 ? t('quota.price.free') : t('quota.price.monthly', { price: `$${plan.priceUsd}` });
}

function limitText(t: QuotaTranslate, metric: Metric, limit: number): string {
  return t(`quota.limit.${metric}`, { limit: amountText(metric, limit) });
}

/** A count with thousands separators, or bytes in decimal units (`4.2 MB`). */
function amountText(metric: Metric, amount: number): string {
  if (metric !== 'storedBytes') return amount.toLocaleString('en-US');
  for (const [unit, size] of [
    ['GB', 1e9],
    ['MB', 1e6],
    ['KB', 1e3],
  ] as const) {
    if (amount >= size) return `${Number((amount / size).toFixed(1)).toLocaleString('en-US')} ${unit}`;
  }
  return `${amount} B`;
}

/** `HH:MM` of a time, in UTC. */
function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}
