import { ConditionFailed, Table, type TableOptions } from '../../platform/adapters/index.js';
import type { TxRecord, TxStatus, TxStore } from './tx-store.js';

const NEW_ITEM = { ConditionExpression: 'attribute_not_exists(pk)' };

/**
 * Sent transactions, one item per `tx.send` job: `pk = txjob#<jobId>`, `sk = tx`, created with
 * its signature before the first send and never given another.
 */
export class DynamoTxStore implements TxStore {
  private readonly table: Table;

  constructor(options: TableOptions) {
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
