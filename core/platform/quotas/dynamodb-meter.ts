import {
  ConditionFailed,
  Table,
  type TableOptions,
  type TransactAction,
  TransactionCancelled,
} from '../adapters/index.js';
import {
  type Adjusted,
  type Consumed,
  MAX_NOTICES,
  type MetricUsage,
  type QuotaMeter,
  type Usage,
  windowAt,
} from './meter.js';
import {
  COUNTER_WINDOWS,
  type CounterMetric,
  GAUGE_METRICS,
  type GaugeMetric,
  type Metric,
  type Plan,
} from './plans.js';

const USED = 'used';
const NOTICES = 'notices';
const counterKey = (metric: CounterMetric, window: string) => `usage#${metric}#${window}`;
const gaugeKey = (metric: GaugeMetric) => `usage#${metric}`;
const isCounter = (metric: Metric): metric is CounterMetric => metric in COUNTER_WINDOWS;
const countedKey = (key: string) => `counted#${key}`;
const heldKey = (key: string) => `held#${key}`;
const CHECK_FAILED = 'ConditionalCheckFailed';

/**
 * Quotas in the table (keys as the tenant sees them; the client scopes them to the tenant):
 * - a counter per metric and window, `usage#<metric>#<window>` / `used`: `used`, and `expiresAt`
 *   at the window's end (TTL), so old windows go away by themselves;
 * - a gauge per metric, `usage#<metric>` / `used`: `used`, kept;
 * - the notices sent in a window, `usage#<metric>#<window>` / `notices` (a gauge's window is the
 *   UTC day): `noticed`, a string set, with the same `expiresAt`;
 * - an event counted once by name (`consumeOnce`), `usage#<metric>#<window>` / `counted#<key>`,
 *   with the same `expiresAt`: written in one transaction with the count, so a redelivery finds it;
 * - what a named thing holds of a gauge (`hold`), `usage#<gauge>` / `held#<key>`: `amount`,
 *   put, changed and deleted in one transaction with the gauge's move, so the gauge is always
 *   their sum.
 *
 * Each counted event or gauge move is one conditional `UpdateItem` (`ADD` under a condition that
 * keeps `used` within the limit), so concurrent writers never pass it and a refused one changes
 * nothing; a refusal then reads the item once, to say where it stands.
 */
export class DynamoQuotaMeter implements QuotaMeter {
  readonly plan: Plan;
  private readonly table: Table;

  constructor(options: TableOptions & { plan: Plan }) {
    this.plan = options.plan;
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async consume(metric: CounterMetric, amount = 1): Promise<Consumed> {
    if (!Number.isSafeInteger(amount) || amount < 1) throw new RangeError(`cannot consume ${amount} ${metric}`);
    const limit = this.plan.limits[metric];
    const window = windowAt(COUNTER_WINDOWS[metric], this.table.now());
    const pk = counterKey(metric, window.id);
    const used = await this.addWithin(pk, amount, limit, Math.ceil(window.end / 1000));
    if (used !== undefined) return { ok: true, used, limit };
    return { ok: false, used: await this.read(pk), limit, resetsAt: window.end };
  }

  async consumeOnce(metric: CounterMetric, key: string): Promise<Consumed> {
    const limit = this.plan.limits[metric];
    const window = windowAt(COUNTER_WINDOWS[metric], this.table.now());
    const pk = counterKey(metric, window.id);
    const expiresAt = { N: String(Math.ceil(window.end / 1000)) };
    const refused = async (): Promise<Consumed> => ({
      ok: false,
      used: await this.read(pk),
      limit,
      resetsAt: window.end,
    });
    if (limit < 1) return (await this.table.get(pk, countedKey(key))) ? { ok: true, used: 0, limit } : refused();
    try {
      await this.table.transact([
        {
          put: { pk: { S: pk }, sk: { S: countedKey(key) }, expiresAt },
          condition: { ConditionExpression: 'attribute_not_exists(pk)' },
        },
        {
          update: {
            pk,
            sk: USED,
            UpdateExpression: 'ADD #used :one SET #expiresAt = :expiresAt',
            ConditionExpression: 'attribute_not_exists(#used) OR #used <= :room',
            ExpressionAttributeNames: { '#used': 'used', '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: {
              ':one': { N: '1' },
              ':room': { N: String(limit - 1) },
              ':expiresAt': expiresAt,
            },
          },
        },
      ]);
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      // Counted before (a redelivery) is accepted again; otherwise the window is full.
      if (error.reasons[0] !== CHECK_FAILED) return refused();
    }
    return { ok: true, used: await this.read(pk), limit };
  }

  async hold(metric: GaugeMetric, key: string, amount: number): Promise<Adjusted> {
    if (!Number.isSafeInteger(amount) || amount < 1) throw new RangeError(`cannot hold ${amount} ${metric}`);
    const limit = this.plan.limits[metric];
    const pk = gaugeKey(metric);
    const standing = async (ok: boolean): Promise<Adjusted> => ({ ok, used: await this.read(pk), limit });
    // A concurrent hold or release of the same key makes a write's first condition fail: read again.
    for (;;) {
      const before = await this.table.get(pk, heldKey(key));
      const old = before === undefined ? undefined : Number(before.amount?.N ?? '0');
      if (old === amount) return standing(true);
      // More than the limit at once is refused (the condition would pass an empty gauge).
      if (amount > limit) return standing(false);
      const delta = amount - (old ?? 0);
      const marker: TransactAction =
        old === undefined
          ? {
              put: { pk: { S: pk }, sk: { S: heldKey(key) }, amount: { N: String(amount) } },
              condition: { ConditionExpression: 'attribute_not_exists(pk)' },
            }
          : {
              update: {
                pk,
                sk: heldKey(key),
                UpdateExpression: 'SET #amount = :amount',
                ConditionExpression: '#amount = :old',
                ExpressionAttributeNames: { '#amount': 'amount' },
                ExpressionAttributeValues: { ':amount': { N: String(amount) }, ':old': { N: String(old) } },
              },
            };
      try {
        await this.table.transact([
          marker,
          {
            update: {
              pk,
              sk: USED,
              UpdateExpression: 'ADD #used :delta',
              // Only a growth is checked against the limit; a shrink always passes.
              ...(delta > 0 && { ConditionExpression: 'attribute_not_exists(#used) OR #used <= :room' }),
              ExpressionAttributeNames: { '#used': 'used' },
              ExpressionAttributeValues: {
                ':delta': { N: String(delta) },
                ...(delta > 0 && { ':room': { N: String(limit - delta) } }),
              },
            },
          },
        ]);
        return standing(true);
      } catch (error) {
        if (!(error instanceof TransactionCancelled)) throw error;
        if (error.reasons[0] !== CHECK_FAILED) return standing(false);
      }
    }
  }

  async release(metric: GaugeMetric, key: string): Promise<Adjusted> {
    const limit = this.plan.limits[metric];
    const pk = gaugeKey(metric);
    // A concurrent release of the same key makes the delete's condition fail: read again, and
    // find it gone (or held anew, by an add between the two).
    for (;;) {
      const held = await this.table.get(pk, heldKey(key));
      if (!held) return { ok: true, used: await this.read(pk), limit };
      const amount = held.amount?.N ?? '0';
      try {
        await this.table.transact([
          {
            delete: {
              pk,
              sk: heldKey(key),
              ConditionExpression: '#amount = :amount',
              ExpressionAttributeNames: { '#amount': 'amount' },
              ExpressionAttributeValues: { ':amount': { N: amount } },
            },
          },
          {
            update: {
              pk,
              sk: USED,
              UpdateExpression: 'ADD #used :minus',
              ExpressionAttributeNames: { '#used': 'used' },
              ExpressionAttributeValues: { ':minus': { N: String(-Number(amount)) } },
            },
          },
        ]);
        return { ok: true, used: await this.read(pk), limit };
      } catch (error) {
        if (!(error instanceof TransactionCancelled)) throw error;
      }
    }
  }

  async adjust(metric: GaugeMetric, delta: number): Promise<Adjusted> {
    if (!Number.isSafeInteger(delta)) throw new RangeError(`cannot adjust ${metric} by ${delta}`);
    const limit = this.plan.limits[metric];
    const pk = gaugeKey(metric);
    if (delta > 0) {
      const used = await this.addWithin(pk, delta, limit);
      return used === undefined ? { ok: false, used: await this.read(pk), limit } : { ok: true, used, limit };
    }
    return { ok: true, used: delta === 0 ? await this.read(pk) : await this.lower(pk, -delta), limit };
  }

  async usage(): Promise<Usage> {
    const now = this.table.now();
    const counters = (Object.keys(COUNTER_WINDOWS) as CounterMetric[]).map((metric) => {
      const window = windowAt(COUNTER_WINDOWS[metric], now);
      return { metric, pk: counterKey(metric, window.id), resetsAt: window.end };
    });
    const gauges = GAUGE_METRICS.map((metric) => ({ metric, pk: gaugeKey(metric), resetsAt: undefined }));
    const rows = [...counters, ...gauges];
    const items = await this.table.batchGet(
      rows.map(({ pk }) => ({ pk, sk: USED })),
      [USED],
    );
    const used = new Map(items.map((item) => [item.pk?.S, Number(item.used?.N ?? '0')]));
    const metrics = rows.map(
      ({ metric, pk, resetsAt }): MetricUsage => ({
        metric,
        used: used.get(pk) ?? 0,
        limit: this.plan.limits[metric],
        ...(resetsAt !== undefined && { resetsAt }),
      }),
    );
    return { plan: this.plan, metrics };
  }

  async claimNotices(metric: Metric, notices: readonly string[]): Promise<string[]> {
    const wanted = [...new Set(notices)];
    if (wanted.length === 0) return [];
    const window = windowAt(isCounter(metric) ? COUNTER_WINDOWS[metric] : 'day', this.table.now());
    try {
      const old = await this.table.update(`usage#${metric}#${window.id}`, NOTICES, {
        UpdateExpression: 'ADD #noticed :notices SET #expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(#noticed) OR size(#noticed) < :max',
        ExpressionAttributeNames: { '#noticed': 'noticed', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: {
          ':notices': { SS: wanted },
          ':max': { N: String(MAX_NOTICES) },
          ':expiresAt': { N: String(Math.ceil(window.end / 1000)) },
        },
        ReturnValues: 'UPDATED_OLD',
      });
      const before = new Set(old?.noticed?.SS ?? []);
      return wanted.filter((notice) => !before.has(notice));
    } catch (error) {
      if (error instanceof ConditionFailed) return [];
      throw error;
    }
  }

  /** Adds `amount` (> 0) unless `used` would pass `limit`: the new `used`, or undefined when refused. */
  private async addWithin(pk: string, amount: number, limit: number, expiresAt?: number): Promise<number | undefined> {
    // With more than the limit at once, even an empty window refuses (and the condition would not).
    if (amount > limit) return undefined;
    try {
      const attributes = await this.table.update(pk, USED, {
        UpdateExpression:
          expiresAt === undefined ? 'ADD #used :amount' : 'ADD #used :amount SET #expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(#used) OR #used <= :room',
        ExpressionAttributeNames: { '#used': 'used', ...(expiresAt !== undefined && { '#expiresAt': 'expiresAt' }) },
        ExpressionAttributeValues: {
          ':amount': { N: String(amount) },
          ':room': { N: String(limit - amount) },
          ...(expiresAt !== undefined && { ':expiresAt': { N: String(expiresAt) } }),
        },
        ReturnValues: 'UPDATED_NEW',
      });
      return Number(attributes?.used?.N);
    } catch (error) {
      if (error instanceof ConditionFailed) return undefined;
      throw error;
    }
  }

  /**
   * Takes `amount` (> 0) off a gauge, stopping at 0: `ADD` while there is that much, else `SET 0`
   * while there is less. When a concurrent move makes the chosen write's condition fail, the
   * other one applies; each retry follows another writer's success.
   */
  private async lower(pk: string, amount: number): Promise<number> {
    for (;;) {
      try {
        const attributes = await this.table.update(pk, USED, {
          UpdateExpression: 'ADD #used :minus',
          ConditionExpression: '#used >= :amount',
          ExpressionAttributeNames: { '#used': 'used' },
          ExpressionAttributeValues: { ':minus': { N: String(-amount) }, ':amount': { N: String(amount) } },
          ReturnValues: 'UPDATED_NEW',
        });
        return Number(attributes?.used?.N);
      } catch (error) {
        if (!(error instanceof ConditionFailed)) throw error;
      }
      try {
        await this.table.update(pk, USED, {
          UpdateExpression: 'SET #used = :zero',
          ConditionExpression: 'attribute_not_exists(#used) OR #used < :amount',
          ExpressionAttributeNames: { '#used': 'used' },
          ExpressionAttributeValues: { ':zero': { N: '0' }, ':amount': { N: String(amount) } },
        });
        return 0;
      } catch (error) {
        if (!(error instanceof ConditionFailed)) throw error;
      }
    }
  }

  private async read(pk: string): Promise<number> {
    return Number((await this.table.get(pk, USED))?.used?.N ?? '0');
  }
}
