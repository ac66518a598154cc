import * as z from 'zod/mini';
import { BroadcastMessageSchema } from './jobs.js';

/** The broadcasts feature's session fields (an admin's). */
export const broadcastSessionFields = {
  /** An admin's `/broadcast` waiting for confirmation. */
  broadcastDraft: z.optional(BroadcastMessageSchema),
};
