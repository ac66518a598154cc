import {
  type Condition,
  ConditionFailed,
  type Item,
  MAX_BATCH_GET,
  type QueryOptions,
  Table,
  type TableOptions,
} from '../../platform/adapters/index.js';
import { isLanguage, type Language } from '../../platform/i18n/index.js';
import { type FirstCharacters, HOT_MS } from './cadence.js';
import type { AddressPage, ChatWatch, Watcher, WatchSnapshot, WatchStore } from './store.js';

/** The partition listing every watched address (one item per address, holding its snapshot). */
const WATCHSET = 'watchset';
/** The partition of hot addresses (moved lately, or not seen yet): the ones every poll checks. */
const WATCHHOT = 'watchhot';
/** Sorts after every base58 character: `addr#<c>~` closes the span of the addresses starting with `c`. */
const AFTER_BASE58 = '~';
/**
 * Items per page of a check's snapshot read. A query is billed by the bytes it reads, rounded up
 * to 4 KB per page, and a watchset item is about 120 bytes: a page of 32 costs one read unit, and
 * the next page starts at the next wanted address, so scattered addresses cost a unit each at most.
 */
const SNAPSHOT_PAGE = 32;
/**
 * How long a newly watched address stays hot if no poll sees it: the next poll normally does, and
 * a poller stopped longer than this falls back to reading it with its first character's span
 * (`isDue` makes an address not seen yet due whenever it is read). Bounds the reads of an address
 * watched and unwatched before any poll saw it, should its removal not clear its hot entry.
 */
const UNSEEN_HOT_MS = 7 * 24 * 3_600_000;
/** Cooled-down hot entries a poll deletes at once. */
const COOLED_DELETES = 16;
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
 * - `pk = watchhot`, `sk = addr#<address>`: a hot address, `until` (ms) when it stops being hot.
 *   Written when a new address is watched and before each snapshot move (`until` only grows: a
 *   conditional write), removed with the address's last watcher or by the poll that finds it cooled down.
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
    const item = await this.table.update(WATCHSET, addressSk(address), {
      UpdateExpression: 'ADD chats :chat',
      ExpressionAttributeValues: { ':chat': { NS: [String(watcher.chatId)] } },
      ReturnValues: 'ALL_NEW',
    });
    // Not seen yet: hot, so the next poll records its first sighting (which keeps it hot an hour).
    if (item?.version === undefined) await this.heat(address, this.table.now() + UNSEEN_HOT_MS);
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
      // Last watcher gone: the address is no longer hot (before its item goes, so a retry gets here
      // again). Unless a concurrent addWatcher has just added a chat back: then it is not seen yet,
      // and read with its span until the first sighting, only not at every poll.
      await this.table.delete(WATCHHOT, addressSk(address));
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

  async listAddresses(cursor: string | undefined, limit: number, span?: FirstCharacters): Promise<AddressPage> {
    // The snapshot lives on the same item; the listing needs the key and when the snapshot last
    // moved (the poll's cadence). Eventual consistency is fine: an address added a moment ago is
    // picked up by the next poll, and a move a moment ago only makes the address due sooner.
    const page = await this.table.query(WATCHSET, {
      limit,
      afterSk: cursor === undefined ? undefined : addressSk(cursor),
      ...(span === undefined ? {} : { skRange: { from: addressSk(span.from), to: addressSk(span.to + AFTER_BASE58) } }),
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

  async hotAddresses(at: number): Promise<string[]> {
    // Eventually consistent, like the listing: an address turned hot a moment ago is due anyway.
    const items = await this.queryAll(WATCHHOT, { attributes: ['sk', 'until'], consistent: false });
    const hot: string[] = [];
    const cooled: string[] = [];
    for (const item of items) {
      const address = addressOf(item.sk?.S);
      if (address === undefined) continue;
      if (Number(item.until?.N) > at) hot.push(address);
      else cooled.push(address);
    }
    // Unless it turned hot again meanwhile; a few at a time (after a stopped poller, many cool at once).
    for (let i = 0; i < cooled.length; i += COOLED_DELETES) {
      await Promise.all(
        cooled.slice(i, i + COOLED_DELETES).map((address) =>
          this.deleteIfExists(WATCHHOT, addressSk(address), '#until <= :at', {
            ExpressionAttributeNames: { '#until': 'until' },
            ExpressionAttributeValues: { ':at': { N: String(at) } },
          }),
        ),
      );
    }
    return hot;
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
    // Range queries over the watchset partition, not a batch of key reads: a query is billed by the
    // bytes it reads (4 KB a unit) where a batch read bills each item a whole unit. Each page starts
    // at the next wanted address and holds `SNAPSHOT_PAGE` items, so neighbours in the list share
    // a page and far-apart addresses (hot ones) do not read the list between them.
    const sorted = [...unique].sort();
    const wanted = new Set(unique);
    const items: Item[] = [];
    let next = 0;
    while (next < sorted.length) {
      const page = await this.table.query(WATCHSET, {
        skRange: { from: addressSk(sorted[next]!), to: addressSk(sorted.at(-1)!) },
        attributes: ['sk', 'lamports', 'version'],
        limit: SNAPSHOT_PAGE,
      });
      items.push(...page.items);
      const last = addressOf(page.lastSk);
      if (last === undefined) break;
      while (next < sorted.length && sorted[next]! <= last) next++;
    }
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
    // Hot first, from the same instant as `updatedAt`: once the snapshot has moved, the address is
    // hot for as long as `isDue` checks it at every poll, even if this call fails in between.
    // A first sighting replaces the longer hot time of an address not seen yet.
    await this.heat(address, now + HOT_MS, expectedVersion === 0);
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

  /** Keeps `address` hot until `until` (ms) at least, or exactly with `replace`. */
  private async heat(address: string, until: number, replace = false): Promise<void> {
    try {
      await this.table.update(WATCHHOT, addressSk(address), {
        UpdateExpression: 'SET #until = :until',
        ...(replace ? {} : { ConditionExpression: 'attribute_not_exists(#until) OR #until < :until' }),
        ExpressionAttributeNames: { '#until': 'until' },
        ExpressionAttributeValues: { ':until': { N: String(until) } },
      });
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }

  /** Deletes an item if it exists (and `condition` holds); false when it did not. */
  private async deleteIfExists(
    pk: string,
    sk: string,
    condition = 'attribute_exists(pk)',
    values: Omit<Condition, 'ConditionExpression'> = {},
  ): Promise<boolean> {
    try {
      await this.table.delete(pk, sk, { ConditionExpression: condition, ...values });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }

  private async queryAll(pk: string, options: Omit<QueryOptions, 'afterSk'> = {}): Promise<Item[]> {
    const items: Item[] = [];
    let afterSk: string | undefined;
    do {
      const page = await this.table.query(pk, { ...options, afterSk });
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
