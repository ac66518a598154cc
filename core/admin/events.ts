import * as z from 'zod/mini';
import { defineJob, type JobDraft } from '../jobs/envelope.js';

/**
 * Something admins should know about, on the notify queue. The notify worker posts it to the
 * admin channel (batched into digests once that exists). Fields are plain values; formatting
 * and escaping happen where the message is written.
 */
export const AdminEventJob = defineJob(
  'admin.event',
  'notify',
  z.object({
    kind: z.enum(['deposit.found']),
    userId: z.nullable(z.int()),
    /** Short key/value facts shown in the message, in order. */
    facts: z.array(z.tuple([z.string(), z.string()])).check(z.maxLength(20)),
  }),
);
export type AdminEvent = z.infer<typeof AdminEventJob.payload>;

export function adminEvent(event: AdminEvent): JobDraft {
  return { job: AdminEventJob, payload: event, chatId: null, userId: event.userId };
}
