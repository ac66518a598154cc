import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { rpcWorkerConfig } from '../core/config.js';
import { parseRpcEndpoints } from '../core/solana/endpoints.js';
import { composeRpcWorker } from './lib/compose-rpc.js';
import { environment, functionLogger } from './lib/runtime.js';

const config = rpcWorkerConfig(await environment());
// Provider URLs often carry API keys: none may reach a log line.
const log = functionLogger(
  'rpc-worker',
  config.logLevel,
  parseRpcEndpoints(config.solanaRpcUrls).map((endpoint) => endpoint.url),
);
const { consume, pool } = composeRpcWorker(config, log);

/** Consumer of the rpc queue: every chain read or write, through the rate-capped RPC pool. */
export const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
  const result = await consume(event.Records);
  log.info('rpc.stats', { ...pool.stats() });
  return result;
});
