import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Deposit, DepositStore } from '../deposit/store.js';
import type { TxRecord, TxStatus, TxStore } from '../solana/tx-store.js';
import { ConditionFailed, Table } from './dynamodb.js';

const NEW_ITEM = { ConditionExpression: 'attribute_not_exists(pk)' };

export interface LedgerOptions {
  client: DynamoDBClient;
  tableName: string;
  now?: () => number;
}

/**
 * Deposits and scan cursors. A deposit is `pk = deposit#<signature>`, `sk = deposit`, created
 * only if absent (a signature counts once, whoever finds it); a wallet's cursor is
 * `pk = depositscan#<wallet>`, `sk = cursor`. Neither expires: they are the money trail.
 */
export class DynamoDepositStore implements DepositStore {
  private readonly table: Table;

  constructor(options: LedgerOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async cursor(wallet: string): Promise<string | undefined> {
    return (await this.table.get(`depositscan#${wallet}`, 'cursor'))?.signature?.S;
  }

  async setCursor(wallet: string, signature: string): Promise<void> {
    await this.table.put({
      pk: { S: `depositscan#${wallet}` },
      sk: { S: 'cursor' },
      signature: { S: signature },
      updatedAt: { N: String(this.table.nowSeconds()) },
    });
  }

  async record(deposit: Deposit): Promise<boolean> {
    try {
      await this.table.put(
        {
          pk: { S: `deposit#${deposit.signature}` },
          sk: { S: 'deposit' },
          userId: { N: String(deposit.userId) },
          wallet: { S: deposit.wallet },
          lamports: { N: deposit.lamports.toString() },
          slot: { N: String(deposit.slot) },
          ...(deposit.blockTime === null ? {} : { blockTime: { N: String(deposit.blockTime) } }),
          status: { S: 'found' },
          foundAt: { N: String(this.table.nowSeconds()) },
        },
        NEW_ITEM,
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }
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
