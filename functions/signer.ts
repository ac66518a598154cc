import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { composeSigner } from './lib/compose-keys.js';
import { signerConfig } from './lib/config.js';
import { environment } from './lib/runtime.js';
import { workerTelemetry } from './lib/telemetry.js';

const config = signerConfig(await environment());
const telemetry = workerTelemetry('signer', config.logLevel);
const consume = composeSigner(config, telemetry.log);

/** Consumer of the payouts queue: the only function that may sign with the treasury key. */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(telemetry.middlewares)
  .handler((event) => consume(event.Records));
