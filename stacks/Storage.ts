import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { type StackContext, use } from 'sst/constructs';
import { TABLE_KEYS } from '../core/desk/settings.js';
import { Keys } from './Keys.js';
import { isProduction, statefulRemovalPolicy } from './stage.js';

/**
 * The single table (sessions, processed `update_id`s, ...), keyed exactly as `TABLE_KEYS` says so
 * the local runtime creates the same table.
 *
 * On-demand (traffic follows Telegram, not a forecast), point-in-time recovery, TTL on
 * `TABLE_KEYS.ttlAttribute`, and encryption at rest with the project key.
 */
export function Storage({ stack }: StackContext) {
  const { key } = use(Keys);
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
    timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
    removalPolicy: statefulRemovalPolicy(stack.stage),
    deletionProtection: isProduction(stack.stage),
  });
  stack.addOutputs({ TableName: table.tableName });
  return { table, key };
}
