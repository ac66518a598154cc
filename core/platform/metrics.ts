import type { Logger } from './log.js';

/** The CloudWatch namespace of the platform's own metrics. */
export const METRIC_NAMESPACE = 'WalletDesk';

/**
 * Emits a count as a CloudWatch metric in the Embedded Metric Format: one log line that
 * CloudWatch Logs turns into a metric (no PutMetricData call, no extra permission). The
 * dimensions should be few and low-cardinality (a reason code, never a chat id). A logger that
 * can count (`Logger.count`, Powertools Metrics in the Lambda entries) emits it instead, with the
 * same namespace, name and dimensions.
 */
export function countMetric(log: Logger, name: string, dimensions: Record<string, string> = {}, value = 1): void {
  if (log.count) {
    log.count(name, dimensions, value);
    return;
  }
  const keys = Object.keys(dimensions);
  log.info('metric', {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        { Namespace: METRIC_NAMESPACE, Dimensions: [keys], Metrics: [{ Name: name, Unit: 'Count' }] },
      ],
    },
    ...dimensions,
    [name]: value,
  });
}
