import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Logger, LogLevel } from '../../core/platform/log.js';
import { METRIC_NAMESPACE } from '../../core/platform/metrics.js';
import { type Count, createLogging, logging, powertoolsLog } from './observability.js';
import { instrumentClients } from './runtime.js';

/**
 * A worker's Powertools Logger, Metrics and Tracer, built once at cold start and before the
 * worker composes its clients (the tracer instruments the SDK clients built after it).
 *
 * - Logger: as `createLogging` (the platform's line shape, secrets scrubbed).
 * - Metrics: `countMetric` in the platform's namespace with exactly the dimensions it names;
 *   counts without dimensions are flushed by `logMetrics` when the invocation ends.
 * - Tracer: the invocation and every AWS SDK call as X-Ray subsegments. Outgoing HTTP is not
 *   traced (a traced request records its URL, and Bot API URLs carry the bot token, RPC provider
 *   URLs often an API key), nor are responses (they hold user data).
 */
export function workerTelemetry(service: string, level: LogLevel | undefined, secrets: readonly string[] = []) {
  const { logger, log: plain } = createLogging(service, level, secrets);
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: service, logger: metricsNotices(plain) });
  // The platform's metrics carry only the dimensions their callers name (no `service` default).
  metrics.clearDefaultDimensions();
  const tracer = new Tracer({ serviceName: service, captureHTTPsRequests: false });
  instrumentClients((client) => tracer.captureAWSv3Client(client));
  const log = powertoolsLog(logger, counter(metrics));
  return {
    log,
    metrics,
    middlewares: [
      logging({ log, logger }),
      logMetrics(metrics),
      captureLambdaHandler(tracer, { captureResponse: false }),
    ],
  };
}

/**
 * A count with dimensions is flushed at once in its own EMF document (one document holds one
 * value per dimension); one without is buffered until `logMetrics` publishes the invocation's.
 */
function counter(metrics: Metrics): Count {
  return (name, dimensions, value) => {
    if (Object.keys(dimensions).length === 0) {
      metrics.addMetric(name, MetricUnit.Count, value);
      return;
    }
    const single = metrics.singleMetric();
    single.clearDefaultDimensions();
    for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
    single.addMetric(name, MetricUnit.Count, value);
  };
}

/** Metrics' own notices as our lines; "nothing to publish" is the common case, not a warning. */
function metricsNotices(log: Logger) {
  return {
    debug: (message: string) => log.debug('metrics.notice', { detail: message }),
    info: (message: string) => log.info('metrics.notice', { detail: message }),
    warn: (message: string) =>
      message.startsWith('No application metrics')
        ? log.debug('metrics.empty')
        : log.warn('metrics.notice', { detail: message }),
    error: (message: string) => log.error('metrics.notice', { detail: message }),
  };
}
