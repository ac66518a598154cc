import * as z from 'zod/mini';
import { SECRET_NAME } from './jobs.js';

/** The secrets feature's session fields. */
export const vaultSessionFields = {
  /** A `/setsecret` waiting for its value: the secret's name and when it was asked (message date, s). */
  secretPrompt: z.optional(
    z.object({
      name: z.string().check(z.regex(SECRET_NAME)),
      since: z.int(),
      /** An admin storing a service credential. */
      scope: z.optional(z.literal('service')),
    }),
  ),
};
