/** The stack's meter (`npm run cost`): a metering proxy in front of DynamoDB, SQS and KMS. */
import { QUEUE_NAMES, type QueueName } from '../../core/desk/settings.js';
import { type Meter, type MeteredService, startMeter } from '../aws/meter.js';
import type { StackWiring } from '../lambda/function-env.js';

/** Starts one metering proxy per service, in front of each emulator's endpoint. */
export function startStackMeter(emulators: Readonly<Record<MeteredService, string>>): Promise<Meter> {
  return startMeter(emulators);
}

/** The wiring with the metering proxies as the endpoints, and queue URLs on the SQS proxy's origin. */
export function meteredWiring(wiring: StackWiring, meter: Pick<Meter, 'endpoints' | 'meteredQueueUrl'>): StackWiring {
  const queues = (urls: Readonly<Record<QueueName, string>>) =>
    Object.fromEntries(QUEUE_NAMES.map((q) => [q, meter.meteredQueueUrl(urls[q])])) as Record<QueueName, string>;
  return {
    ...wiring,
    dynamodbEndpoint: meter.endpoints.dynamodb,
    sqsEndpoint: meter.endpoints.sqs,
    kmsEndpoint: meter.endpoints.kms,
    queueUrls: queues(wiring.queueUrls),
    dlqUrls: queues(wiring.dlqUrls),
  };
}
