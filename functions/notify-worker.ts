import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { composeNotifyWorker } from './lib/compose.js';
import { notifyWorkerConfig } from './lib/config.js';
import { environment, functionLogger } from './lib/runtime.js';

const config = notifyWorkerConfig(await environment());
const consume = composeNotifyWorker(config, functionLogger('notify-worker', config.logLevel, [config.telegram.token]));

/** Consumer of the notify queue; reports partial batch failures. */
export const handler = middy<SQSEvent, SQSBatchResponse>().handler((event) => consume(event.Records));
