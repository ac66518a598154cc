import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DigestEntry, DigestEntrySchema, type DigestStore, type DigestWindow } from '../admin/digest.js';
import { BroadcastMessageSchema } from '../broadcasts/jobs.js';
import type { Broadcast, BroadcastStatus, BroadcastStore, SendOutcome } from '../broadcasts/store.js';
import { isLanguage } from '../i18n/index.js';
import type { ChatPaceStore } from '../telegram/sender.js';
import type { UserDirectory, UserEntry, UserPage, UserRecord } from '../users/directory.js';
import { ConditionFailed, type Item, Table } from './dynamodb.js';

export interface NotifyStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  now?: () => number;
}

const DAY = 86_400;

/**
 * Recent send times per chat, `pk = pace#<chat>`, `sk = pace`: `recent` (a list of ms times) and
 * `version`, saved conditionally on the version loaded. Items expire a day after the last send.
 */
export class DynamoChatPace implements ChatPaceStore {
  private readonly table: Table;

  constructor(options: NotifyStoreOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async load(chat: number | string): Promise<{ recent: number[]; version: number }> {
    const item = await this.table.get(`pace#${chat}`, 'pace');
    const recent = (item?.recent?.L ?? []).map((v) => Number(v.N)).filter(Number.isFinite);
    return { recent, version: Number(item?.version?.N ?? '0') };
  }

  async save(chat: number | string, recent: number[], version: number): Promise<boolean> {
    try {
      await this.table.put(
        {
          pk: { S: `pace#${chat}` },
          sk: { S: 'pace' },
          recent: { L: recent.map((at) => ({ N: String(at) })) },
          version: { N: String(version + 1) },
          expiresAt: { N: String(this.table.nowSeconds() + DAY) },
        },
        version === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': { N: String(version) } } },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }
}

const USERS = 'users';
/** Active users an admin has not blocked: who broadcasts reach. */
const ACTIVE = {
  ConditionExpression: 'active = :yes AND (attribute_not_exists(blocked) OR blocked = :no)',
  ExpressionAttributeValues: { ':yes': { BOOL: true }, ':no': { BOOL: false } },
};
const userSk = (chatId: number) => `chat#${chatId}`;
const usernamePk = (username: string) => `username#${username.toLowerCase()}`;
const USERNAME_SK = 'user';

/**
 * The user directory as one partition, `pk = users`, `sk = chat#<chatId>`, with `chatId`,
 * `active`, `lang`, `username`, `blocked` (an admin's block) and `since` (ms). Broadcasts page it
 * in sort key order, active and unblocked users only. One partition takes 1,000 writes/s, far
 * above sign-up and block rates.
 *
 * Usernames are indexed as `pk = username#<lower case>`, `sk = user` → `chatId`: the newest write
 * wins, a user's previous username item is deleted (if it still points to them) when they show up
 * with a new one, and a lookup checks that the user's entry still carries the name.
 */
export class DynamoUserDirectory implements UserDirectory {
  private readonly table: Table;

  constructor(options: NotifyStoreOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async upsert(entry: UserEntry): Promise<void> {
    const old = await this.write(entry.chatId, entry.active, entry.lang, entry.username);
    if (!entry.username) return;
    await this.table.put({
      pk: { S: usernamePk(entry.username) },
      sk: { S: USERNAME_SK },
      chatId: { N: String(entry.chatId) },
    });
    const previous = old?.username?.S;
    if (previous && previous.toLowerCase() !== entry.username.toLowerCase()) {
      try {
        await this.table.delete(usernamePk(previous), USERNAME_SK, {
          ConditionExpression: 'chatId = :chatId',
          ExpressionAttributeValues: { ':chatId': { N: String(entry.chatId) } },
        });
      } catch (error) {
        // Someone else holds that name now: their index item stays.
        if (!(error instanceof ConditionFailed)) throw error;
      }
    }
  }

  async setActive(chatId: number, active: boolean): Promise<void> {
    await this.write(chatId, active);
  }

  /** Writes the entry; returns the username it had before, when this write changed it. */
  private async write(chatId: number, active: boolean, lang?: string, username?: string): Promise<Item | undefined> {
    const values: Item = {
      ':active': { BOOL: active },
      ':chatId': { N: String(chatId) },
      ':now': { N: String(this.table.now()) },
    };
    let expression = 'SET active = :active, chatId = :chatId, since = if_not_exists(since, :now)';
    if (lang) {
      values[':lang'] = { S: lang };
      expression += ', lang = :lang';
    }
    if (username) {
      values[':username'] = { S: username };
      expression += ', username = :username';
    }
    return this.table.update(USERS, userSk(chatId), {
      UpdateExpression: expression,
      ExpressionAttributeValues: values,
      ...(username ? { ReturnValues: 'UPDATED_OLD' as const } : {}),
    });
  }

  async activePage(cursor: string | null, limit: number): Promise<UserPage> {
    const page = await this.table.query(USERS, {
      limit,
      ...(cursor ? { afterSk: cursor } : {}),
      attributes: ['chatId'],
      filter: ACTIVE,
    });
    const chatIds = page.items.map((item) => Number(item.chatId?.N)).filter(Number.isSafeInteger);
    return { chatIds, next: page.lastSk ?? null };
  }

  /** Active, unblocked users right now (reads the whole partition: once per broadcast, not per message). */
  async countActive(): Promise<number> {
    return this.table.count(USERS, ACTIVE);
  }

  /** Every user who ever started the bot, blocked or not (reads the whole partition: for /stats). */
  async countAll(): Promise<number> {
    return this.table.count(USERS);
  }

  async get(chatId: number): Promise<UserRecord | undefined> {
    const item = await this.table.get(USERS, userSk(chatId));
    if (!item) return undefined;
    const lang = item.lang?.S;
    const username = item.username?.S;
    return {
      chatId,
      active: item.active?.BOOL === true,
      ...(lang && isLanguage(lang) ? { lang } : {}),
      ...(username ? { username } : {}),
      ...(item.blocked?.BOOL === true ? { blocked: true as const } : {}),
    };
  }

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const name = username.replace(/^@/, '');
    if (name === '') return undefined;
    const chatId = Number((await this.table.get(usernamePk(name), USERNAME_SK))?.chatId?.N);
    if (!Number.isSafeInteger(chatId)) return undefined;
    const user = await this.get(chatId);
    // The index may lag a rename: only a user whose entry still carries the name answers to it.
    return user?.username?.toLowerCase() === name.toLowerCase() ? user : undefined;
  }

  async setBlocked(chatId: number, blocked: boolean): Promise<boolean> {
    try {
      await this.table.update(USERS, userSk(chatId), {
        UpdateExpression: blocked ? 'SET blocked = :yes' : 'REMOVE blocked',
        ConditionExpression: 'attribute_exists(pk)',
        ...(blocked ? { ExpressionAttributeValues: { ':yes': { BOOL: true } } } : {}),
      });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }
}

const DIGEST = 'digest';

/**
 * Digest windows, `pk = digest`, `sk = <window start ms>.<shard>`: `events` (a list of JSON
 * entries), `ids` (a string set of their job ids, for idempotent appends), `opener`, and
 * `sealedAt` once sealed. An append is one conditional `UpdateItem`, so it lands before the seal
 * or not at all. Windows expire after two days.
 */
export class DynamoDigestStore implements DigestStore {
  private readonly table: Table;

  constructor(options: NotifyStoreOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async append(key: string, entry: DigestEntry, maxEvents: number): ReturnType<DigestStore['append']> {
    try {
      const item = await this.table.update(DIGEST, key, {
        UpdateExpression:
          'SET events = list_append(if_not_exists(events, :none), :one), opener = if_not_exists(opener, :id), openedAt = if_not_exists(openedAt, :now), expiresAt = :ttl ADD ids :ids',
        ConditionExpression:
          'attribute_not_exists(sealedAt) AND (attribute_not_exists(ids) OR (NOT contains(ids, :id) AND size(ids) < :max))',
        ExpressionAttributeValues: {
          ':none': { L: [] },
          ':one': { L: [{ S: JSON.stringify(entry) }] },
          ':id': { S: entry.id },
          ':ids': { SS: [entry.id] },
          ':max': { N: String(maxEvents) },
          ':ttl': { N: String(this.table.nowSeconds() + 2 * DAY) },
          ':now': { N: String(this.table.now()) },
        },
        ReturnValues: 'ALL_NEW',
      });
      return { outcome: 'appended', window: windowOf(item) };
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
    const item = await this.table.get(DIGEST, key);
    if (item?.ids?.SS?.includes(entry.id)) return { outcome: 'present', window: windowOf(item) };
    return { outcome: item?.sealedAt ? 'sealed' : 'full' };
  }

  async seal(key: string): Promise<DigestWindow> {
    const item = await this.table.update(DIGEST, key, {
      UpdateExpression: 'SET sealedAt = if_not_exists(sealedAt, :now)',
      ExpressionAttributeValues: { ':now': { N: String(this.table.now()) } },
      ReturnValues: 'ALL_NEW',
    });
    return windowOf(item);
  }
}

function windowOf(item: Item | undefined): DigestWindow {
  const events: DigestEntry[] = [];
  for (const value of item?.events?.L ?? []) {
    try {
      const parsed = DigestEntrySchema.safeParse(JSON.parse(value.S ?? ''));
      if (parsed.success) events.push(parsed.data);
    } catch {
      // An entry that no longer parses is left out of the digest rather than blocking it.
    }
  }
  return {
    events,
    opener: item?.opener?.S ?? '',
    openedAt: Number(item?.openedAt?.N ?? '0'),
    sealed: item?.sealedAt !== undefined,
  };
}

const BROADCAST = 'broadcast';
const COUNTERS = ['sent', 'blocked', 'failed'] as const;

/**
 * Broadcasts, `pk = broadcast`, `sk = <id>`: the message (JSON), the admin message showing
 * progress, `status`, `total`, `queued` with `pages` (a number set, so each page counts once),
 * `pagingDone`, the counters, and `progressAt` (ms of the last progress edit). Kept 30 days.
 */
export class DynamoBroadcastStore implements BroadcastStore {
  private readonly table: Table;

  constructor(options: NotifyStoreOptions) {
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
