import { DynamoHistoryStore, DynamoQuotaStore } from '../../core/adapters/dynamodb-ai.js';
import { OpenAiChatModel } from '../../core/adapters/openai-chat.js';
import { SqsJobQueue } from '../../core/adapters/sqs.js';
import { assistantPacer, createAssistantClient } from '../../core/assistant/client.js';
import { assistantHandlers } from '../../core/assistant/handlers.js';
import type { Logger } from '../../core/log.js';
import { fifoQueues } from '../../core/settings.js';
import { composeConsumer } from './compose.js';
import type { AiWorkerConfig } from './config.js';
import { dynamoClient, sqsClient } from './runtime.js';

/**
 * The ai worker's consumer: the assistant, asking the provider at this container's share of its
 * rate, with the conversation memory and the daily quota in the table, answering on the notify queue.
 */
export function composeAiWorker(config: AiWorkerConfig, log: Logger) {
  const { settings } = config;
  const ai = settings.ai;
  const stores = { client: dynamoClient(), tableName: config.tableName };
  const client = createAssistantClient({
    model: new OpenAiChatModel({ baseUrl: config.provider.baseUrl, apiKey: config.provider.apiKey, model: ai.model }),
    pacer: assistantPacer(ai.requestsPerSecond, settings.queues.ai.maxConcurrency),
    maxAttempts: ai.maxAttempts,
    requestTimeoutMs: ai.requestTimeoutMs,
  });
  const handlers = assistantHandlers({
    history: new DynamoHistoryStore({ ...stores, idleSeconds: ai.history.idleSeconds }),
    quota: new DynamoQuotaStore(stores),
    client,
    queue: new SqsJobQueue({
      client: sqsClient(),
      queueUrls: { notify: config.queueUrls.notify },
      fifo: fifoQueues(settings),
    }),
    settings: ai,
  });
  return composeConsumer('ai', config, handlers, log);
}
