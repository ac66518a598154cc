import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { inspectedQueuesConfig } from '../core/desk/admin/index.js';
import { parseRpcEndpoints } from '../core/platform/rpc/index.js';
import { composeRpcWorker } from './lib/compose-rpc.js';
import { rpcWorkerConfig } from './lib/config.js';
import { environment } from './lib/runtime.js';
import { workerTelemetry } from './lib/telemetry.js';

const env = await environment();
const config = rpcWorkerConfig(env);
// Provider URLs often carry API keys: none may reach a log line.
const telemetry = workerTelemetry(
  'rpc-worker',
  config.logLevel,
  [...parseRpcEndpoints(config.solanaRpcUrls), ...parseRpcEndpoints(config.priceUrls, 'PRICE_URLS')].map(
    (endpoint) => endpoint.url,
  ),
);
const log = telemetry.log;
const { consume, pool, counters } = composeRpcWorker(config, log, inspectedQueuesConfig(env));

const STATS_EVERY_MS = 60_000;
let statsLoggedAt = 0;

/** Consumer of the rpc queue: every chain read or write, through the rate-capped RPC pool. */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(telemetry.middlewares)
  .handler(async (event) => {
    const result = await consume(event.Records);
    // The pool's counters (per endpoint: calls, 429s, failures, latency), at most once a minute:
    // logged, and added to the shared counters `/stats` reads (a flush never throws).
    if (Date.now() - statsLoggedAt >= STATS_EVERY_MS) {
      statsLoggedAt = Date.now();
      log.info('rpc.stats', { ...pool.stats() });
      await counters.flush();
    }
    return result;
  });
