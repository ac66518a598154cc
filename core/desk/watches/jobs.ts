import * as z from 'zod/mini';
import { LANGUAGES } from '../../platform/i18n/index.js';
import { defineJob, SHORT_ID, shortId } from '../../platform/jobs/index.js';
import { CHECK_BATCH } from './store.js';

const address = z.string().check(z.minLength(32), z.maxLength(44));
const lang = z.enum(LANGUAGES);

/** How many addresses one user may watch. */
export const MAX_WATCHES = 20;

/**
 * Starts one round of watching: lists every watched address and hands them to `watch.check` jobs,
 * 100 at a time. Sent by the EventBridge schedule (stacks/Schedule.ts) with an empty payload.
 */
export const WatchPollJob = defineJob('watch.poll', 'rpc', () => z.object({}));

/** Reads up to 100 watched addresses in one `getMultipleAccounts` call and notifies their watchers of changes. */
export const WatchCheckJob = defineJob('watch.check', 'rpc', () =>
  z.object({ addresses: z.array(address).check(z.minLength(1), z.maxLength(CHECK_BATCH)) }),
);

/**
 * `/watch <address> [SOL]`: the job's chat starts watching `address` (or changes its threshold),
 * with notices in `lang`. `thresholdLamports` is a decimal string (JSON has no bigint); 0 means
 * any change.
 */
export const WatchAddJob = defineJob('watch.add', 'rpc', () =>
  z.object({ address, thresholdLamports: z.string().check(z.regex(/^\d{1,20}$/)), lang }),
);

/** `/watches`: the job's chat gets its watch list, one Remove button per watch. */
export const WatchListJob = defineJob('watch.list', 'rpc', () => z.object({ lang }));

/**
 * A Remove button under the watch list was pressed: `watch` is the watch's id (`watchId`), taken
 * from the callback data, so it is only a claim until the store's watch list confirms it.
 * `messageId` is the list's message, edited in place with the outcome.
 */
export const WatchRemoveJob = defineJob('watch.remove', 'rpc', () =>
  z.object({ watch: z.string().check(z.regex(SHORT_ID)), lang, messageId: z.optional(z.int()) }),
);

/** The user chose another language: their watches' notices follow it. */
export const WatchLangJob = defineJob('watch.lang', 'rpc', () => z.object({ lang }));

/** A watch's id in callback data: 16 characters derived from the address (the chat is the job's). */
export function watchId(address: string): string {
  return shortId(`watch.${address}`);
}

/** Callback data of the watch list's Remove buttons (`wt:rm:<watch id>`, 22 bytes). */
export const WATCH_CALLBACK = {
  remove: (address: string) => `wt:rm:${watchId(address)}`,
  pattern: /^wt:rm:([a-z2-7]{16})$/,
} as const;

/**
 * The `watch.poll` envelope a schedule produces: id and trace id are the schedule event's id
 * (so a redelivered event is the same job), created at the event's time. EventBridge fills it
 * through an input transformer on AWS; the local scheduler fills it with real values.
 */
export function watchPollEnvelope(eventId: string, time: string) {
  return {
    type: WatchPollJob.type,
    id: eventId,
    chatId: null,
    userId: null,
    payload: {},
    attempt: 0,
    createdAt: time,
    traceId: eventId,
  };
}
