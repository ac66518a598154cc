import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { composeVaultWorker } from './lib/compose-keys.js';
import { vaultWorkerConfig } from './lib/config.js';
import { environment, functionLogger } from './lib/runtime.js';

const config = vaultWorkerConfig(await environment());
const consume = composeVaultWorker(config, functionLogger('vault-worker', config.logLevel));

/** Consumer of the vault queue: stores, lists, checks and deletes users' secrets. */
export const handler = middy<SQSEvent, SQSBatchResponse>().handler((event) => consume(event.Records));
