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
