import {
  ConditionFailed,
  gaugeMove,
  gaugeValue,
  type Item,
  Table,
  type TableOptions,
  TransactionCancelled,
} from '../../platform/adapters/index.js';
import type { WalletBook } from './book.js';

/** Wallets verified and not removed, all users together. */
const VERIFIED_WALLETS = 'wallets.verified';

const n = (value: number | bigint) => ({ N: String(value) });

/** A removal is remembered this long (past any queue's retention), then its item expires (TTL). */
const REMOVAL_RETENTION_SECONDS = 15 * 86_400;

/**
 * Verified wallets: `pk = wallets#<userId>`, `sk = <address>`. A wallet in the book has
 * `verifiedAt` (ms, the first verification). `decidedAt` (ms) is the user action that decided
 * the item's state last; a write for an older action fails its condition and changes nothing,
 * so verifications and removals may run in any order. A removed wallet keeps only `decidedAt`
 * and an `expiresAt`, so a late verification asked before the removal cannot bring it back.
 */
export class DynamoWalletBook implements WalletBook {
  private readonly table: Table;

  constructor(options: TableOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  /**
   * One conditional write for the action at `at`; an older (or the same) action's write is ignored.
   * When it flips the wallet between verified and not (`flips`), the verified-wallets gauge moves
   * by `delta` in the same transaction; otherwise the write alone records the action.
   */
  private async decide(
    userId: number,
    address: string,
    at: number,
    update: string,
    values: Item,
    flips: { condition: string; delta: number },
  ): Promise<void> {
    const write = {
      pk: `wallets#${userId}`,
      sk: address,
      UpdateExpression: update,
      ExpressionAttributeValues: { ':at': n(at), ...values },
    };
    const newer = '(attribute_not_exists(decidedAt) OR decidedAt < :at)';
    try {
      await this.table.transact([
        { update: { ...write, ConditionExpression: `${newer} AND ${flips.condition}` } },
        gaugeMove(VERIFIED_WALLETS, flips.delta),
      ]);
      return;
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
    }
    try {
      const { pk, sk, ...rest } = write;
      await this.table.update(pk, sk, { ...rest, ConditionExpression: newer });
    } catch (error) {
      // A later action (or this one, redelivered) decided already.
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }

  /** Verified wallets across all users. */
  count(): Promise<number> {
    return gaugeValue(this.table, VERIFIED_WALLETS);
  }

  async add(userId: number, address: string, at = this.table.now()): Promise<void> {
    // Verified before: the first time stays.
    await this.decide(
      userId,
      address,
      at,
      'SET decidedAt = :at, verifiedAt = if_not_exists(verifiedAt, :now) REMOVE expiresAt',
      { ':now': n(this.table.now()) },
      { condition: 'attribute_not_exists(verifiedAt)', delta: 1 },
    );
  }

  async remove(userId: number, address: string, at = this.table.now()): Promise<void> {
    await this.decide(
      userId,
      address,
      at,
      'SET decidedAt = :at, expiresAt = :expires REMOVE verifiedAt',
      { ':expires': n(this.table.nowSeconds() + REMOVAL_RETENTION_SECONDS) },
      { condition: 'attribute_exists(verifiedAt)', delta: -1 },
    );
  }

  async has(userId: number, address: string): Promise<boolean> {
    return (await this.table.get(`wallets#${userId}`, address))?.verifiedAt !== undefined;
  }

  async list(userId: number): Promise<string[]> {
    const found: { address: string; at: number }[] = [];
    let afterSk: string | undefined;
    do {
      const page = await this.table.query(`wallets#${userId}`, { ...(afterSk ? { afterSk } : {}) });
      for (const item of page.items) {
        if (item.verifiedAt?.N !== undefined) found.push({ address: item.sk?.S ?? '', at: Number(item.verifiedAt.N) });
      }
      afterSk = page.lastSk;
    } while (afterSk);
    return found.sort((a, b) => a.at - b.at).map((w) => w.address);
  }
}
