import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger, type Logger, type LogLevel } from '../../core/platform/log.js';
import { resolveSecrets } from './secrets.js';

/**
 * Cold-start wiring shared by the handlers. SDK clients take their endpoints from the
 * standard `AWS_ENDPOINT_URL_<SERVICE>` variables, so the same bundle runs on AWS and on the
 * local stack; nothing here knows which.
 */
export const environment = (): Promise<Record<string, string | undefined>> => resolveSecrets(process.env);

export const dynamoClient = () => new DynamoDBClient({ maxAttempts: 2 });
export const sqsClient = () => new SQSClient({ maxAttempts: 2 });

/** The function's logger; `secrets` are the config values it must never print. */
export function functionLogger(service: string, level: LogLevel | undefined, secrets: readonly string[] = []): Logger {
  return createLogger({ service, level: level ?? 'info', secrets });
}
