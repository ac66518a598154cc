import { PoisonJobError } from '../platform/errors.js';
import { handle, type JobHandler, type JobType } from '../platform/jobs/index.js';
import type { TenantFeatures } from '../platform/tenants/index.js';

/** A part of the desk a bot may go without: its record's `features` say which it offers. */
export type DeskFeature = keyof TenantFeatures;
/** Which parts of the desk a bot offers (a registered bot's from its record; the stage's own bot all). */
export type DeskFeatures = TenantFeatures;

/** Every feature on: the stage's own bot, which has a treasury, an assistant and admins. */
export const ALL_FEATURES: DeskFeatures = { payouts: true, assistant: true, watches: true, broadcasts: true };

/**
 * The handlers a worker has for the jobs of a feature its bot does not offer (switched off after
 * they were queued, or forged): each is parked with `feature.off` and its reason, never run.
 */
export function switchedOff(feature: DeskFeature, jobs: readonly JobType<unknown>[]): JobHandler[] {
  return jobs.map((job) =>
    handle(job, async () => {
      throw new PoisonJobError('feature.off', `${job.type}: this bot does not offer ${feature}`);
    }),
  );
}

/** A schedule's tick for a feature the bot does not offer: nothing to do, done (a tick is no one's request). */
export function idleTick(job: JobType<unknown>): JobHandler {
  return handle(job, async () => undefined);
}
