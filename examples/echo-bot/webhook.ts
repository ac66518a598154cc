import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { botWebhookConfig } from '../../functions/lib/config.js';
import { createLogging, logging } from '../../functions/lib/observability.js';
import { composeBotWebhook } from '../../functions/lib/platform.js';
import { environment } from '../../functions/lib/runtime.js';
import { echoBot } from './bot.js';

const config = botWebhookConfig(await environment(), ['notify']);
const logs = createLogging('echo-webhook', config.logLevel, [config.telegram.token, config.telegram.webhookSecret]);
const webhook = composeBotWebhook(config, () => echoBot, logs.log);

/** `POST /telegram/<botId>` of the echo bot: the platform's webhook running `echoBot`. */
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
