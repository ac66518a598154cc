import { LogFormatter, LogItem, Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { type LogFields, type Logger, type LogLevel, redact } from '../../core/platform/log.js';

/** Where the adapter puts a call's fields, so Powertools never drops one as a reserved key (`level`, `message`…). */
const FIELDS = '__fields';

/**
 * Powertools' log formatter, writing the platform's line shape (`level`, `timestamp`, `service`,
 * `event`, the Lambda context, the fields) and scrubbing every line the way `core/log.ts` does:
 * secret-looking keys redacted, bot tokens and this function's own secrets replaced. Every line
 * Powertools prints goes through here, its own (a logged event, a warning) included.
 */
export class DeskLogFormatter extends LogFormatter {
  readonly #secrets: readonly string[];

  constructor(secrets: readonly string[]) {
    super();
    this.#secrets = secrets.filter((secret) => secret.length >= 8);
  }

  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const { [FIELDS]: fields, ...rest } = additional;
    const context = attributes.lambdaContext;
    const line = {
      level: attributes.logLevel.toLowerCase(),
      // `level` and an RFC 3339 `timestamp`: what Lambda's JSON log format reads to filter by level.
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      event: attributes.message,
      ...(context ? { cold_start: context.coldStart, function_request_id: context.awsRequestId } : {}),
      ...(attributes.xRayTraceId ? { xray_trace_id: attributes.xRayTraceId } : {}),
      ...rest,
      ...(fields as LogFields | undefined),
    };
    return new LogItem({ attributes: redact(line, this.#secrets) as LogAttributes });
  }
}

type Level = Exclude<LogLevel, 'silent'>;

/** What `Logger.count` does: a count metric in the platform's namespace. */
export type Count = NonNullable<Logger['count']>;

/**
 * Core's `Logger` on a Powertools Logger. A child keeps its fields (the correlation id) itself
 * and hands them with each line, rather than `createChild()` + `appendKeys()`: the records of one
 * batch run concurrently on one logger, and a child is made per update and per job.
 */
export function powertoolsLog(logger: PowertoolsLogger, count?: Count, base: LogFields = {}): Logger {
  const emit = (level: Level, event: string, fields?: LogFields) =>
    logger[level](event, { [FIELDS]: fields ? { ...base, ...fields } : base });
  return {
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
    child: (fields) => powertoolsLog(logger, count, { ...base, ...fields }),
    ...(count ? { count } : {}),
  };
}

const POWERTOOLS_LEVEL = {
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  silent: 'SILENT',
} as const satisfies Record<LogLevel, string>;

/** A function's logging: core's `Logger`, and the Powertools Logger its middleware uses. */
export interface Logging {
  readonly log: Logger;
  readonly logger: PowertoolsLogger;
}

/**
 * The function's Powertools Logger, built once at cold start; `secrets` are the config values no
 * line may carry. This is all the webhook and the alarm notifier carry: neither counts a metric
 * nor calls AWS through a traced client, and each would pay for Metrics and Tracer at every cold
 * start (`workerTelemetry` adds both for the workers).
 */
export function createLogging(service: string, level: LogLevel = 'info', secrets: readonly string[] = []): Logging {
  const logger = new PowertoolsLogger({
    serviceName: service,
    logLevel: POWERTOOLS_LEVEL[level],
    logFormatter: new DeskLogFormatter(secrets),
  });
  return { log: powertoolsLog(logger), logger };
}

/** The Lambda context (request id, cold start) on each line of the invocation. */
export const logging = ({ logger }: Logging) => injectLambdaContext(logger);
