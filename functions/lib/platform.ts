import { fifoQueues } from '../../core/desk/settings.js';
import { type BotModule, botInfoOf, createTurnRunner } from '../../core/platform/bot.js';
import type { PlatformContext } from '../../core/platform/context.js';
import {
  type BotEndpoint,
  createBotsWebhook,
  createReplyPacer,
  createUpdateProcessor,
} from '../../core/platform/ingress/index.js';
import { SqsJobQueue } from '../../core/platform/jobs/index.js';
import type { Logger } from '../../core/platform/log.js';
import { webhookSecretOf } from '../../core/platform/onboarding/index.js';
import { answerUsage, DynamoQuotaMeter, meterUpdates, PLANS } from '../../core/platform/quotas/index.js';
import { DynamoSessionStore } from '../../core/platform/sessions/index.js';
import { DynamoChatPace } from '../../core/platform/telegram/index.js';
import { scopeToTenant, type TenantId } from '../../core/platform/tenants/index.js';
import type { BotWebhookConfig } from './config.js';
import { dynamoClient, sqsClient } from './runtime.js';
import { homeTenant, type TenantProfile, tenantDirectory } from './tenants.js';

/**
 * The webhook of every bot on the deployment (`POST /telegram/<botId>`), built once per container
 * from validated config: each bot's sessions and update ledger in DynamoDB under its own tenant's
 * keys, its jobs to SQS carrying its tenant, its turn run with no network, each update applied
 * exactly once (`core/platform/ingress/`). A bot's part is built on its first update, and again when
 * its record changed (other admins, features or plan), as the registry cache reads it.
 */
export function composeBotWebhook<C extends PlatformContext<object>>(
  config: BotWebhookConfig,
  botFor: (tenant: TenantProfile) => BotModule<C>,
  log: Logger,
) {
  const { settings, telegram } = config;
  // One client for every table access and every tenant: each SDK client costs a cold start its own set-up and connection pool.
  const dynamo = dynamoClient();
  const queue = new SqsJobQueue({ client: sqsClient(), queueUrls: config.queueUrls, fifo: fifoQueues(settings) });
  const tenants = tenantDirectory({ home: homeTenant(config), client: dynamo, tableName: config.tableName });
  /** Each bot's endpoint, with the record it was built from (the home bot has none). */
  const endpoints = new Map<TenantId, { record: string | undefined; endpoint: BotEndpoint }>();

  function endpoint(tenant: TenantProfile): BotEndpoint {
    const client = scopeToTenant(dynamo, tenant.id);
    const store = new DynamoSessionStore({
      client,
      tableName: config.tableName,
      sessionIdleSeconds: settings.retention.sessionIdleSeconds,
      updateDedupeSeconds: settings.retention.updateDedupeSeconds,
    });
    const bot = botFor(tenant);
    const botLog = log.child({ bot: bot.name, tenant: tenant.id });
    const process = createUpdateProcessor({
      tenant: tenant.id,
      sessions: store,
      ledger: store,
      queue,
      runTurn: createTurnRunner({
        bot,
        botInfo: botInfoOf(Number(tenant.id), tenant.username),
        apiRoot: telegram.apiRoot,
      }),
      pacer: createReplyPacer(new DynamoChatPace({ client, tableName: config.tableName })),
      log: botLog,
    });
    const plan = tenant.plan === undefined ? undefined : PLANS[tenant.plan];
    return {
      secret: webhookSecretOf(telegram.webhookSecret, tenant.id),
      log: botLog,
      // A registered bot's updates count against its plan (the deployment's own bot has none), and
      // its operators' `/usage` is answered before that, so they see it when the bot is over.
      process: plan
        ? answerUsage(
            meterUpdates(process, {
              tenant: tenant.id,
              bot: tenant.username,
              plan,
              meter: new DynamoQuotaMeter({ client, tableName: config.tableName, plan }),
              operators: tenant.operators,
              queue,
              log: botLog,
            }),
            { tenant: tenant.id, operators: tenant.operators, queue },
          )
        : process,
    };
  }

  return createBotsWebhook({
    maxBodyBytes: settings.webhook.maxBodyBytes,
    allowedUpdates: settings.webhook.allowedUpdates,
    log,
    bots: async (botId) => {
      const tenant = await tenants.get(botId);
      if (!tenant) return undefined;
      const record = tenant.record && JSON.stringify(tenant.record);
      let bot = endpoints.get(botId);
      if (!bot || bot.record !== record) {
        bot = { record, endpoint: endpoint(tenant.profile) };
        endpoints.set(botId, bot);
      }
      return bot.endpoint;
    },
  });
}
