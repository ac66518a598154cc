import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { resolveSecrets } from './secrets.js';

/**
 * Cold-start wiring shared by the handlers. SDK clients take their endpoints from the
 * standard `AWS_ENDPOINT_URL_<SERVICE>` variables, so the same bundle runs on AWS and on the
 * local stack; nothing here knows which.
 */
export const environment = (): Promise<Record<string, string | undefined>> => resolveSecrets(process.env);

type Instrument = <C extends object>(client: C) => C;
let instrument: Instrument = (client) => client;

/**
 * Wraps every SDK client built from now on (the workers' tracer: `telemetry.ts`); call it before
 * composing. The webhook sets nothing, and its clients stay plain.
 */
export function instrumentClients(wrap: Instrument): void {
  instrument = wrap;
}

/** `client`, instrumented when a tracer asked for it. */
export const instrumented = <C extends object>(client: C): C => instrument(client);

export const dynamoClient = () => instrumented(new DynamoDBClient({ maxAttempts: 2 }));
export const sqsClient = () => instrumented(new SQSClient({ maxAttempts: 2 }));
