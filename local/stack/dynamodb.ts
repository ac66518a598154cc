/** The stack's DynamoDB: the stage's table, each function held to its table grant as IAM holds it on AWS. */
import type { FunctionWiring } from '../../stacks/manifest.js';
import { type LocalDynamoDb, startLocalDynamoDb, tableNameFor } from '../aws/dynamodb.js';

/** Starts DynamoDB (data in `dataDir`) with the stage's table and the functions' grants. */
export function startStackDynamoDb(options: {
  dataDir: string;
  stage: string;
  functions: Readonly<Record<string, FunctionWiring>>;
}): Promise<LocalDynamoDb> {
  return startLocalDynamoDb({
    dataDir: options.dataDir,
    tableName: tableNameFor(options.stage),
    // What IAM does on AWS: each function may touch only the items of its table grant.
    access: Object.fromEntries(Object.entries(options.functions).map(([name, wiring]) => [name, wiring.table])),
  });
}
