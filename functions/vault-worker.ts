import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { composeVaultWorker } from './lib/compose-keys.js';
import { vaultWorkerConfig } from './lib/config.js';
import { environment } from './lib/runtime.js';
import { workerTelemetry } from './lib/telemetry.js';

const config = vaultWorkerConfig(await environment());
const telemetry = workerTelemetry('vault-worker', config.logLevel);
const consume = composeVaultWorker(config, telemetry.log);

/** Consumer of the vault queue: stores, lists, checks and deletes users' secrets. */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(telemetry.middlewares)
  .handler((event) => consume(event.Records));
