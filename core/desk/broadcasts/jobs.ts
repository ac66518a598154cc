import * as z from 'zod/mini';
import { defineJob } from '../../platform/jobs/index.js';

/** A message entity as Telegram sends it (offsets in UTF-16 code units); passed through as is. */
export const EntitySchema = z.looseObject({
  type: z.string().check(z.minLength(1), z.maxLength(32)),
  offset: z.int().check(z.minimum(0)),
  length: z.int().check(z.minimum(1)),
});
export type Entity = z.infer<typeof EntitySchema>;

/** What every recipient gets: the admin's text with its formatting as entities (no parse mode). */
export const BroadcastMessageSchema = z.object({
  text: z.string().check(z.minLength(1), z.maxLength(4096)),
  entities: z.array(EntitySchema).check(z.maxLength(100)),
});
export type BroadcastMessage = z.infer<typeof BroadcastMessageSchema>;

/** `broadcast.start`: an admin confirmed; creates the broadcast and queues its first page. */
export const BroadcastStartJob = defineJob(
  'broadcast.start',
  'notify',
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
export const BroadcastPageJob = defineJob(
  'broadcast.page',
  'notify',
  z.object({
    id: z.string(),
    cursor: z.nullable(z.string()),
    page: z.int().check(z.minimum(0)),
    /** Times this page was queued again to wait for earlier pages (backpressure). */
    wait: z.optional(z.int().check(z.minimum(0))),
  }),
);

/** `broadcast.send`: the broadcast's message to one user (the job's chat). */
export const BroadcastSendJob = defineJob('broadcast.send', 'notify', z.object({ id: z.string() }));

/** The cancel button's callback data on a broadcast's progress message. */
export const CALLBACK_CANCEL = (id: string) => `bc:stop:${id}`;

/** `broadcast.cancel`: stops a running broadcast; sends not yet made are skipped. */
export const BroadcastCancelJob = defineJob('broadcast.cancel', 'notify', z.object({ id: z.string() }));
