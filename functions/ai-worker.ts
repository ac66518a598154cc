import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { composeAiWorker } from './lib/compose-ai.js';
import { aiWorkerConfig } from './lib/config.js';
import { environment } from './lib/runtime.js';
import { workerTelemetry } from './lib/telemetry.js';

const config = aiWorkerConfig(await environment());
const telemetry = workerTelemetry('ai-worker', config.logLevel, [config.provider.apiKey]);

/** Consumer of the ai queue: the assistant's questions (`ai.reply`) and `/reset`s (`ai.reset`). */
const consume = composeAiWorker(config, telemetry.log);

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(telemetry.middlewares)
  .handler((event, context) => consume(event.Records, () => context.getRemainingTimeInMillis()));
