import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { composeWebhook } from './lib/compose.js';
import { webhookConfig } from './lib/config.js';
import { createLogging, logging } from './lib/observability.js';
import { environment } from './lib/runtime.js';

const config = webhookConfig(await environment());
const logs = createLogging('webhook', config.logLevel, [config.telegram.token, config.telegram.webhookSecret]);
const webhook = composeWebhook(config, logs.log);

/**
 * `POST /telegram/<botId>`: Telegram's webhook, for every bot on the deployment. All logic is in `core/platform/ingress/`. Powertools Logger only:
 * Tracer's X-Ray SDK would add ~15% to the cold start users wait on, and Metrics would publish
 * nothing (the webhook counts no metric); the workers carry both.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(logging(logs))
  .handler((event) =>
    webhook({
      path: event.rawPath,
      headers: event.headers,
      body: event.body,
      isBase64Encoded: event.isBase64Encoded,
    }),
  );
