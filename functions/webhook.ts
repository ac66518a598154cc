import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { composeWebhook } from './lib/compose.js';
import { webhookConfig } from './lib/config.js';
import { environment, functionLogger } from './lib/runtime.js';

const config = webhookConfig(await environment());
const log = functionLogger('webhook', config.logLevel, [config.telegram.token, config.telegram.webhookSecret]);
const webhook = composeWebhook(config, log);

/** `POST /telegram`: Telegram's webhook. All logic is in `core/platform/ingress/`. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler((event) =>
  webhook({ headers: event.headers, body: event.body, isBase64Encoded: event.isBase64Encoded }),
);
