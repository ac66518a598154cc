import { ConditionFailed, Table, type TableOptions } from '../../platform/adapters/index.js';
import type { QuotaStore } from './quota.js';

const pk = (userId: number) => `ai#${userId}`;

const QUOTA_RETENTION_SECONDS = 2 * 86_400;

export class DynamoQuotaStore implements QuotaStore {
  private readonly table: Table;

  constructor(options: TableOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async take(userId: number, day: string, jobId: string, limit: number): Promise<{ ok: boolean; used: number }> {
    try {
      const attributes = await this.table.update(pk(userId), `quota#${day}`, {
        UpdateExpression: 'ADD #used :one, #jobs :job SET #expiresAt = :expiresAt',
        ConditionExpression: '(attribute_not_exists(#used) OR #used < :limit) AND NOT contains(#jobs, :id)',
        ExpressionAttributeNames: { '#used': 'used', '#jobs': 'jobs', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':job': { SS: [jobId] },
          ':id': { S: jobId },
          ':limit': { N: String(limit) },
          ':expiresAt': { N: String(this.table.nowSeconds() + QUOTA_RETENTION_SECONDS) },
        },
        ReturnValues: 'UPDATED_NEW',
      });
      return { ok: true, used: Number(attributes?.used?.N ?? '1') };
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      // Either the day is used up, or this job was counted before (a redelivery): read which.
      const item = await this.table.get(pk(userId), `quota#${day}`);
      const used = Number(item?.used?.N ?? '0');
      return { ok: item?.jobs?.SS?.includes(jobId) ?? false, used };
    }
  }

  async giveBack(userId: number, day: string, jobId: string): Promise<void> {
    try {
      await this.table.update(pk(userId), `quota#${day}`, {
        UpdateExpression: 'ADD #used :minusOne DELETE #jobs :job',
        ConditionExpression: 'contains(#jobs, :id)',
        ExpressionAttributeNames: { '#used': 'used', '#jobs': 'jobs' },
        ExpressionAttributeValues: { ':minusOne': { N: '-1' }, ':job': { SS: [jobId] }, ':id': { S: jobId } },
      });
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }
}
