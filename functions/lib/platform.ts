import { fifoQueues } from '../../core/desk/settings.js';
import { type BotModule, botInfoFrom, createTurnRunner } from '../../core/platform/bot.js';
import type { PlatformContext } from '../../core/platform/context.js';
import { createReplyPacer, createUpdateProcessor, createWebhook } from '../../core/platform/ingress/index.js';
import { SqsJobQueue } from '../../core/platform/jobs/index.js';
import type { Logger } from '../../core/platform/log.js';
import { DynamoSessionStore } from '../../core/platform/sessions/index.js';
import { DynamoChatPace } from '../../core/platform/telegram/index.js';
import type { BotWebhookConfig } from './config.js';
import { dynamoClient, sqsClient } from './runtime.js';

/**
 * Any bot's webhook on the platform, built once per container from validated config: sessions
 * and the update ledger in DynamoDB, jobs to SQS, the bot's turn run with no network, each update
 * applied exactly once (`core/platform/ingress/`).
 */
export function composeBotWebhook<C extends PlatformContext<object>>(
  config: BotWebhookConfig,
  bot: BotModule<C>,
  log: Logger,
) {
  const { settings, telegram } = config;
  // One client for every table access: each SDK client costs a cold start its own set-up and connection pool.
  const dynamo = dynamoClient();
  const store = new DynamoSessionStore({
    client: dynamo,
    tableName: config.tableName,
    sessionIdleSeconds: settings.retention.sessionIdleSeconds,
    updateDedupeSeconds: settings.retention.updateDedupeSeconds,
  });
  const queue = new SqsJobQueue({ client: sqsClient(), queueUrls: config.queueUrls, fifo: fifoQueues(settings) });
  const runTurn = createTurnRunner({
    bot,
    botInfo: botInfoFrom(telegram.token, telegram.username),
    token: telegram.token,
    apiRoot: telegram.apiRoot,
  });
  return createWebhook({
    secret: telegram.webhookSecret,
    maxBodyBytes: settings.webhook.maxBodyBytes,
    allowedUpdates: settings.webhook.allowedUpdates,
    process: createUpdateProcessor({
      sessions: store,
      ledger: store,
      queue,
      runTurn,
      pacer: createReplyPacer(new DynamoChatPace({ client: dynamo, tableName: config.tableName })),
      log: log.child({ bot: bot.name }),
    }),
    log,
  });
}
