import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Language, translators } from '../i18n/index.js';
import type { JobQueue } from '../jobs/index.js';
import type { Logger } from '../log.js';
import type { TenantId } from '../tenants/index.js';
import { quotaMessages } from './catalog.js';
import { DynamoQuotaMeter } from './dynamodb-meter.js';
import { OPERATOR_NOTICE, type QuotaMeter } from './meter.js';
import { type OperatorNoticeDeps, tellOperators } from './notice.js';
import type { CounterMetric, GaugeMetric, Metric, Plan } from './plans.js';
import { overQuotaOperatorText, overQuotaUserText, waitText } from './texts.js';

const quotaTexts = /* @__PURE__ */ translators([quotaMessages]);

/** A use the bot's plan refused: which limit, where the use stands, and when it resets (counters). */
export interface QuotaRefusal {
  readonly metric: Metric;
  readonly used: number;
  readonly limit: number;
  readonly plan: Plan;
  /** The bot's username, as its operators know it. */
  readonly bot: string;
  /** The end of the window (ms); none for a gauge. */
  readonly resetsAt?: number;
}

export type QuotaCheck = { readonly ok: true } | { readonly ok: false; readonly refusal: QuotaRefusal };

/**
 * What a bot's features see of its plan (passed to their job handlers by the function that builds
 * them): each use is named, so a redelivered job asks again without counting twice. A bot with
 * no plan (the deployment's own) gets `UNLIMITED`: its features call the same methods.
 */
export interface TenantQuota {
  /** Counts the event `key` (a broadcast's id, a question's job id) once, unless over the limit. */
  count(metric: CounterMetric, key: string): Promise<QuotaCheck>;
  /**
   * Holds `amount` (≥ 1, default 1) of a gauge for the thing `key` (a watch, a stored record):
   * the same amount again moves nothing; another amount replaces it. Refused past the limit.
   */
  hold(metric: GaugeMetric, key: string, amount?: number): Promise<QuotaCheck>;
  /** Gives back what `key` holds (nothing if it holds nothing). */
  release(metric: GaugeMetric, key: string): Promise<void>;
}

const OK: QuotaCheck = { ok: true };

/** The quota of a bot with no plan: everything passes, nothing is written. */
export const UNLIMITED: TenantQuota = {
  count: async () => OK,
  hold: async () => OK,
  release: async () => undefined,
};

/**
 * A registered bot's quota on its meter. A refusal is logged and tells the operators once per
 * window of its metric (the same notice as for updates); the feature answers its own user.
 */
export function meteredQuota(
  deps: OperatorNoticeDeps & { readonly meter: QuotaMeter; readonly log: Logger; readonly now?: () => number },
): TenantQuota {
  const now = deps.now ?? Date.now;
  const refused = async (metric: Metric, used: number, limit: number, resetsAt?: number): Promise<QuotaCheck> => {
    deps.log.warn('quota.over', { metric, used, limit });
    const claimed = await deps.meter.claimNotices(metric, [OPERATOR_NOTICE]);
    const at = now();
    if (claimed.includes(OPERATOR_NOTICE)) {
      // One notice per metric and window, its jobs named by the time of the refusal that claimed it.
      await tellOperators(deps, {
        metric,
        ...(resetsAt !== undefined && { resetsAt }),
        at,
        idPrefix: `quota.${metric}.${at}`,
      });
    }
    const refusal = {
      metric,
      used,
      limit,
      plan: deps.plan,
      bot: deps.bot,
      ...(resetsAt !== undefined && { resetsAt }),
    };
    return { ok: false, refusal };
  };
  return {
    async count(metric, key) {
      const consumed = await deps.meter.consumeOnce(metric, key);
      return consumed.ok ? OK : refused(metric, consumed.used, consumed.limit, consumed.resetsAt);
    },
    async hold(metric, key, amount = 1) {
      const held = await deps.meter.hold(metric, key, amount);
      return held.ok ? OK : refused(metric, held.used, held.limit);
    },
    async release(metric, key) {
      await deps.meter.release(metric, key);
    },
  };
}

/**
 * A bot's quota as its functions build it: metered on its plan, under its own keys (`client` is
 * scoped to the tenant), or `UNLIMITED` when it has none (the deployment's own bot).
 */
export function tenantQuota(options: {
  readonly plan: Plan | undefined;
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly tenant: TenantId;
  readonly bot: string;
  readonly operators: readonly number[];
  readonly queue: JobQueue;
  readonly log: Logger;
}): TenantQuota {
  const { plan, client, tableName } = options;
  if (!plan) return UNLIMITED;
  return meteredQuota({ ...options, plan, meter: new DynamoQuotaMeter({ client, tableName, plan }) });
}

/** The answer to whoever asked for what the plan refused (an admin, an operator): the limit, when it resets, the plan that raises it. HTML. */
export function quotaRefusalText(language: Language, refusal: QuotaRefusal, now: number): string {
  return overQuotaOperatorText(quotaTexts(language), { ...refusal, now });
}

/** The polite answer to a bot's user: try again when the window resets (a counter), or later (a gauge). Plain text. */
export function quotaUserText(language: Language, refusal: QuotaRefusal, now: number): string {
  const t = quotaTexts(language);
  if (refusal.resetsAt === undefined) return overQuotaUserText(t);
  const wait = Math.max(1, Math.ceil((refusal.resetsAt - now) / 1000));
  return refusal.metric === 'assistantQuestionsPerDay'
    ? t('quota.user.questions', { wait: waitText(t, wait) })
    : overQuotaUserText(t, wait);
}
