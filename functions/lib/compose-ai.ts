import {
  AiReplyJob,
  AiResetJob,
  assistantHandlers,
  assistantPacer,
  createAssistantClient,
  DynamoHistoryStore,
  DynamoQuotaStore,
  OpenAiChatModel,
} from '../../core/desk/assistant/index.js';
import { switchedOff } from '../../core/desk/features.js';
import { fifoQueues, TAKE_MARGIN_SECONDS } from '../../core/desk/settings.js';
import { SqsJobQueue, SqsTopUpSource, toppingUp } from '../../core/platform/jobs/index.js';
import type { Logger } from '../../core/platform/log.js';
import { scopeToTenant, type TenantId } from '../../core/platform/tenants/index.js';
import { composeConsumer } from './compose.js';
import type { AiWorkerConfig } from './config.js';
import { tenantQuotas } from './quota.js';
import { dynamoClient, sqsClient } from './runtime.js';
import { tenantSettings } from './tenants.js';

/**
 * The ai worker's consumer: the assistant, asking the provider at this container's share of its
 * rate, with the conversation memory and the daily quota in the table, answering on the notify queue.
 * While a batch waits for its answers, the invocation takes the questions arriving meanwhile
 * from the ai queue itself (`toppingUp`), up to a batch's worth at once, so they share the wait
 * already billed; each taken question still has its whole answer deadline before the timeout.
 */
export function composeAiWorker(config: AiWorkerConfig, log: Logger) {
  const { settings } = config;
  const ai = settings.ai;
  const dynamo = dynamoClient();
  const client = createAssistantClient({
    model: new OpenAiChatModel({ baseUrl: config.provider.baseUrl, apiKey: config.provider.apiKey, model: ai.model }),
    pacer: assistantPacer(ai.requestsPerSecond, settings.queues.ai.maxConcurrency),
    maxAttempts: ai.maxAttempts,
    requestTimeoutMs: ai.requestTimeoutMs,
  });
  const queue = new SqsJobQueue({
    client: sqsClient(),
    queueUrls: { notify: config.queueUrls.notify },
    fifo: fifoQueues(settings),
  });
  // The registry's record of a bot: one no longer active has its jobs parked; the stage's own bot has
  // none (the assistant gives no admin power: no admins here).
  const settingsOf = tenantSettings({
    client: dynamo,
    tableName: config.tableName,
    home: { adminUserIds: new Set(), treasury: undefined },
  });
  const quotaOf = tenantQuotas({ client: dynamo, tableName: config.tableName, queue, log });
  // One provider and its rate for the deployment; each tenant's memory and quota under its own keys.
  const handlers = async (tenant: TenantId) => {
    // A bot without the assistant: a question still queued is parked (`feature.off`), never asked.
    const { features, record } = await settingsOf(tenant);
    if (!features.assistant) return switchedOff('assistant', [AiReplyJob, AiResetJob]);
    const stores = { client: scopeToTenant(dynamo, tenant), tableName: config.tableName };
    return assistantHandlers({
      history: new DynamoHistoryStore({ ...stores, idleSeconds: ai.history.idleSeconds }),
      quota: new DynamoQuotaStore(stores),
      botQuota: quotaOf(tenant, record),
      client,
      queue,
      settings: ai,
    });
  };
  const consume = composeConsumer('ai', config, handlers, log);
  return toppingUp(consume, log, {
    source: new SqsTopUpSource({ client: sqsClient(), url: config.queueUrl }),
    maxInFlight: settings.queues.ai.batchSize,
    waitSeconds: ai.topUpWaitSeconds,
    reserveMs: (ai.answerDeadlineSeconds + TAKE_MARGIN_SECONDS) * 1000,
  });
}
