import * as z from 'zod/mini';
import { TenantIdSchema } from '../tenants/index.js';

/**
 * The one envelope every job travels in, on every queue. It is validated when a job is
 * created and again when a consumer receives it. `id` is the idempotency key: whatever a
 * job does, a redelivery of the same id must not do it twice.
 */
export const JobEnvelopeSchema = z.object({
  type: z.string().check(z.regex(/^[a-z][a-z0-9]*(\.[a-z][a-z0-9_]*)+$/, 'a dotted lower-case job type')),
  /**
   * The bot the job works for: its consumer reads and writes only that tenant's items, and speaks as
   * that bot. Absent only on a schedule's tick (a deployment-wide job), which the consumer runs once
   * for every active tenant.
   */
  tenant: z.optional(TenantIdSchema),
  id: z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'an id of 1–128 characters [A-Za-z0-9_.:-]')),
  chatId: z.nullable(z.int()),
  userId: z.nullable(z.int()),
  payload: z.unknown(),
  attempt: z.int().check(z.minimum(0)),
  createdAt: z.iso.datetime(),
  traceId: z.string().check(z.minLength(1), z.maxLength(128)),
});
/** The envelope of a job for one tenant, as every producer makes it (a stored outbox holds only these). */
export const TenantJobEnvelopeSchema = z.extend(JobEnvelopeSchema, { tenant: TenantIdSchema });

/** A job as producers make it and handlers see it: always for one tenant. */
export type JobEnvelope<P = unknown> = Omit<z.infer<typeof JobEnvelopeSchema>, 'payload' | 'tenant'> & {
  payload: P;
  tenant: string;
};

/** A job type: its name, the queue it runs on, and the schema of its payload. */
export interface JobType<P> {
  readonly type: string;
  readonly queue: string;
  readonly payload: z.ZodMiniType<P>;
}

/**
 * A job type whose payload schema is built when first used, not when its module is imported: a
 * function's cold start builds none of the schemas of the jobs it never sends or runs (the
 * webhook imports every job type it may send, and sends one or two of them per update).
 */
export function defineJob<P>(type: string, queue: string, payload: () => z.ZodMiniType<P>): JobType<P> {
  let schema: z.ZodMiniType<P> | undefined;
  return {
    type,
    queue,
    get payload() {
      schema ??= payload();
      return schema;
    },
  };
}

/** What a producer asks for; ids and timestamps are filled in when it is enqueued. */
export interface JobDraft<P = unknown> {
  readonly job: JobType<P>;
  readonly payload: P;
  readonly chatId: number | null;
  readonly userId: number | null;
  /** Seconds before consumers may receive it (0–900; standard queues only: FIFO queues ignore it). */
  readonly delaySeconds?: number;
}

/** A validated job ready to send: its envelope and where it goes. */
export interface OutgoingJob {
  readonly queue: string;
  readonly envelope: JobEnvelope;
  readonly delaySeconds?: number;
}

/** The longest delay SQS allows on a message. */
export const MAX_DELAY_SECONDS = 900;

/**
 * Seals drafts into envelopes. Ids are derived from `idPrefix` and the draft's position, so
 * running the same producer again for the same input (a redelivered update) yields the same
 * ids and consumers can drop the repeat.
 */
export function sealJobs(
  drafts: readonly JobDraft[],
  ctx: { idPrefix: string; traceId: string; tenant: string; now: Date },
): OutgoingJob[] {
  return drafts.map((draft, index) => {
    const payload = draft.job.payload.parse(draft.payload);
    const envelope: JobEnvelope = {
      type: draft.job.type,
      tenant: ctx.tenant,
      id: `${ctx.idPrefix}.${index}`,
      chatId: draft.chatId,
      userId: draft.userId,
      payload,
      attempt: 0,
      createdAt: ctx.now.toISOString(),
      traceId: ctx.traceId,
    };
    const delay = draft.delaySeconds === undefined ? {} : { delaySeconds: clampDelay(draft.delaySeconds) };
    return { queue: draft.job.queue, envelope: TenantJobEnvelopeSchema.parse(envelope) as JobEnvelope, ...delay };
  });
}

const clampDelay = (seconds: number) => Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(seconds)));

/**
 * Sends jobs to their queues. Implementations batch where they can and either send every
 * job or throw a `TransientError`; sending the same envelope twice is allowed (ids dedupe).
 */
export interface JobQueue {
  send(jobs: readonly OutgoingJob[]): Promise<void>;
}
