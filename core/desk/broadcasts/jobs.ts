import * as z from 'zod/mini';
import { defineJob } from '../../platform/jobs/index.js';
import { BroadcastMessageSchema } from './message.js';

/** `broadcast.start`: an admin confirmed; creates the broadcast and queues its first page. */
export const BroadcastStartJob = defineJob('broadcast.start', 'notify', () =>
  z.object({
    id: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,40}$/)),
    message: BroadcastMessageSchema,
    /** The admin chat and the message there that shows progress (edited in place). */
    adminChatId: z.int(),
    progressMessageId: z.int(),
    lang: z.enum(['en', 'zh']),
  }),
);

/** `broadcast.page`: queues one send per active user of one directory page, then the next page. */
export const BroadcastPageJob = defineJob('broadcast.page', 'notify', () =>
  z.object({
    id: z.string(),
    cursor: z.nullable(z.string()),
    page: z.int().check(z.minimum(0)),
    /** Times this page was queued again to wait for earlier pages (backpressure). */
    wait: z.optional(z.int().check(z.minimum(0))),
  }),
);

/** `broadcast.send`: the broadcast's message to one user (the job's chat). */
export const BroadcastSendJob = defineJob('broadcast.send', 'notify', () => z.object({ id: z.string() }));

/** The cancel button's callback data on a broadcast's progress message. */
export const CALLBACK_CANCEL = (id: string) => `bc:stop:${id}`;

/** `broadcast.cancel`: stops a running broadcast; sends not yet made are skipped. */
export const BroadcastCancelJob = defineJob('broadcast.cancel', 'notify', () => z.object({ id: z.string() }));
