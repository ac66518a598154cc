import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { composeNotifyWorker } from './lib/compose-notify.js';
import { notifyWorkerConfig } from './lib/config.js';
import { environment } from './lib/runtime.js';
import { workerTelemetry } from './lib/telemetry.js';

const config = notifyWorkerConfig(await environment());
const telemetry = workerTelemetry('notify-worker', config.logLevel, [config.telegram.token]);
const consume = composeNotifyWorker(config, telemetry.log);

/** Consumer of the notify queue; reports partial batch failures. */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(telemetry.middlewares)
  .handler((event) => consume(event.Records));
