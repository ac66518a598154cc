import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Table } from '../adapters/index.js';
import type { JobProgress } from './progress.js';
/** Job progress items `pk = job#<id>`, `sk = progress`, expiring after the DLQ retention. */
export class DynamoJobProgress implements JobProgress {
  private readonly table: Table;

  constructor(
    private readonly options: { client: DynamoDBClient; tableName: string; retainSeconds: number; now?: () => number },
  ) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async done(jobId: string): Promise<number> {
    return Number((await this.table.get(`job#${jobId}`, 'progress'))?.done?.N ?? '0');
  }

  async record(jobId: string, done: number): Promise<void> {
    const expiresAt = this.table.nowSeconds() + this.options.retainSeconds;
    await this.table.put({
      pk: { S: `job#${jobId}` },
      sk: { S: 'progress' },
      done: { N: String(done) },
      expiresAt: { N: String(expiresAt) },
    });
  }
}
