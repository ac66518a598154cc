import {
  gaugeValue,
  Table,
  type TableOptions,
  type TransactAction,
  TransactionCancelled,
} from '../../platform/adapters/index.js';
import type { HoldStatus, Ledger, LedgerEntry, PayoutHold } from './ledger.js';
import { PENDING_DEPOSITS } from './ledger.js';

const NEW_ITEM = { ConditionExpression: 'attribute_not_exists(pk)' };

/**
 * Internal balances (`pk = balance#<userId>`, `sk = balance`) and their ledger
 * (`pk = ledger#<userId>`, `sk = e#<ms, 13 digits>#<kind>#<ref>`). Crediting a deposit is one
 * `TransactWriteItems`: the deposit's status `found → confirmed` (the condition that makes it
 * happen once), the ledger entry, and the balance increment.
 */
export class DynamoLedger implements Ledger {
  private readonly table: Table;

  constructor(options: TableOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async holdForPayout(userId: number, payoutId: string, lamports: bigint): Promise<HoldStatus | 'insufficient'> {
    const now = this.table.now();
    try {
      await this.table.transact([
        {
          put: {
            pk: { S: `hold#${payoutId}` },
            sk: { S: 'hold' },
            userId: { N: String(userId) },
            lamports: { N: lamports.toString() },
            status: { S: 'held' },
            heldAt: { N: String(now) },
          },
          condition: NEW_ITEM,
        },
        this.entry(userId, 'withdrawal', payoutId, -lamports, now),
        this.balanceMove(userId, -lamports, lamports),
      ]);
      return 'held';
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      // Held before (a redelivery: answer what became of it), or the balance does not cover it.
      if (error.reasons[0] !== 'ConditionalCheckFailed') return 'insufficient';
      return (await this.holdOf(payoutId))?.status ?? 'insufficient';
    }
  }

  releaseHold(payoutId: string): Promise<HoldStatus | 'missing'> {
    return this.endHold(payoutId, 'released');
  }

  settleHold(payoutId: string): Promise<HoldStatus | 'missing'> {
    return this.endHold(payoutId, 'settled');
  }

  async holdOf(payoutId: string): Promise<PayoutHold | undefined> {
    const item = await this.table.get(`hold#${payoutId}`, 'hold');
    if (!item) return undefined;
    return {
      payoutId,
      userId: Number(item.userId?.N),
      lamports: BigInt(item.lamports?.N ?? '0'),
      status: (item.status?.S ?? 'held') as HoldStatus,
    };
  }

  /**
   * `held → to`, once: the hold's status changes only from `held`, and a release credits the
   * balance back with its refund entry in the same transaction.
   */
  private async endHold(payoutId: string, to: 'released' | 'settled'): Promise<HoldStatus | 'missing'> {
    const hold = await this.holdOf(payoutId);
    if (!hold) return 'missing';
    if (hold.status !== 'held') return hold.status;
    const now = this.table.now();
    const ended: TransactAction = {
      update: {
        pk: `hold#${payoutId}`,
        sk: 'hold',
        UpdateExpression: 'SET #status = :to, endedAt = :now',
        ConditionExpression: '#status = :held',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':to': { S: to }, ':held': { S: 'held' }, ':now': { N: String(now) } },
      },
    };
    try {
      await this.table.transact(
        to === 'settled'
          ? [ended]
          : [
              ended,
              this.entry(hold.userId, 'refund', payoutId, hold.lamports, now),
              this.balanceMove(hold.userId, hold.lamports),
            ],
      );
      return to;
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      // Ended by a racing job: its outcome stands.
      return (await this.holdOf(payoutId))?.status ?? 'missing';
    }
  }

  /** A ledger entry, written once (its key holds the time, kind and cause). */
  private entry(userId: number, kind: LedgerEntry['kind'], ref: string, lamports: bigint, now: number): TransactAction {
    return {
      put: {
        pk: { S: `ledger#${userId}` },
        sk: { S: `e#${String(now).padStart(13, '0')}#${kind}#${ref}` },
        kind: { S: kind },
        lamports: { N: lamports.toString() },
        ref: { S: ref },
        at: { N: String(now) },
      },
      condition: NEW_ITEM,
    };
  }

  /** The balance moved by `lamports`; a debit only while the balance is at least `atLeast`. */
  private balanceMove(userId: number, lamports: bigint, atLeast?: bigint): TransactAction {
    return {
      update: {
        pk: `balance#${userId}`,
        sk: 'balance',
        UpdateExpression: 'ADD lamports :amount',
        ExpressionAttributeValues: {
          ':amount': { N: lamports.toString() },
          ...(atLeast === undefined ? {} : { ':atLeast': { N: atLeast.toString() } }),
        },
        ...(atLeast === undefined ? {} : { ConditionExpression: 'lamports >= :atLeast' }),
      },
    };
  }

  pendingDeposits(): Promise<number> {
    return gaugeValue(this.table, PENDING_DEPOSITS);
  }

  async balance(userId: number): Promise<bigint> {
    return BigInt((await this.table.get(`balance#${userId}`, 'balance'))?.lamports?.N ?? '0');
  }

  async history(userId: number, limit: number): Promise<LedgerEntry[]> {
    const page = await this.table.query(`ledger#${userId}`, { skPrefix: 'e#', limit, descending: true });
    return page.items.map((item) => ({
      at: Number(item.at?.N ?? '0'),
      kind: (item.kind?.S ?? 'deposit') as LedgerEntry['kind'],
      lamports: BigInt(item.lamports?.N ?? '0'),
      ref: item.ref?.S ?? '',
    }));
  }
}
