import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws/common.js';
import { startStackDataDir } from '../../../local/stack/data-dir.js';
import { startStackDynamoDb } from '../../../local/stack/dynamodb.js';
import { FUNCTIONS } from '../../../stacks/manifest.js';
import { reachable } from './reachable.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('startStackDynamoDb', () => {
  it("starts DynamoDB with the stage's table and stops it", async () => {
    const dataDir = await startStackDataDir('dev');
    cleanups.push(() => dataDir.stop());
    const dynamodb = await startStackDynamoDb({ dataDir: dataDir.path, stage: 'dev', functions: FUNCTIONS });
    const client = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
    try {
      expect(dynamodb.tableName).toBe('dev-table');
      const { Table } = await client.send(new DescribeTableCommand({ TableName: 'dev-table' }));
      expect(Table?.TableStatus).toBe('ACTIVE');
    } finally {
      client.destroy();
      await dynamodb.stop();
    }
    expect(await reachable(dynamodb.endpoint)).toBe(false);
  });
});
