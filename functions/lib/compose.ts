import { deskBot } from '../../core/desk/bot/index.js';
import type { QueueName } from '../../core/desk/settings.js';
import {
  type BatchResult,
  type ConsumerOptions,
  createConsumer,
  type JobHandler,
  type QueueRecord,
  SqsDeadLetterQueue,
  SqsRedelivery,
  type TenantHandlers,
} from '../../core/platform/jobs/index.js';
import type { Logger } from '../../core/platform/log.js';
import type { ConsumerConfig, WebhookConfig } from './config.js';
import { composeBotWebhook } from './platform.js';
import { sqsClient } from './runtime.js';

/** The wallet desk's webhook: the platform's, running the desk. */
export function composeWebhook(config: WebhookConfig, log: Logger) {
  const { settings } = config;
  return composeBotWebhook(
    config,
    (tenant) =>
      deskBot({
        // A bot with no admin chat has its admin commands nowhere: no chat has id 0.
        adminChatId: tenant.adminChatId ?? 0,
        adminUserIds: tenant.adminUserIds,
        intakePublicKey: config.intakePublicKey,
        vault: settings.vault,
        payouts: settings.payouts,
        treasuryAddress: config.treasuryAddress,
        features: tenant.features,
      }),
    log,
  );
}

/** An SQS record with the queue it came from (Lambda's `SQSRecord` has it). */
export type SourcedRecord = QueueRecord & { readonly eventSourceARN: string };

/**
 * One function consuming several queues: each record is run by the consumer of the queue it came
 * from (its `eventSourceARN` names the queue, as its URL does), so a job type is run only from the
 * queue whose consumer has a handler for it. A record from any other queue fails (never run).
 */
export function consumeBySource(sources: readonly { queueUrl: string; consume: Consume }[]) {
  const nameOf = (urlOrArn: string) => urlOrArn.split(/[/:]/).at(-1) ?? '';
  const byName = new Map(sources.map((source) => [nameOf(source.queueUrl), source.consume]));
  return async (records: readonly SourcedRecord[]): Promise<BatchResult> => {
    const groups = new Map<Consume | undefined, SourcedRecord[]>();
    for (const record of records) {
      const consume = byName.get(nameOf(record.eventSourceARN));
      groups.set(consume, [...(groups.get(consume) ?? []), record]);
    }
    const results = await Promise.all(
      [...groups].map(([consume, group]) =>
        consume
          ? consume(group)
          : Promise.resolve({ batchItemFailures: group.map((record) => ({ itemIdentifier: record.messageId })) }),
      ),
    );
    return { batchItemFailures: results.flatMap((result) => result.batchItemFailures) };
  };
}

type Consume = ReturnType<typeof createConsumer>;

/** A consumer of `queue` over `handlers`, parking poison messages in the queue's own DLQ. */
export function composeConsumer(
  queue: QueueName,
  config: ConsumerConfig,
  handlers: readonly JobHandler[] | TenantHandlers,
  log: Logger,
  fanOut?: ConsumerOptions['fanOut'],
) {
  const client = sqsClient();
  const deadLetters = new SqsDeadLetterQueue({
    client,
    url: config.deadLetterQueueUrl,
    fifo: config.settings.queues[queue].fifo,
  });
  const redelivery = new SqsRedelivery({
    client,
    url: config.queueUrl,
    backoff: config.settings.queues[queue],
  });
  return createConsumer(handlers, log, deadLetters, redelivery, {
    ordered: config.settings.queues[queue].fifo,
    ...(fanOut && { fanOut }),
  });
}
