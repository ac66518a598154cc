import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { type JobEnvelope, JobEnvelopeSchema, type JobType } from './envelope.js';

/** The part of an SQS record a consumer reads (Lambda's `SQSRecord` satisfies it). */
export interface QueueRecord {
  messageId: string;
  body: string;
  attributes: { ApproximateReceiveCount: string; MessageGroupId?: string };
}

/** Runs one job type. Must be idempotent on `job.id`: it may see the same job again. */
export interface JobHandler<P = unknown> {
  readonly job: JobType<P>;
  run(job: JobEnvelope<P>, log: Logger): Promise<void>;
}

export function handle<P>(job: JobType<P>, run: JobHandler<P>['run']): JobHandler<P> {
  return { job, run };
}

export interface BatchResult {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * Turns job handlers into an SQS batch consumer that reports partial batch failures.
 *
 * Each record is validated (envelope, then the payload against its type's schema) and run;
 * a failure fails only that record, so SQS redelivers it and, after `maxReceiveCount`, moves
 * it to the DLQ: bad input is kept, never dropped. Records of one message group (a FIFO chat)
 * run in order, and once one fails the rest of its group is failed too, to keep the order.
 * Different groups run concurrently.
 */
export function createConsumer(handlers: readonly JobHandler[], log: Logger) {
  const byType = new Map<string, JobHandler>(handlers.map((h) => [h.job.type, h]));

  async function runRecord(record: QueueRecord): Promise<boolean> {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    const recordLog = log.child({ messageId: record.messageId, receiveCount });
    let raw: unknown;
    try {
      raw = JSON.parse(record.body);
    } catch {
      recordLog.error('job.invalid', { detail: 'body is not JSON' });
      return false;
    }
    const envelope = JobEnvelopeSchema.safeParse(raw);
    if (!envelope.success) {
      recordLog.error('job.invalid', { detail: envelope.error.issues[0]?.message });
      return false;
    }
    const job = envelope.data as JobEnvelope;
    const jobLog = recordLog.child({ correlationId: job.id, traceId: job.traceId, type: job.type });
    const handler = byType.get(job.type);
    if (!handler) {
      jobLog.error('job.unknown_type');
      return false;
    }
    const payload = handler.job.payload.safeParse(job.payload);
    if (!payload.success) {
      jobLog.error('job.invalid_payload', { detail: payload.error.issues[0]?.message });
      return false;
    }
    try {
      await handler.run({ ...job, payload: payload.data }, jobLog);
      jobLog.info('job.done');
      return true;
    } catch (error) {
      jobLog.warn('job.failed', { error: describeError(error) });
      return false;
    }
  }

  return async function consume(records: readonly QueueRecord[]): Promise<BatchResult> {
    const groups = new Map<string, QueueRecord[]>();
    for (const record of records) {
      const group = record.attributes.MessageGroupId ?? record.messageId;
      groups.set(group, [...(groups.get(group) ?? []), record]);
    }
    const failures: string[] = [];
    await Promise.all(
      [...groups.values()].map(async (group) => {
        for (const [index, record] of group.entries()) {
          if (await runRecord(record)) continue;
          failures.push(...group.slice(index).map((r) => r.messageId));
          return;
        }
      }),
    );
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
