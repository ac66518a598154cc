import * as z from 'zod/mini';
import { defineJob } from '../jobs/index.js';
import { TelegramCallSchema } from './calls.js';

/**
 * Bot API calls to make in order, for one chat, on the notify queue. The worker records how
 * many calls of a job are done, so a redelivered job resumes after the last one sent. `update`:
 * the calls are the replies the webhook queued for that update (see `ChatPaceMarks`).
 */
export const TelegramSendJob = defineJob('telegram.send', 'notify', () =>
  z.object({
    calls: z.array(TelegramCallSchema).check(z.minLength(1), z.maxLength(50)),
    update: z.optional(z.int().check(z.minimum(0))),
  }),
);
