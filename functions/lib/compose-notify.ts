import {
  adminDigestHandler,
  DynamoDigestStore,
  DynamoStatsCounters,
  TELEGRAM_COUNTER_KEY,
} from '../../core/desk/admin/index.js';
import {
  BroadcastCancelJob,
  BroadcastPageJob,
  BroadcastSendJob,
  BroadcastStartJob,
  broadcastHandlers,
  DynamoBroadcastStore,
} from '../../core/desk/broadcasts/index.js';
import { switchedOff } from '../../core/desk/features.js';
import { fifoQueues } from '../../core/desk/settings.js';
import { describeError } from '../../core/platform/errors.js';
import { DynamoJobProgress, type JobHandler, SqsJobQueue } from '../../core/platform/jobs/index.js';
import { createEnvelopeVault, KmsDataKeys } from '../../core/platform/keys/index.js';
import type { Logger } from '../../core/platform/log.js';
import { managerNotifyHandlers } from '../../core/platform/manager/index.js';
import { noteUnauthorized, openBotToken } from '../../core/platform/onboarding/index.js';
import { DynamoQuotaMeter, PLANS, quotaUsageHandler, tenantQuota } from '../../core/platform/quotas/index.js';
import { TELEGRAM_LIMITS } from '../../core/platform/settings.js';
import {
  type ChatGateway,
  containerPacers,
  createSender,
  DynamoChatPace,
  HttpChatGateway,
  telegramSendHandler,
  userStatusHandler,
} from '../../core/platform/telegram/index.js';
import { DynamoTenantRegistry, scopeToTenant, type TenantId } from '../../core/platform/tenants/index.js';
import { DynamoUserDirectory } from '../../core/platform/users/index.js';
import { composeConsumer } from './compose.js';
import type { NotifyWorkerConfig } from './config.js';
import { kmsClient } from './kms.js';
import { dynamoClient, sqsClient } from './runtime.js';
import { homeTenant, tenantDirectory, unknownTenant } from './tenants.js';

/**
 * The notify worker's consumer: one sender keeping Telegram's limits (this container's share of
 * the bot rate, per-chat slots shared in DynamoDB), behind every job that writes to Telegram.
 */
export function composeNotifyWorker(config: NotifyWorkerConfig, log: Logger) {
  const { settings } = config;
  const dynamo = dynamoClient();
  const tenants = tenantDirectory({ home: homeTenant(config), client: dynamo, tableName: config.tableName });
  // A registered bot's token is sealed in its record; opened here once per container, never logged.
  const vault = createEnvelopeVault(new KmsDataKeys({ client: kmsClient(), keyId: config.keys.project }));
  const queue = new SqsJobQueue({
    client: sqsClient(),
    queueUrls: { notify: config.queueUrl },
    fifo: fifoQueues(settings),
  });
  const registry = new DynamoTenantRegistry({ client: dynamo, tableName: config.tableName });
  const home = new HttpChatGateway({ apiRoot: config.telegram.apiRoot, token: config.telegram.token });
  /**
   * A registered bot's calls, watched for Telegram's 401 (its token revoked in BotFather): the bot is
   * marked revoked, once, and its operators are told by the stage's own bot (the revoked one cannot).
   */
  const noticingRevocation = (gateway: ChatGateway, tenant: TenantId): ChatGateway => ({
    async call(call) {
      try {
        return await gateway.call(call);
      } catch (error) {
        const outcome = await noteUnauthorized(tenant, error, { registry, now: Date.now }).catch(() => undefined);
        if (outcome?.kind === 'revoked') {
          log.warn('tenant.revoked', { tenant });
          const text = `${outcome.notice.text.en}\n\n${outcome.notice.text.zh}`;
          for (const operator of outcome.notice.operators) {
            await home
              .call({ method: 'sendMessage', params: { chat_id: operator, text } })
              .catch((failure: unknown) => {
                log.warn('tenant.revocation_notice_failed', { tenant, error: describeError(failure) });
              });
          }
        }
        throw error;
      }
    },
  });
  // What outlives a rebuild of a bot's handlers (every few seconds, to follow its record): its pacers,
  // whose windows hold this container's recent sends, and its token, opened once per sealed value.
  const pacersOf = new Map<TenantId, ReturnType<typeof containerPacers>>();
  const tokens = new Map<TenantId, { sealed: string; token: Promise<string> }>();
  const tokenOf = (tenant: TenantId, sealed: string) => {
    let opened = tokens.get(tenant);
    if (opened?.sealed !== sealed) {
      const token = openBotToken(vault, tenant, sealed);
      opened = { sealed, token };
      tokens.set(tenant, opened);
      token.catch(() => {
        if (tokens.get(tenant) === opened) tokens.delete(tenant);
      });
    }
    return opened.token;
  };
  /** One bot's handlers: its items, its token, and its own share of Telegram's limits (per bot, not per deployment). */
  const handlers = async (tenant: TenantId): Promise<readonly JobHandler[]> => {
    const found = await tenants.get(tenant);
    if (!found) throw unknownTenant(tenant);
    const token = found.record ? await tokenOf(tenant, found.record.sealedToken) : config.telegram.token;
    let pacers = pacersOf.get(tenant);
    if (!pacers) {
      pacers = containerPacers(TELEGRAM_LIMITS, settings.queues.notify.maxConcurrency);
      pacersOf.set(tenant, pacers);
    }
    const adminChatId = found.profile.adminChatId ?? 0;
    const admins = found.profile.adminUserIds;
    const stores = { client: scopeToTenant(dynamo, tenant), tableName: config.tableName };
    const directory = new DynamoUserDirectory(stores);
    const counters = new DynamoStatsCounters(stores);
    const bot = new HttpChatGateway({ apiRoot: config.telegram.apiRoot, token });
    const deliver = createSender({
      gateway: found.record ? noticingRevocation(bot, tenant) : bot,
      progress: new DynamoJobProgress({ ...stores, retainSeconds: settings.queues.notify.dlqRetentionSeconds }),
      pace: new DynamoChatPace(stores),
      pacers,
      directory,
      maxChatWaitMs: settings.notify.maxChatWaitSeconds * 1000,
      count429: (at) => counters.add('telegram', TELEGRAM_COUNTER_KEY, { rateLimited: 1 }, at),
    });
    const plan = found.record ? PLANS[found.record.plan] : undefined;
    return [
      ...(plan
        ? [
            quotaUsageHandler({
              meter: new DynamoQuotaMeter({ ...stores, plan }),
              deliver,
              bot: found.profile.username,
            }),
          ]
        : // The deployment's own bot is the manager bot: an operator's /mybots and /usage, over their bots' records and meters.
          managerNotifyHandlers({
            registry,
            deliver,
            meterOf: (record) =>
              new DynamoQuotaMeter({
                client: scopeToTenant(dynamo, record.id),
                tableName: config.tableName,
                plan: PLANS[record.plan],
              }),
          })),
      telegramSendHandler(deliver),
      userStatusHandler(directory),
      adminDigestHandler({
        store: new DynamoDigestStore(stores),
        deliver,
        adminChatId,
        windowMs: settings.notify.digestWindowSeconds * 1000,
      }),
      // A bot without broadcasts: a broadcast's jobs still queued are parked (`feature.off`), never sent.
      ...(found.profile.features.broadcasts
        ? broadcastHandlers({
            admins,
            adminChatId,
            store: new DynamoBroadcastStore(stores),
            directory,
            deliver,
            queue,
            pageSize: settings.notify.broadcastPageSize,
            paid: settings.notify.paidBroadcast,
            quota: tenantQuota({
              ...stores,
              plan,
              tenant,
              bot: found.profile.username,
              operators: found.profile.operators,
              queue,
              log,
            }),
          })
        : switchedOff('broadcasts', [BroadcastStartJob, BroadcastPageJob, BroadcastSendJob, BroadcastCancelJob])),
    ];
  };
  return composeConsumer('notify', config, handlers, log);
}
