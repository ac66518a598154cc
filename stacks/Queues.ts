import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Queue, type Function as SstFunction, type Stack, type StackContext, use } from 'sst/constructs';
import { QUEUE_NAMES, type QueueName, stageSettings } from '../core/desk/settings.js';
import type { ConsumerSettings } from '../core/platform/settings.js';
import { Keys } from './Keys.js';
import {
  assertWiring,
  consumedQueues,
  FUNCTIONS,
  type FunctionName,
  type FunctionWiring,
  queueResourceNames,
} from './manifest.js';
import { Secrets } from './Secrets.js';
import { Storage } from './Storage.js';
import { type WiringResources, wiredFunction } from './wiring.js';

/**
 * The job queues and their consumers, declared from `stageSettings(stage).queues` only, so the
 * local runtime (which reads the same settings) behaves exactly like the cloud.
 *
 * Each queue has its own DLQ (FIFO when the queue is) reached after `maxReceiveCount` receives; each
 * consumer function is wired from `FUNCTIONS` and fed by an event source mapping with the declared
 * batch size, batching window, maximum concurrency and partial batch responses.
 */
export function Queues({ stack }: StackContext) {
  const { table, key } = use(Storage);
  const { keys } = use(Keys);
  const { secrets } = use(Secrets);
  assertWiring(stageSettings(stack.stage));
  const settings = stageSettings(stack.stage).queues;

  const made = byQueue((name) => jobQueue(stack, name, settings[name]));
  const queues = byQueue((name) => made[name].queue);
  const cdkQueues = byQueue((name): sqs.IQueue => made[name].queue.cdk.queue);
  const deadLetterQueues = byQueue((name): sqs.IQueue => made[name].dlq);
  const resources: WiringResources = { table, tableKey: key, secrets, queues: cdkQueues, deadLetterQueues, keys };

  /** The consumer functions, by function name (the alarms watch their error rate). */
  const consumers: Partial<Record<FunctionName, SstFunction>> = {};
  for (const [id, wiring] of Object.entries(FUNCTIONS) as [FunctionName, FunctionWiring][]) {
    if (!wiring.consumes) continue;
    const consumer = settings[wiring.consumes];
    const fn = wiredFunction(stack, id, wiring, resources, {
      timeout: consumer.timeoutSeconds,
      memorySize: consumer.memoryMb,
    });
    consumers[id] = fn;
    for (const name of consumedQueues(wiring)) {
      const source = settings[name];
      queues[name].addConsumer(stack, {
        function: fn,
        cdk: {
          eventSource: {
            batchSize: source.batchSize,
            // Omitted when 0: FIFO event sources reject a batching window altogether.
            maxBatchingWindow:
              source.maxBatchingWindowSeconds > 0 ? Duration.seconds(source.maxBatchingWindowSeconds) : undefined,
            maxConcurrency: source.maxConcurrency,
            reportBatchItemFailures: true,
          },
        },
      });
    }
  }

  stack.addOutputs(Object.fromEntries(QUEUE_NAMES.map((name) => [`${name}QueueUrl`, cdkQueues[name].queueUrl])));
  return { queues: cdkQueues, deadLetterQueues, consumers };
}

function byQueue<T>(make: (name: QueueName) => T): Record<QueueName, T> {
  return Object.fromEntries(QUEUE_NAMES.map((name) => [name, make(name)])) as Record<QueueName, T>;
}

/** One job queue and its DLQ, named by `queueResourceNames` (FIFO names end in `.fifo`). */
function jobQueue(stack: Stack, name: QueueName, settings: ConsumerSettings): { queue: Queue; dlq: sqs.Queue } {
  const names = queueResourceNames(stack.stage, name, settings);
  // Producers set MessageDeduplicationId (the job id), so content-based dedup stays off.
  const fifo = settings.fifo ? { fifo: true, contentBasedDeduplication: false } : {};
  const common = { ...fifo, encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true };
  const dlq = new sqs.Queue(stack, `${name}Dlq`, {
    ...common,
    queueName: names.dlq,
    retentionPeriod: Duration.seconds(settings.dlqRetentionSeconds),
  });
  const queue = new Queue(stack, name, {
    cdk: {
      queue: {
        ...common,
        queueName: names.queue,
        visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
        retentionPeriod: Duration.seconds(settings.retentionSeconds),
        deadLetterQueue: { queue: dlq, maxReceiveCount: settings.maxReceiveCount },
      },
    },
  });
  return { queue, dlq };
}
