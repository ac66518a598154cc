import { DynamoJobProgress, DynamoSessionStore } from '../../core/adapters/dynamodb.js';
import { SqsDeadLetterQueue, SqsJobQueue } from '../../core/adapters/sqs.js';
import { HttpChatGateway } from '../../core/adapters/telegram-http.js';
import { createBot } from '../../core/bot/bot.js';
import { botInfoFrom, createTurnRunner } from '../../core/bot/turn.js';
import type { ConsumerConfig, NotifyWorkerConfig, WebhookConfig } from '../../core/config.js';
import { createUpdateProcessor } from '../../core/ingress/process.js';
import { createWebhook } from '../../core/ingress/webhook.js';
import { createConsumer, type JobHandler } from '../../core/jobs/consumer.js';
import type { Logger } from '../../core/log.js';
import { fifoQueues, type QueueName } from '../../core/settings.js';
import { adminEventHandler, telegramSendHandler } from '../../core/telegram/send.js';
import { dynamoClient, sqsClient } from './runtime.js';

/** The webhook's object graph, built once per container from validated config. */
export function composeWebhook(config: WebhookConfig, log: Logger) {
  const { settings, telegram } = config;
  const store = new DynamoSessionStore({
    client: dynamoClient(),
    tableName: config.tableName,
    sessionIdleSeconds: settings.retention.sessionIdleSeconds,
    updateDedupeSeconds: settings.retention.updateDedupeSeconds,
  });
  const queue = new SqsJobQueue({
    client: sqsClient(),
    queueUrls: config.queueUrls,
    fifo: fifoQueues(settings),
  });
  const runTurn = createTurnRunner({
    bot: createBot(),
    botInfo: botInfoFrom(telegram.token, telegram.username),
    token: telegram.token,
    apiRoot: telegram.apiRoot,
  });
  return createWebhook({
    secret: telegram.webhookSecret,
    maxBodyBytes: settings.webhook.maxBodyBytes,
    allowedUpdates: settings.webhook.allowedUpdates,
    process: createUpdateProcessor({ sessions: store, ledger: store, queue, runTurn, log }),
    log,
  });
}

/** The notify worker's consumer: sends Telegram calls, resuming partly done jobs. */
export function composeNotifyWorker(config: NotifyWorkerConfig, log: Logger) {
  const progress = new DynamoJobProgress({
    client: dynamoClient(),
    tableName: config.tableName,
    retainSeconds: config.settings.queues.notify.dlqRetentionSeconds,
  });
  const gateway = new HttpChatGateway({ apiRoot: config.telegram.apiRoot, token: config.telegram.token });
  const handlers = [
    telegramSendHandler({ gateway, progress }),
    adminEventHandler({ gateway, progress, adminChatId: config.adminChatId }),
  ];
  return composeConsumer('notify', config, handlers, log);
}

/** A consumer of `queue` over `handlers`, parking poison messages in the queue's own DLQ. */
export function composeConsumer(
  queue: QueueName,
  config: ConsumerConfig,
  handlers: readonly JobHandler[],
  log: Logger,
) {
  const deadLetters = new SqsDeadLetterQueue({
    client: sqsClient(),
    url: config.deadLetterQueueUrl,
    fifo: config.settings.queues[queue].fifo,
  });
  return createConsumer(handlers, log, deadLetters);
}
