import * as z from 'zod/mini';
import { defineJob, type JobDraft } from '../../platform/jobs/index.js';
import { TELEGRAM_LIMITS } from '../../platform/settings.js';

/** What admins hear about. */
export const ADMIN_EVENT_KINDS = [
  'user.new',
  'wallet.verified',
  'deposit.found',
  'deposit.confirmed',
  'deposit.rejected',
  'deposit.unattributed',
  'withdrawal.requested',
  'withdrawal.approved',
  'withdrawal.rejected',
  'withdrawal.paid',
  'withdrawal.failed',
  'withdrawal.cancelled',
  'decision.ignored',
  'error',
] as const;
export type AdminEventKind = (typeof ADMIN_EVENT_KINDS)[number];

/** A button an event asks admins to press (confirm or reject a withdrawal, say). */
const ActionSchema = z.object({
  text: z.string().check(z.minLength(1), z.maxLength(32)),
  data: z.string().check(
    z.minLength(1),
    z.refine((s) => Buffer.byteLength(s) <= TELEGRAM_LIMITS.maxCallbackDataBytes, 'callback data over 64 bytes'),
  ),
});

/**
 * Something admins should know about, on the notify queue. The notify worker collects events
 * into one digest per window and posts it to the admin channel. Fields are plain values;
 * formatting and escaping happen where the digest is written.
 */
export const AdminEventJob = defineJob('admin.event', 'notify', () =>
  z.object({
    kind: z.enum(ADMIN_EVENT_KINDS),
    userId: z.nullable(z.int()),
    /** Short key/value facts shown in the digest line, in order. */
    facts: z
      .array(z.tuple([z.string().check(z.maxLength(32)), z.string().check(z.maxLength(200))]))
      .check(z.maxLength(8)),
    /** Buttons kept under the digest message that carries this event. */
    actions: z.optional(z.array(ActionSchema).check(z.maxLength(4))),
  }),
);
export type AdminEvent = z.infer<typeof AdminEventJob.payload>;

/** An admin event, bound to no chat: events are batched, not ordered. */
export function adminEvent(event: AdminEvent): JobDraft {
  return { job: AdminEventJob, payload: event, chatId: null, userId: event.userId };
}
