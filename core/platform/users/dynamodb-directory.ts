import { ConditionFailed, type Item, Table, type TableOptions } from '../adapters/index.js';
import { isLanguage } from '../i18n/index.js';
import type { UserDirectory, UserEntry, UserPage, UserRecord } from './directory.js';

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

  constructor(options: TableOptions) {
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
