import { type Item, Table, type TableOptions } from '../../platform/adapters/index.js';
import type { CounterSeries, Counts, StatsCounters } from './stats.js';

const HOUR_MS = 3_600_000;
const DAY_SECONDS = 86_400;
/** Hourly buckets are kept this long after their hour (TTL), beyond any window `/stats` reads. */
const BUCKET_RETENTION_SECONDS = 3 * DAY_SECONDS;
/** Counter names become attribute names: keep them plain. */
const COUNTER_NAME = /^[A-Za-z][A-Za-z0-9]{0,31}$/;
/** Buckets read per page while walking back from the newest. */
const PAGE = 100;

/** The hour holding `ms`, as it starts the sort key: `YYYY-MM-DDTHH` (sorts as time does). */
const hourOf = (ms: number): string => new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString().slice(0, 13);

/**
 * Counters in hourly buckets, `pk = counters#<series>`, `sk = <YYYY-MM-DDTHH>#<key>` (an RPC
 * endpoint as `/stats` names it, or `bot` for Telegram), one number attribute per counter. An add
 * is one `UpdateItem … ADD`, so concurrent containers add up; buckets expire three days after
 * their hour. Totals read the partition newest first and stop at the first bucket before the
 * window: about (hours × keys) small items, with no scan.
 */
export class DynamoStatsCounters implements StatsCounters {
  private readonly table: Table;

  constructor(options: TableOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async add(series: CounterSeries, key: string, deltas: Counts, at: number): Promise<void> {
    const entries = Object.entries(deltas).filter(([, delta]) => delta !== 0);
    if (entries.length === 0) return;
    const names: Record<string, string> = {};
    const values: Item = {
      ':ttl': { N: String(Math.floor(at / 1000) + BUCKET_RETENTION_SECONDS) },
    };
    const adds = entries.map(([name, delta], index) => {
      if (!COUNTER_NAME.test(name) || !Number.isSafeInteger(delta)) {
        throw new RangeError(`Counter ${JSON.stringify(name)} takes whole numbers and a plain name`);
      }
      names[`#c${index}`] = name;
      values[`:c${index}`] = { N: String(delta) };
      return `#c${index} :c${index}`;
    });
    await this.table.update(`counters#${series}`, `${hourOf(at)}#${key}`, {
      UpdateExpression: `ADD ${adds.join(', ')} SET expiresAt = :ttl`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  async totals(series: CounterSeries, since: number): Promise<ReadonlyMap<string, Counts>> {
    const first = hourOf(since);
    const totals = new Map<string, Record<string, number>>();
    let afterSk: string | undefined;
    do {
      const page = await this.table.query(`counters#${series}`, {
        descending: true,
        limit: PAGE,
        ...(afterSk === undefined ? {} : { afterSk }),
      });
      for (const item of page.items) {
        const sk = item.sk?.S ?? '';
        // Newest first: the first bucket before the window ends the walk.
        if (sk.slice(0, 13) < first) return totals;
        const key = sk.slice(14);
        const counts = totals.get(key) ?? {};
        for (const [name, value] of Object.entries(item)) {
          if (value.N === undefined || name === 'expiresAt') continue;
          counts[name] = (counts[name] ?? 0) + Number(value.N);
        }
        totals.set(key, counts);
      }
      afterSk = page.lastSk;
    } while (afterSk !== undefined);
    return totals;
  }
}
