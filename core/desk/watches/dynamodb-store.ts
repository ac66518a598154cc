import { ConditionFailed, type Item, MAX_BATCH_GET, Table, type TableOptions } from '../../platform/adapters/index.js';
import { isLanguage, type Language } from '../../platform/i18n/index.js';
import type { AddressPage, ChatWatch, Watcher, WatchSnapshot, WatchStore } from './store.js';

/** The partition listing every watched address (one item per address, holding its snapshot). */
const WATCHSET = 'watchset';
const addressSk = (address: string) => `addr#${address}`;
const watchersPk = (address: string) => `watch#${address}`;
const chatSk = (chatId: number) => `chat#${chatId}`;
const chatWatchesPk = (chatId: number) => `watches#${chatId}`;

const EXISTS = { ConditionExpression: 'attribute_exists(pk)' } as const;

/**
 * `WatchStore` on the single table. Three kinds of items:
 * - `pk = watchset`, `sk = addr#<address>`: a watched address. `chats` (a number set) holds the
 *   chats watching it; `lamports` (string), `version` and `updatedAt` (ms) are its snapshot, absent
 *   until the first sighting. A query on `pk = watchset` lists every watched address by page.
 * - `pk = watch#<address>`, `sk = chat#<chatId>`: one watcher (`chatId`, `userId`, `lang`,
 *   `thresholdLamports` as a string); a query on the address partition lists its watchers.
 * - `pk = watches#<chatId>`, `sk = addr#<address>`: the chat's watch list (`/watches`): `address`,
 *   `thresholdLamports` and `lang`, as on the watcher item.
 *
 * DynamoDB Local emulators lack transactions, and none is needed: set `ADD`/`DELETE` are idempotent,
 * and the writes are ordered so a chat is in `chats` before its watcher item exists and after it
 * is gone. A failed call leaves at worst an address listed with no watcher (one wasted read per
 * poll) until the call is retried. The `watchset` item is deleted with its last chat (condition:
 * `chats` gone, which DynamoDB does when a set empties), and a snapshot write requires the item to
 * exist, so neither a late check nor a removal can resurrect it.
 *
 * Versions come from the clock (`max(now in ms, previous + 1)`), so they never repeat for an
 * address, even after it was unwatched and watched again; notices derive their ids from them.
 */
export class DynamoWatchStore implements WatchStore {
  private readonly table: Table;

  constructor(options: TableOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async addWatcher(address: string, watcher: Watcher): Promise<void> {
    // No copy of the address beside its key: every poll reads this item, and pays by its bytes.
    await this.table.update(WATCHSET, addressSk(address), {
      UpdateExpression: 'ADD chats :chat',
      ExpressionAttributeValues: { ':chat': { NS: [String(watcher.chatId)] } },
    });
    const threshold = { S: watcher.thresholdLamports.toString() };
    await this.table.put({
      pk: { S: watchersPk(address) },
      sk: { S: chatSk(watcher.chatId) },
      chatId: { N: String(watcher.chatId) },
      userId: { N: String(watcher.userId) },
      lang: { S: watcher.lang },
      thresholdLamports: threshold,
    });
    await this.table.put({
      pk: { S: chatWatchesPk(watcher.chatId) },
      sk: { S: addressSk(address) },
      address: { S: address },
      thresholdLamports: threshold,
      lang: { S: watcher.lang },
    });
  }

  async removeWatcher(address: string, chatId: number): Promise<boolean> {
    const existed = await this.deleteIfExists(watchersPk(address), chatSk(chatId));
    await this.table.delete(chatWatchesPk(chatId), addressSk(address));
    let remaining: Item | undefined;
    try {
      remaining = await this.table.update(WATCHSET, addressSk(address), {
        UpdateExpression: 'DELETE chats :chat',
        ...EXISTS,
        ExpressionAttributeValues: { ':chat': { NS: [String(chatId)] } },
        ReturnValues: 'ALL_NEW',
      });
    } catch (error) {
      if (error instanceof ConditionFailed) return existed;
      throw error;
    }
    if (remaining?.chats === undefined) {
      // Last watcher gone; unless a concurrent addWatcher has just added a chat back.
      await this.deleteIfExists(WATCHSET, addressSk(address), 'attribute_not_exists(chats)');
    }
    return existed;
  }

  async watchlist(chatId: number): Promise<ChatWatch[]> {
    const items = await this.queryAll(chatWatchesPk(chatId));
    return items.flatMap((item) => {
      const address = item.address?.S;
      return address
        ? [{ address, thresholdLamports: parseLamports(item.thresholdLamports?.S), lang: languageOf(item.lang?.S) }]
        : [];
    });
  }

  async listAddresses(cursor: string | undefined, limit: number): Promise<AddressPage> {
    // The snapshot lives on the same item; the listing needs the key and when the snapshot last
    // moved (the poll's cadence). Eventual consistency is fine: an address added a moment ago is
    // picked up by the next poll, and a move a moment ago only makes the address due sooner.
    const page = await this.table.query(WATCHSET, {
      limit,
      afterSk: cursor === undefined ? undefined : addressSk(cursor),
      attributes: ['sk', 'updatedAt'],
      consistent: false,
    });
    const addresses: string[] = [];
    const changedAt = new Map<string, number>();
    for (const item of page.items) {
      const address = addressOf(item.sk?.S);
      if (address === undefined) continue;
      addresses.push(address);
      const at = Number(item.updatedAt?.N);
      if (item.updatedAt?.N !== undefined && Number.isFinite(at)) changedAt.set(address, at);
    }
    return { addresses, changedAt, next: addressOf(page.lastSk) };
  }

  async watchers(address: string): Promise<Watcher[]> {
    const items = await this.queryAll(watchersPk(address));
    return items.flatMap((item): Watcher[] => {
      const chatId = Number(item.chatId?.N);
      const userId = Number(item.userId?.N);
      if (!Number.isSafeInteger(chatId) || !Number.isSafeInteger(userId)) return [];
      return [
        { chatId, userId, lang: languageOf(item.lang?.S), thresholdLamports: parseLamports(item.thresholdLamports?.S) },
      ];
    });
  }

  async snapshots(addresses: readonly string[]): Promise<Map<string, WatchSnapshot | null>> {
    const unique = [...new Set(addresses)];
    if (unique.length > MAX_BATCH_GET) throw new RangeError(`snapshots takes at most ${MAX_BATCH_GET} addresses`);
    if (unique.length === 0) return new Map();
    // Consistent: a notice is emitted before its snapshot moves, so a stale read would announce a change twice.
    // One range query over the addresses' span of the watchset partition, not a batch of key reads:
    // a check's addresses are one page of `listAddresses`, so the span holds just them, and a query
    // is billed by the bytes it reads (4 KB a unit) where a batch read bills each item a whole unit.
    const sorted = [...unique].sort();
    const wanted = new Set(unique);
    const items: Item[] = [];
    let afterSk: string | undefined;
    do {
      const page = await this.table.query(WATCHSET, {
        skRange: { from: addressSk(sorted[0]!), to: addressSk(sorted.at(-1)!) },
        attributes: ['sk', 'lamports', 'version'],
        ...(afterSk === undefined ? {} : { afterSk }),
      });
      items.push(...page.items);
      afterSk = page.lastSk;
    } while (afterSk !== undefined);
    const found = new Map<string, WatchSnapshot | null>();
    for (const item of items) {
      const address = addressOf(item.sk?.S);
      if (address === undefined || !wanted.has(address)) continue;
      const version = Number(item.version?.N ?? '0');
      const lamports = item.lamports?.S;
      found.set(address, version > 0 && lamports !== undefined ? { lamports: parseLamports(lamports), version } : null);
    }
    return found;
  }

  async updateSnapshot(address: string, expectedVersion: number, lamports: bigint): Promise<boolean> {
    const now = this.table.now();
    try {
      await this.table.update(WATCHSET, addressSk(address), {
        UpdateExpression: 'SET lamports = :lamports, #version = :next, updatedAt = :now',
        ConditionExpression:
          expectedVersion === 0 ? 'attribute_exists(pk) AND attribute_not_exists(#version)' : '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: {
          ':lamports': { S: lamports.toString() },
          ':next': { N: String(Math.max(now, expectedVersion + 1)) },
          ':now': { N: String(now) },
          ...(expectedVersion === 0 ? {} : { ':expected': { N: String(expectedVersion) } }),
        },
      });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }

  /** Deletes an item if it exists (and `condition` holds); false when it did not. */
  private async deleteIfExists(pk: string, sk: string, condition = 'attribute_exists(pk)'): Promise<boolean> {
    try {
      await this.table.delete(pk, sk, { ConditionExpression: condition });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }

  private async queryAll(pk: string): Promise<Item[]> {
    const items: Item[] = [];
    let afterSk: string | undefined;
    do {
      const page = await this.table.query(pk, { afterSk });
      items.push(...page.items);
      afterSk = page.lastSk;
    } while (afterSk !== undefined);
    return items;
  }
}

function addressOf(sk: string | undefined): string | undefined {
  return sk?.startsWith('addr#') ? sk.slice('addr#'.length) : undefined;
}

/** A stored language; an item written before languages were stored, or a language since dropped, reads as English. */
function languageOf(text: string | undefined): Language {
  return text !== undefined && isLanguage(text) ? text : 'en';
}

function parseLamports(text: string | undefined): bigint {
  try {
    return text === undefined ? 0n : BigInt(text);
  } catch {
    return 0n;
  }
}
