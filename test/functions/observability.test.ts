import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { countMetric, METRIC_NAMESPACE } from '../../core/platform/metrics.js';
import { createLogging, logging } from '../../functions/lib/observability.js';
import { workerTelemetry } from '../../functions/lib/telemetry.js';
import { FUNCTION_LOGGING } from '../../stacks/manifest.js';
import { lambdaContext } from '../helpers/events.js';

const SECRET = 'hunter2-webhook-secret-value';
// Shaped as Telegram issues bot tokens (bot id, colon, 35 url-safe characters).
const TOKEN = '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi';

let output: string[];
beforeEach(() => {
  output = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => vi.restoreAllMocks());

const lines = () =>
  output
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('createLogging', () => {
  it('writes the platform line shape, with the correlation id and the Lambda context', async () => {
    const o = createLogging('webhook', 'info', [SECRET]);
    const handler = middy()
      .use(logging(o))
      .handler(async () => {
        o.log.child({ correlationId: 'u42' }).info('update.processed', { kind: 'message', message: 'kept' });
        o.log.debug('hidden');
        return 'ok';
      });
    const context = lambdaContext({ functionName: 'test-webhook' });
    await handler({}, context);
    const [line, ...rest] = lines();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      level: 'info',
      service: 'webhook',
      event: 'update.processed',
      correlationId: 'u42',
      kind: 'message',
      // Reserved in Powertools' own format, kept in ours.
      message: 'kept',
      function_request_id: context.awsRequestId,
      cold_start: expect.any(Boolean),
    });
    expect(Date.parse(String(line!.timestamp))).not.toBeNaN();
  });

  it('never lets a secret-looking value reach a line, whichever way it is logged', async () => {
    const o = createLogging('webhook', 'debug', [SECRET]);
    const event = {
      headers: { 'x-telegram-bot-api-secret-token': SECRET, 'x-forwarded-for': `via ${SECRET}` },
      body: `{"text":"/start ${TOKEN}"}`,
    };
    // Powertools' own event logging, the core Logger and the Powertools Logger used directly.
    const handler = middy()
      .use(injectLambdaContext(o.logger, { logEvent: true }))
      .handler(async () => {
        o.log.child({ correlationId: 'u1' }).warn('send.failed', {
          url: `https://api.telegram.org/bot${TOKEN}/sendMessage`,
          apiKey: 'k-123456789',
          nested: { note: `the secret is ${SECRET}`, deeper: [{ password: 'pw-123456789' }] },
        });
        o.logger.error('direct', { botToken: TOKEN, detail: `token ${TOKEN} and ${SECRET}` });
        o.logger.info(`message carrying ${SECRET}`);
      });
    await handler(event, lambdaContext());
    const text = output.join('');
    expect(lines()).toHaveLength(4);
    for (const secret of [SECRET, TOKEN, 'ABCDEFGHIJKLMNOP', 'k-123456789', 'pw-123456789']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted-token]');
  });

  it('drops lines below its level and honours silent', () => {
    createLogging('s', 'warn').log.info('quiet');
    createLogging('s', 'silent').log.error('silenced');
    expect(output.join('')).toBe('');
  });
});

describe('workerTelemetry', () => {
  it('counts in the same namespace with exactly the dimensions named, as the EMF line did', async () => {
    const o = workerTelemetry('notify-worker', 'info');
    const handler = middy()
      .use(o.middlewares)
      .handler(async () => {
        countMetric(o.log.child({ correlationId: 'j1' }), 'TelegramDropped', { method: 'sendMessage' });
        countMetric(o.log, 'Buffered');
        countMetric(o.log, 'Buffered');
      });
    await handler({}, lambdaContext());
    const metrics = lines().filter((line) => '_aws' in line);
    expect(metrics).toHaveLength(2);
    const [dropped, buffered] = metrics as [Record<string, unknown>, Record<string, unknown>];
    expect(dropped).toEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [['method']],
            Metrics: [{ Name: 'TelegramDropped', Unit: 'Count' }],
          },
        ],
      },
      method: 'sendMessage',
      TelegramDropped: 1,
    });
    // Published by `logMetrics` when the invocation ended, both counts in one document.
    expect(buffered).toMatchObject({ Buffered: [1, 1] });
  });

  it('writes only lines Lambda’s JSON log format keeps at the stacks’ application log level, metrics included', async () => {
    const o = workerTelemetry('notify-worker', 'info');
    await middy()
      .use(o.middlewares)
      .handler(async () => {
        o.log.info('job.done', { correlationId: 'j1' });
        o.log.warn('job.failed', { correlationId: 'j2' });
        countMetric(o.log, 'TelegramDropped', { method: 'sendMessage' });
        countMetric(o.log, 'Buffered');
      })({}, lambdaContext());
    const written = lines();
    expect(written.filter((line) => '_aws' in line)).toHaveLength(2);
    for (const line of written) {
      if ('_aws' in line) {
        // No level: Lambda files it as INFO, so an application log level above INFO would drop it.
        expect(line).not.toHaveProperty('level');
      } else {
        // Lambda reads `level` and an RFC 3339 `timestamp` to filter.
        expect(['info', 'warn']).toContain(line.level);
        expect(String(line.timestamp)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
      }
      expect(keptByLambda(line, FUNCTION_LOGGING.applicationLogLevel)).toBe(true);
    }
    expect(written.filter((line) => keptByLambda(line, 'WARN')).map((line) => line.event)).toEqual(['job.failed']);
  });

  it('publishes nothing and warns nothing when an invocation counted nothing', async () => {
    const o = workerTelemetry('ai-worker', 'info');
    await middy()
      .use(o.middlewares)
      .handler(async () => 'done')({}, lambdaContext());
    expect(output.join('')).toBe('');
  });
});

/** Whether Lambda's JSON log format keeps a line at application log level `level` (no `level` key: INFO). */
function keptByLambda(line: Record<string, unknown>, level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'): boolean {
  const order = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
  const own = typeof line.level === 'string' ? line.level.toUpperCase() : 'INFO';
  return order.indexOf(own) >= order.indexOf(level);
}
