import { ConditionFailed, type Item, Table, type TableOptions } from '../../platform/adapters/index.js';
import { isLanguage } from '../../platform/i18n/index.js';
import { BroadcastMessageSchema } from './message.js';
import type { Broadcast, BroadcastStatus, BroadcastStore, SendOutcome } from './store.js';

const DAY = 86_400;

const BROADCAST = 'broadcast';
const COUNTERS = ['sent', 'blocked', 'failed'] as const;

/**
 * Broadcasts, `pk = broadcast`, `sk = <id>`: the message (JSON), the admin message showing
 * progress, `status`, `total`, `queued` with `pages` (a number set, so each page counts once),
 * `pagingDone`, the counters, and `progressAt` (ms of the last progress edit). Kept 30 days.
 */
export class DynamoBroadcastStore implements BroadcastStore {
  private readonly table: Table;

  constructor(options: TableOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async create(b: Omit<Broadcast, 'status' | 'queued' | 'pagingDone' | 'counts' | 'progressAt'>): Promise<Broadcast> {
    try {
      await this.table.put(
        {
          pk: { S: BROADCAST },
          sk: { S: b.id },
          message: { S: JSON.stringify(b.message) },
          adminChatId: { N: String(b.adminChatId) },
          progressMessageId: { N: String(b.progressMessageId) },
          lang: { S: b.lang },
          status: { S: 'running' },
          total: { N: String(b.total) },
          queued: { N: '0' },
          pagingDone: { BOOL: false },
          ...Object.fromEntries(COUNTERS.map((c) => [c, { N: '0' }])),
          progressAt: { N: '0' },
          expiresAt: { N: String(this.table.nowSeconds() + 30 * DAY) },
        },
        { ConditionExpression: 'attribute_not_exists(pk)' },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
    const created = await this.get(b.id);
    if (!created) throw new Error(`broadcast ${b.id} vanished after it was created`);
    return created;
  }

  async get(id: string): Promise<Broadcast | undefined> {
    return broadcastOf(await this.table.get(BROADCAST, id));
  }

  async addPage(id: string, page: number, sends: number, last: boolean): Promise<void> {
    try {
      await this.table.update(BROADCAST, id, {
        UpdateExpression: `ADD queued :n, pages :page${last ? ' SET pagingDone = :yes' : ''}`,
        ConditionExpression: 'attribute_exists(pk) AND NOT contains(pages, :pageNumber)',
        ExpressionAttributeValues: {
          ':n': { N: String(sends) },
          ':page': { NS: [String(page)] },
          ':pageNumber': { N: String(page) },
          ...(last ? { ':yes': { BOOL: true } } : {}),
        },
      });
    } catch (error) {
      // Already counted (a redelivered page job), or the broadcast is gone.
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }

  async count(id: string, outcome: SendOutcome): Promise<Broadcast> {
    const item = await this.table.update(BROADCAST, id, {
      UpdateExpression: 'ADD #counter :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#counter': outcome },
      ExpressionAttributeValues: { ':one': { N: '1' } },
      ReturnValues: 'ALL_NEW',
    });
    const b = broadcastOf(item);
    if (!b) throw new Error(`broadcast ${id} is unreadable`);
    return b;
  }

  cancel(id: string): Promise<boolean> {
    return this.transition(id, 'cancelled');
  }

  finish(id: string): Promise<boolean> {
    return this.transition(id, 'done');
  }

  private async transition(id: string, to: BroadcastStatus): Promise<boolean> {
    try {
      await this.table.update(BROADCAST, id, {
        UpdateExpression: 'SET #status = :to',
        ConditionExpression: '#status = :running',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':to': { S: to }, ':running': { S: 'running' } },
      });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }

  async claimProgress(id: string, intervalMs: number): Promise<boolean> {
    const now = this.table.now();
    try {
      await this.table.update(BROADCAST, id, {
        UpdateExpression: 'SET progressAt = :now',
        ConditionExpression: 'progressAt <= :before',
        ExpressionAttributeValues: { ':now': { N: String(now) }, ':before': { N: String(now - intervalMs) } },
      });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }
}

function broadcastOf(item: Item | undefined): Broadcast | undefined {
  if (!item?.sk?.S) return undefined;
  const message = BroadcastMessageSchema.safeParse(parseJsonText(item.message?.S));
  const status = item.status?.S;
  const lang = item.lang?.S ?? 'en';
  if (!message.success || (status !== 'running' && status !== 'cancelled' && status !== 'done') || !isLanguage(lang)) {
    return undefined;
  }
  const n = (name: string) => Number(item[name]?.N ?? '0');
  return {
    id: item.sk.S,
    message: message.data,
    adminChatId: n('adminChatId'),
    progressMessageId: n('progressMessageId'),
    lang,
    status,
    total: n('total'),
    queued: n('queued'),
    pagingDone: item.pagingDone?.BOOL === true,
    counts: { sent: n('sent'), blocked: n('blocked'), failed: n('failed') },
    progressAt: n('progressAt'),
  };
}

function parseJsonText(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
