import { AppError, describeError, PoisonJobError, TransientError } from '../errors.js';
import type { LogFields, Logger } from '../log.js';
import type { TenantId } from '../tenants/index.js';
import type { DeadLetterQueue, ParkReason } from './dead-letters.js';
import { type JobEnvelope, JobEnvelopeSchema, type JobQueue, type JobType } from './envelope.js';

/** The part of an SQS record a consumer reads (Lambda's `SQSRecord` satisfies it). */
export interface QueueRecord {
  messageId: string;
  /** Handle of this receipt, for changing the message's visibility. */
  receiptHandle: string;
  body: string;
  attributes: { ApproximateReceiveCount: string; MessageGroupId?: string };
}

/** What a handler may know of the invocation its job came in. */
export interface JobDelivery {
  /**
   * The job is the only record of its invocation's batch: once it is done, the invocation ends,
   * so SQS can bring it back only if the invocation dies before its last step has returned.
   */
  readonly alone: boolean;
}

/**
 * Runs one job type. Must be idempotent on `job.id`: it may see the same job again. It may return
 * fields for the consumer's `job.done` line (what it would otherwise log in a line of its own).
 * `delivery` is given by the consumer; absent (a direct call), nothing is assumed of it.
 */
export interface JobHandler<P = unknown> {
  readonly job: JobType<P>;
  // biome-ignore lint/suspicious/noConfusingVoidType: most handlers return nothing (`Promise<void>`)
  run(job: JobEnvelope<P>, log: Logger, delivery?: JobDelivery): Promise<LogFields | void>;
}

export function handle<P>(job: JobType<P>, run: JobHandler<P>['run']): JobHandler<P> {
  return { job, run };
}

export interface BatchResult {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * Brings failed messages back sooner or later than the queue's visibility timeout: a failure
 * that says when to retry (Telegram's `retry_after`, a digest window still open) is retried
 * exactly then, and so are the messages queued behind it in its group.
 */
export interface Redelivery {
  retryAfter(records: readonly QueueRecord[], seconds: number): Promise<void>;
  /**
   * When to bring back a failure that did not say (a DynamoDB blip, an unexpected error), by how
   * many times the message was received; absent, it comes back after the queue's visibility timeout.
   */
  backoffSeconds?(receiveCount: number): number | undefined;
}

/**
 * The retry schedule for failures that do not say when to retry: 5 s, 15 s, 45 s, 135 s… (×3 each
 * receive, from the queue's `firstRetrySeconds`), never later than the queue's visibility timeout. A short outage of our own table or
 * queue then delays a job by seconds, not by the whole visibility timeout (3 minutes for a
 * notify job, holding its chat's FIFO group); a long one still reaches the DLQ after
 * `maxReceiveCount` receives, which the stage's settings size for it.
 */
export function failureBackoffSeconds(
  receiveCount: number,
  visibilityTimeoutSeconds: number,
  firstRetrySeconds = 5,
): number {
  const exponent = Math.max(0, Math.min(20, Math.floor(receiveCount) - 1));
  return Math.min(visibilityTimeoutSeconds, firstRetrySeconds * 3 ** exponent);
}

/**
 * Not a failure: the job is not due yet (a digest window still open, a chat's next send slot
 * further off than a container should wait). The consumer logs it at debug as `job.deferred`,
 * never as a failure, and brings the record (and the rest of its message group) back after
 * `retryAfterSeconds` through its `Redelivery`, as SQS counts every receive, a deferral too, toward
 * the queue's `maxReceiveCount`.
 */
export class JobDeferredError extends Error {
  /** A stable dotted code saying why (`admin.digest_open`, `telegram.chat_busy`). */
  readonly reason: string;
  /** Whole seconds until the job is due, at least 1. */
  readonly retryAfterSeconds: number;

  constructor(reason: string, message: string, retryAfterSeconds: number) {
    super(message);
    this.name = 'JobDeferredError';
    this.reason = reason;
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/**
 * The handlers of one tenant's jobs (its stores scoped to it, its token, its settings), built on a
 * container's first job of that tenant and again once `handlerTtlMs` has passed, so a change of its
 * record (revoked, removed, other admins or features) reaches a warm container. A non-transient
 * `AppError` (no such tenant) parks the job.
 */
export type TenantHandlers = (tenant: TenantId) => Promise<readonly JobHandler[]>;

export interface ConsumerOptions {
  /**
   * Records of one message group run in order (a FIFO queue's chat). Off for a standard queue,
   * whose message group is a fair queue's tenant key, not an order (default on).
   */
  readonly ordered?: boolean;
  /**
   * Where a schedule's tick (a job with no tenant) goes: one copy for every active tenant, on the
   * same queue (`queue`, named `queueName` in the envelope drafts' sense), each then run as that
   * tenant's job. Without it, a job with no tenant is poison.
   */
  readonly fanOut?: {
    readonly tenants: () => Promise<readonly TenantId[]>;
    readonly queue: JobQueue;
    readonly queueName: string;
  };
  /**
   * How long a tenant's handlers are reused before they are built again (default 10 s, the order of
   * the registry cache's TTL): a bot revoked or removed stops being served, and a changed record
   * takes effect, within about this time plus that cache's.
   */
  readonly handlerTtlMs?: number;
  /** Most tenants whose handlers are kept (default 1,000; the least recently used go first). */
  readonly maxTenants?: number;
  /** The clock of that expiry (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * Each tenant's handlers by job type, built on its first job and reused for `handlerTtlMs`; jobs
 * arriving together share one build, and a failed build is not kept (the next job tries again).
 */
function tenantHandlers(handlers: readonly JobHandler[] | TenantHandlers, options: ConsumerOptions) {
  const index = (list: readonly JobHandler[]) => new Map(list.map((h) => [h.job.type, h] as const));
  if (typeof handlers !== 'function') {
    const shared = index(handlers);
    return async (_tenant: TenantId) => shared;
  }
  const ttlMs = options.handlerTtlMs ?? 10_000;
  const maxTenants = options.maxTenants ?? 1_000;
  const now = options.now ?? Date.now;
  const built = new Map<TenantId, { at: number; handlers: Promise<ReadonlyMap<string, JobHandler>> }>();
  return (tenant: TenantId) => {
    const cached = built.get(tenant);
    built.delete(tenant);
    if (cached && now() - cached.at < ttlMs) {
      built.set(tenant, cached);
      return cached.handlers;
    }
    const entry = { at: now(), handlers: handlers(tenant).then(index) };
    built.set(tenant, entry);
    entry.handlers.catch(() => {
      if (built.get(tenant) === entry) built.delete(tenant);
    });
    for (const oldest of built.keys()) {
      if (built.size <= maxTenants) break;
      built.delete(oldest);
    }
    return entry.handlers;
  };
}

type Outcome = { done: true } | { done: false; poison?: ParkReason; retryAfterSeconds?: number };

/**
 * Turns job handlers into an SQS batch consumer that reports partial batch failures.
 *
 * Each record is validated (envelope, then the payload against its type's schema) and run.
 * - Poison (not JSON, invalid envelope, unknown type, invalid payload, or a handler throwing
 *   `PoisonJobError` or another non-transient `AppError`) can never succeed: it is parked in
 *   the DLQ at once with its reason, and reported done. Bad input is kept, never dropped.
 * - Anything else that fails (transient errors, unexpected exceptions) fails only that record,
 *   so SQS redelivers it (after `redelivery.backoffSeconds`, else the visibility timeout), and
 *   after `maxReceiveCount` moves it to the DLQ itself.
 * - A handler throwing `JobDeferredError` (not due yet) is no failure: logged at debug as
 *   `job.deferred` and brought back after its delay.
 * Records of one message group (a FIFO chat) run in order; once one fails (or is deferred) the
 * rest of its group is failed too, to keep the order. Different groups run concurrently. A failure that says when
 * to retry (`TransientError.retryAfterSeconds`) brings its record and the rest of its group back
 * at that time through `redelivery`, instead of after the visibility timeout.
 */
export function createConsumer(
  handlers: readonly JobHandler[] | TenantHandlers,
  log: Logger,
  deadLetters?: DeadLetterQueue,
  redelivery?: Redelivery,
  options: ConsumerOptions = {},
) {
  const ordered = options.ordered ?? true;
  const handlersOf = tenantHandlers(handlers, options);

  async function run(record: QueueRecord, recordLog: Logger, delivery: JobDelivery): Promise<Outcome> {
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
    if (envelope.data.tenant === undefined) return fanOut(envelope.data, recordLog);
    const job = envelope.data as JobEnvelope;
    const jobLog = recordLog.child({ correlationId: job.id, traceId: job.traceId, type: job.type, tenant: job.tenant });
    let byType: ReadonlyMap<string, JobHandler>;
    try {
      byType = await handlersOf(job.tenant);
    } catch (error) {
      if (error instanceof AppError && !(error instanceof TransientError)) {
        return { done: false, poison: { code: error.code, message: error.message } };
      }
      jobLog.warn('job.failed', { error: describeError(error) });
      return { done: false };
    }
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
      const fields = await handler.run({ ...job, payload: payload.data }, jobLog, delivery);
      jobLog.info('job.done', fields || undefined);
      return { done: true };
    } catch (error) {
      if (error instanceof JobDeferredError) {
        jobLog.debug('job.deferred', { reason: error.reason, retryAfterSeconds: error.retryAfterSeconds });
        return { done: false, retryAfterSeconds: error.retryAfterSeconds };
      }
      if (error instanceof PoisonJobError || (error instanceof AppError && !(error instanceof TransientError))) {
        return { done: false, poison: { code: error.code, message: error.message } };
      }
      const retryAfterSeconds =
        (error instanceof TransientError ? error.retryAfterSeconds : undefined) ??
        redelivery?.backoffSeconds?.(Number(record.attributes.ApproximateReceiveCount) || 1);
      jobLog.warn('job.failed', { error: describeError(error), ...(retryAfterSeconds ? { retryAfterSeconds } : {}) });
      return retryAfterSeconds ? { done: false, retryAfterSeconds } : { done: false };
    }
  }

  /** A tick for every tenant: one copy each (ids derived from the tick's, so a redelivered tick repeats nothing). */
  async function fanOut(tick: Omit<JobEnvelope, 'tenant'>, recordLog: Logger): Promise<Outcome> {
    const target = options.fanOut;
    if (!target) return { done: false, poison: { code: 'job.no_tenant', message: `${tick.type} names no tenant` } };
    try {
      const tenants = await target.tenants();
      await target.queue.send(
        tenants.map((tenant) => ({
          queue: target.queueName,
          envelope: { ...tick, tenant, id: `${tick.id.slice(0, 100)}.t${tenant}` },
        })),
      );
      recordLog.info('job.fanned_out', { type: tick.type, tenants: tenants.length });
      return { done: true };
    } catch (error) {
      recordLog.warn('job.failed', { type: tick.type, error: describeError(error) });
      return { done: false };
    }
  }

  /** True when the record is settled (done or parked); otherwise when to retry it, if known. */
  async function runRecord(record: QueueRecord, delivery: JobDelivery): Promise<true | { retryAfterSeconds?: number }> {
    const recordLog = log.child({
      messageId: record.messageId,
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
    });
    const outcome = await run(record, recordLog, delivery);
    if (outcome.done) return true;
    if (!outcome.poison) return outcome.retryAfterSeconds ? { retryAfterSeconds: outcome.retryAfterSeconds } : {};
    recordLog.error('job.poison', { reason: outcome.poison });
    if (!deadLetters) return {};
    try {
      await deadLetters.park(record, outcome.poison);
      recordLog.warn('job.parked', { code: outcome.poison.code });
      return true;
    } catch (error) {
      recordLog.error('job.park_failed', { error: describeError(error) });
      return {};
    }
  }

  async function delay(records: readonly QueueRecord[], seconds: number): Promise<void> {
    if (!redelivery) return;
    try {
      await redelivery.retryAfter(records, seconds);
    } catch (error) {
      // They still come back, after the queue's visibility timeout.
      log.warn('job.delay_failed', { error: describeError(error), seconds });
    }
  }

  return async function consume(records: readonly QueueRecord[]): Promise<BatchResult> {
    const groups = new Map<string, QueueRecord[]>();
    for (const record of records) {
      const group = (ordered && record.attributes.MessageGroupId) || record.messageId;
      groups.set(group, [...(groups.get(group) ?? []), record]);
    }
    const failures: string[] = [];
    const delivery: JobDelivery = { alone: records.length === 1 };
    await Promise.all(
      [...groups.values()].map(async (group) => {
        for (const [index, record] of group.entries()) {
          const settled = await runRecord(record, delivery);
          if (settled === true) continue;
          const failed = group.slice(index);
          failures.push(...failed.map((r) => r.messageId));
          if (settled.retryAfterSeconds) await delay(failed, settled.retryAfterSeconds);
          return;
        }
      }),
    );
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
