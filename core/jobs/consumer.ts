import { AppError, describeError, PoisonJobError, TransientError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeadLetterQueue, ParkReason } from './dead-letters.js';
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

type Outcome = { done: true } | { done: false; poison?: ParkReason };

/**
 * Turns job handlers into an SQS batch consumer that reports partial batch failures.
 *
 * Each record is validated (envelope, then the payload against its type's schema) and run.
 * - Poison (not JSON, invalid envelope, unknown type, invalid payload, or a handler throwing
 *   `PoisonJobError` or another non-transient `AppError`) can never succeed: it is parked in
 *   the DLQ at once with its reason, and reported done. Bad input is kept, never dropped.
 * - Anything else that fails (transient errors, unexpected exceptions) fails only that record,
 *   so SQS redelivers it, and after `maxReceiveCount` moves it to the DLQ itself.
 * Records of one message group (a FIFO chat) run in order; once one fails the rest of its group
 * is failed too, to keep the order. Different groups run concurrently.
 */
export function createConsumer(handlers: readonly JobHandler[], log: Logger, deadLetters?: DeadLetterQueue) {
  const byType = new Map<string, JobHandler>(handlers.map((h) => [h.job.type, h]));

  async function run(record: QueueRecord, recordLog: Logger): Promise<Outcome> {
    let raw: unknown;
    try {
      raw = JSON.parse(record.body);
    } catch {
      return { done: false, poison: { code: 'job.invalid', message: 'body is not JSON' } };
    }
    const envelope = JobEnvelopeSchema.safeParse(raw);
    if (!envelope.success) {
      const issue = envelope.error.issues[0];
      return { done: false, poison: { code: 'job.invalid', message: `${issue?.path.join('.')}: ${issue?.message}` } };
    }
    const job = envelope.data as JobEnvelope;
    const jobLog = recordLog.child({ correlationId: job.id, traceId: job.traceId, type: job.type });
    const handler = byType.get(job.type);
    if (!handler) return { done: false, poison: { code: 'job.unknown_type', message: `no handler for ${job.type}` } };
    const payload = handler.job.payload.safeParse(job.payload);
    if (!payload.success) {
      const issue = payload.error.issues[0];
      return {
        done: false,
        poison: { code: 'job.invalid_payload', message: `${issue?.path.join('.')}: ${issue?.message}` },
      };
    }
    try {
      await handler.run({ ...job, payload: payload.data }, jobLog);
      jobLog.info('job.done');
      return { done: true };
    } catch (error) {
      if (error instanceof PoisonJobError || (error instanceof AppError && !(error instanceof TransientError))) {
        return { done: false, poison: { code: error.code, message: error.message } };
      }
      jobLog.warn('job.failed', { error: describeError(error) });
      return { done: false };
    }
  }

  async function runRecord(record: QueueRecord): Promise<boolean> {
    const recordLog = log.child({
      messageId: record.messageId,
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
    });
    const outcome = await run(record, recordLog);
    if (outcome.done) return true;
    if (!outcome.poison) return false;
    recordLog.error('job.poison', { reason: outcome.poison });
    if (!deadLetters) return false;
    try {
      await deadLetters.park(record, outcome.poison);
      recordLog.warn('job.parked', { code: outcome.poison.code });
      return true;
    } catch (error) {
      recordLog.error('job.park_failed', { error: describeError(error) });
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
