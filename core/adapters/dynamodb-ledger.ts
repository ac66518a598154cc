import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Ledger, LedgerEntry } from '../ledger/ledger.js';
import type { TxRecord, TxStatus, TxStore } from '../solana/tx-store.js';
import { ConditionFailed, gaugeValue, Table, type TransactAction, TransactionCancelled } from './dynamodb.js';
import { PENDING_DEPOSITS } from './dynamodb-deposits.js';

const NEW_ITEM = { ConditionExpression: 'attribute_not_exists(pk)' };

export interface LedgerOptions {
  client: DynamoDBClient;
  tableName: string;
  now?: () => number;
}

/**
 * Sent transactions, one item per `tx.send` job: `pk = txjob#<jobId>`, `sk = tx`, created with
 * its signature before the first send and never given another.
 */
export class DynamoTxStore implements TxStore {
  private readonly table: Table;

  constructor(options: LedgerOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async begin(record: Omit<TxRecord, 'status'>): Promise<TxRecord> {
    try {
      await this.table.put(
        {
          pk: { S: `txjob#${record.jobId}` },
          sk: { S: 'tx' },
          signature: { S: record.signature },
          lastValidBlockHeight: { N: String(record.lastValidBlockHeight) },
          status: { S: 'sending' },
          createdAt: { N: String(this.table.nowSeconds()) },
        },
        NEW_ITEM,
      );
      return { ...record, status: 'sending' };
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
    const item = await this.table.get(`txjob#${record.jobId}`, 'tx');
    return {
      jobId: record.jobId,
      signature: item?.signature?.S ?? '',
      lastValidBlockHeight: Number(item?.lastValidBlockHeight?.N ?? '0'),
      status: (item?.status?.S ?? 'sending') as TxStatus,
    };
  }

  async finish(jobId: string, status: Exclude<TxStatus, 'sending'>): Promise<void> {
    try {
      await this.table.update(`txjob#${jobId}`, 'tx', {
        UpdateExpression: 'SET #status = :final, finishedAt = :now',
        ConditionExpression: '#status = :sending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':final': { S: status },
          ':sending': { S: 'sending' },
          ':now': { N: String(this.table.nowSeconds()) },
        },
      });
    } catch (error) {
      // Already final: the first outcome stands.
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }
}

/**
 * Internal balances (`pk = balance#<userId>`, `sk = balance`) and their ledger
 * (`pk = ledger#<userId>`, `sk = e#<ms, 13 digits>#<kind>#<ref>`). Crediting a deposit is one
 * `TransactWriteItems`: the deposit's status `found → confirmed` (the condition that makes it
 * happen once), the ledger entry, and the balance increment.
 */
export class DynamoLedger implements Ledger {
  private readonly table: Table;

  constructor(options: LedgerOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async debitForPayout(userId: number, payoutId: string, lamports: bigint): Promise<'debited' | 'insufficient'> {
    try {
      await this.table.transact(this.movement(userId, 'withdrawal', payoutId, -lamports, lamports));
      return 'debited';
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
      // Cancelled by the marker (debited before: a redelivery) or by the balance condition.
      return error.reasons[0] === 'ConditionalCheckFailed' ? 'debited' : 'insufficient';
    }
  }

  async refundPayout(userId: number, payoutId: string, lamports: bigint): Promise<void> {
    try {
      await this.table.transact(this.movement(userId, 'refund', payoutId, lamports));
    } catch (error) {
      // Refunded before.
      if (!(error instanceof TransactionCancelled)) throw error;
    }
  }

  /**
   * One balance movement, all or nothing: a marker item that makes it happen once per
   * (kind, ref), the ledger entry, and the balance change (a debit only if `atLeast` is there).
   */
  private movement(
    userId: number,
    kind: LedgerEntry['kind'],
    ref: string,
    lamports: bigint,
    atLeast?: bigint,
  ): TransactAction[] {
    const now = this.table.now();
    return [
      {
        put: { pk: { S: `ledgerref#${kind}#${ref}` }, sk: { S: 'ref' }, userId: { N: String(userId) } },
        condition: NEW_ITEM,
      },
      {
        put: {
          pk: { S: `ledger#${userId}` },
          sk: { S: `e#${String(now).padStart(13, '0')}#${kind}#${ref}` },
          kind: { S: kind },
          lamports: { N: lamports.toString() },
          ref: { S: ref },
          at: { N: String(now) },
        },
        condition: NEW_ITEM,
      },
      {
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
      },
    ];
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
