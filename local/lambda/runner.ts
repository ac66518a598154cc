/**
 * The local Lambda runner: builds the app's functions, runs each in its own pool of execution
 * environments, serves the HTTP routes through a local HTTP API and feeds each consumer from
 * its queue through SQS pollers — all sized by the stage settings the stack uses.
 */
import { resolve } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { QueueName, StageSettings } from '../../core/desk/settings.js';
import { BUNDLE_OPTIONS, consumedQueues, type FunctionWiring } from '../../stacks/manifest.js';
import { localClientConfig } from '../aws/common.js';
import type { ConsumerQueue } from '../aws/sqs.js';
import { buildFunctionCached } from './build-cache.js';
import type { LogLine } from './environment.js';
import { type HttpRoute, type LocalHttpApi, startHttpApi } from './http-api.js';
import { FunctionPool, type InvokeResult, type PoolStats } from './pool.js';
import { type QueueStats, SqsPoller } from './sqs-poller.js';

/**
 * HTTP routes of the app, by function name: the webhook serves every bot of the deployment at
 * `/telegram/<botId>` (the stage's function URL passes it every path).
 */
export const HTTP_ROUTES: Readonly<Record<string, string>> = { webhook: 'POST /telegram/{botId}' };

/** What the runner runs, and against what. */
export interface RunnerOptions {
  readonly stage: string;
  readonly settings: StageSettings;
  /** The app's functions (`FUNCTIONS`); entries are relative to `root`. */
  readonly functions: Readonly<Record<string, FunctionWiring>>;
  readonly root: string;
  /** Where bundles are kept between runs (see `buildFunctionCached`); shared by every stack. */
  readonly buildCache: string;
  /** The environment of each function. */
  readonly env: (wiring: FunctionWiring) => Record<string, string>;
  readonly sqs: { readonly endpoint: string; readonly queues: Readonly<Record<QueueName, ConsumerQueue>> };
  /** Function output; inherited by default. */
  readonly onLog?: (line: LogLine) => void;
  /** Failed invocations; logged to stderr by default. */
  readonly onInvokeError?: (functionName: string, result: InvokeResult) => void;
}

/** A function's counters, with the time its invocations took. */
export interface FunctionStats extends PoolStats {
  /**
   * Sum of the invocations' durations in ms, init phases of cold starts included (Lambda bills
   * both); `durationMs - initMs` is the handlers' own time.
   */
  readonly durationMs: number;
}

/** Counters of every function and queue. */
export interface RunnerStats {
  readonly functions: Readonly<Record<string, FunctionStats>>;
  readonly queues: Readonly<Partial<Record<QueueName, QueueStats>>>;
}

/** A running runner. */
export interface LocalRunner {
  /** Base URL of the local HTTP API (undefined when no function has a route). */
  readonly httpUrl: string | undefined;
  /** Full URL of each HTTP route, by function name (`webhook` → `http://127.0.0.1:PORT/telegram`). */
  readonly routeUrls: Readonly<Record<string, string>>;
  stats(): RunnerStats;
  /** Kills the environments of function `name` (a `FUNCTIONS` key) that are mid-invocation; see `FunctionPool.crashBusy`. */
  crash(name: string): number;
  /** Stops polling and serving, and terminates every environment. Idempotent. */
  stop(): Promise<void>;
}

function logInvokeError(functionName: string, result: InvokeResult): void {
  if (result.ok) return;
  const trace = result.kind === 'handler' || result.kind === 'init' ? `\n${result.error.trace.join('\n')}` : '';
  console.error(`[${functionName}] ${result.kind}: ${result.error.errorType}: ${result.error.errorMessage}${trace}`);
}

/** Builds the functions that have a route or consume a queue, then starts serving and polling. */
export async function startRunner(options: RunnerOptions): Promise<LocalRunner> {
  const { settings } = options;
  const runnable = Object.entries(options.functions).filter(
    ([name, wiring]) => wiring.consumes !== undefined || HTTP_ROUTES[name] !== undefined,
  );
  const built = await Promise.all(
    runnable.map(async ([name, wiring]) => {
      const bundle = await buildFunctionCached(resolve(options.root, wiring.entry), {
        cacheDir: options.buildCache,
        // What is uploaded (minified), its stack traces mapped back through the source map.
        minify: BUNDLE_OPTIONS.minify,
        sourcemap: 'linked',
      });
      return { name, wiring, bundle: bundle.outfile };
    }),
  );

  const pools = new Map<string, FunctionPool>();
  const durations = new Map<string, number>();
  const consumers: Array<{ readonly queue: QueueName; readonly invoke: (event: unknown) => Promise<InvokeResult> }> =
    [];
  const routes: Array<HttpRoute & { readonly name: string }> = [];
  const onInvokeError = options.onInvokeError ?? logInvokeError;
  // Once stopping, the environments are killed under their invocations: those crashes are the
  // stop itself (the SQS messages come back on the next start), not failures to report.
  let stopRequested = false;

  for (const { name, wiring, bundle } of built) {
    const consumer = wiring.consumes === undefined ? undefined : settings.queues[wiring.consumes];
    const limits = consumer
      ? {
          timeoutMs: consumer.timeoutSeconds * 1000,
          memoryMb: consumer.memoryMb,
          // Each event source scales up to its own maximum concurrency.
          concurrency: consumedQueues(wiring).reduce((sum, q) => sum + settings.queues[q].maxConcurrency, 0),
        }
      : {
          timeoutMs: settings.webhook.timeoutSeconds * 1000,
          memoryMb: settings.webhook.memoryMb,
          concurrency: settings.webhook.maxConnections,
        };
    const functionName = `${options.stage}-${name}`;
    const pool = new FunctionPool({
      name: functionName,
      bundle,
      env: options.env(wiring),
      sourceMaps: true,
      ...limits,
      ...(options.onLog ? { onLog: options.onLog } : {}),
    });
    pools.set(name, pool);
    const invoke = async (event: unknown): Promise<InvokeResult> => {
      const result = await pool.invoke(event);
      durations.set(name, (durations.get(name) ?? 0) + result.durationMs);
      if (!result.ok && !(stopRequested && result.kind === 'crash')) onInvokeError(functionName, result);
      return result;
    };
    const routeKey = HTTP_ROUTES[name];
    if (routeKey) routes.push({ name, routeKey, invoke });
    for (const queue of consumedQueues(wiring)) consumers.push({ queue, invoke });
  }

  let http: LocalHttpApi | undefined;
  try {
    if (routes.length > 0) http = await startHttpApi({ routes });
  } catch (error) {
    await Promise.all([...pools.values()].map((pool) => pool.stop()));
    throw error;
  }
  const httpUrl = http?.url;
  const routeUrls = Object.fromEntries(
    // The route's URL up to its first path parameter: `http://127.0.0.1:PORT/telegram`.
    routes.map((route) => [
      route.name,
      `${httpUrl}${route.routeKey.slice(route.routeKey.indexOf(' ') + 1).replace(/\/\{.*$/, '')}`,
    ]),
  );

  const client = new SQSClient(localClientConfig(options.sqs.endpoint));
  const pollers = new Map<QueueName, SqsPoller>();
  for (const { queue, invoke } of consumers) {
    const { url, arn } = options.sqs.queues[queue];
    pollers.set(
      queue,
      new SqsPoller({ client, queueUrl: url, queueArn: arn, settings: settings.queues[queue], invoke }),
    );
  }

  let stopping: Promise<void> | undefined;
  return {
    httpUrl,
    routeUrls,
    stats: () => ({
      functions: Object.fromEntries(
        [...pools].map(([name, pool]) => [name, { ...pool.stats(), durationMs: durations.get(name) ?? 0 }]),
      ),
      queues: Object.fromEntries([...pollers].map(([queue, poller]) => [queue, poller.stats()])),
    }),
    crash: (name) => pools.get(name)?.crashBusy() ?? 0,
    stop() {
      stopRequested = true;
      stopping ??= (async () => {
        await http?.stop();
        await Promise.all([...[...pollers.values()].map((p) => p.stop()), ...[...pools.values()].map((p) => p.stop())]);
        client.destroy();
      })();
      return stopping;
    },
  };
}
