import * as z from 'zod/mini';
import { BroadcastMessageSchema } from './message.js';

/** The broadcasts feature's session fields (an admin's). */
export const broadcastSessionFields = {
  /** An admin's `/broadcast` waiting for confirmation; one no longer valid reads as none (the rest of the session stays). */
  broadcastDraft: z.catch(z.optional(BroadcastMessageSchema), undefined),
};
