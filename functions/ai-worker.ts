import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { composeAiWorker } from './lib/compose-ai.js';
import { aiWorkerConfig } from './lib/config.js';
import { environment, functionLogger } from './lib/runtime.js';

const config = aiWorkerConfig(await environment());

/** Consumer of the ai queue: the assistant's questions (`ai.reply`) and `/reset`s (`ai.reset`). */
const consume = composeAiWorker(config, functionLogger('ai-worker', config.logLevel, [config.provider.apiKey]));

export const handler = middy<SQSEvent, SQSBatchResponse>().handler((event) => consume(event.Records));
