import * as z from 'zod/mini';
import { TenantJobEnvelopeSchema } from '../jobs/index.js';
import { TelegramCallSchema } from '../telegram/index.js';

/**
 * What an update produced, kept so that a redelivery of the same update re-emits exactly
 * the same effects instead of running the bot again: the jobs it sent and the reply it
 * returned in the webhook response.
 */
export const OutboxSchema = z.object({
  jobs: z.array(z.object({ queue: z.string(), envelope: TenantJobEnvelopeSchema })),
  reply: z.optional(TelegramCallSchema),
});
export type Outbox = z.infer<typeof OutboxSchema>;

/**
 * An update already applied to a session; the newest few keep their outbox. `repliesQueued`: its
 * new messages to the chat went through the notify queue, and the chat's later replies follow them.
 */
export const ProcessedUpdateSchema = z.object({
  updateId: z.int(),
  outbox: z.optional(OutboxSchema),
  repliesQueued: z.optional(z.literal(true)),
});
export type ProcessedUpdate = z.infer<typeof ProcessedUpdateSchema>;

/** A session as read: its data (undefined when new or expired), version and recent updates. */
export interface SessionSnapshot {
  readonly key: string;
  /** Opaque to the store; the bot validates it against its own schema. */
  readonly data: unknown;
  /** 0 when no item exists; the version a save must expect. */
  readonly version: number;
  /** Updates applied to this session, newest last, within the dedupe window. */
  readonly processed: readonly ProcessedUpdate[];
}

export interface SessionSave {
  readonly key: string;
  readonly data: unknown;
  readonly expectedVersion: number;
  /** The update this save applies, with its effects; appended to `processed`. */
  readonly update: ProcessedUpdate;
  /** The previous `processed` list; the store trims it to its bounds. */
  readonly processed: readonly ProcessedUpdate[];
}

/**
 * Sessions of (chat, user) pairs with optimistic locking.
 *
 * Invariants: a save succeeds only if the stored version still equals `expectedVersion`
 * (otherwise `SessionConflictError`, nothing written), so concurrent updates never overwrite
 * each other; the update id is recorded in the same write as the data, so "applied" and
 * "recorded as applied" cannot diverge. Expired sessions read as new (TTL deletes late).
 * Infrastructure failures surface as `TransientError`.
 */
export interface SessionStore {
  load(key: string): Promise<SessionSnapshot>;
  save(save: SessionSave): Promise<void>;
}

/**
 * Remembers updates that have no session (no chat and no user) but had effects.
 * `claim` returns the stored outbox when the update was already claimed.
 */
export interface UpdateLedger {
  claim(updateId: number, outbox: Outbox): Promise<{ duplicate: false } | { duplicate: true; outbox: Outbox }>;
}
