import * as z from 'zod/mini';
import { defineJob } from '../jobs/envelope.js';
import { CHECK_BATCH } from './store.js';

const address = z.string().check(z.minLength(32), z.maxLength(44));

/**
 * Starts one round of watching: lists every watched address and hands them to `watch.check` jobs,
 * 100 at a time. Sent by the EventBridge schedule (stacks/Schedule.ts) with an empty payload.
 */
export const WatchPollJob = defineJob('watch.poll', 'rpc', z.object({}));

/** Reads up to 100 watched addresses in one `getMultipleAccounts` call and notifies their watchers of changes. */
export const WatchCheckJob = defineJob(
  'watch.check',
  'rpc',
  z.object({ addresses: z.array(address).check(z.minLength(1), z.maxLength(CHECK_BATCH)) }),
);

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
