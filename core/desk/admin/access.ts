import { PoisonJobError } from '../../platform/errors.js';
import type { JobEnvelope } from '../../platform/jobs/index.js';

/**
 * The worker's half of the admin gate: a job that carries an admin's decision (a broadcast, a
 * block, a lookup, a payout or deposit decision) names the acting admin in its envelope
 * (`userId`, set by the webhook's admin gate from `from.id`), and in its payload too when it has
 * an `adminId`. Each must be one of `admins` (`ADMIN_USER_IDS` as the worker's own config gives
 * it), and the two must agree; otherwise the job is poison: it is parked in the DLQ with its
 * reason and does nothing. So a job put on a queue by anything but the webhook's gate (a forged
 * message, a compromised function that may send to the queue) cannot act as an admin.
 *
 * Call it first in the handler, before any read or write.
 */
export function assertAdmin(admins: ReadonlySet<number>, job: Pick<JobEnvelope, 'type' | 'userId' | 'payload'>): void {
  const actor = job.userId;
  if (actor === null || !admins.has(actor)) {
    throw new PoisonJobError('admin.not_admin', `${job.type} was not made by an admin (user ${actor ?? 'none'})`);
  }
  const payload = job.payload;
  if (typeof payload === 'object' && payload !== null && 'adminId' in payload && payload.adminId !== actor) {
    throw new PoisonJobError('admin.not_admin', `${job.type} names another admin than the one who acted`);
  }
}

/** Parses `ADMIN_USER_IDS` (`"1,2,3"`, already checked by the config schema) into a set of ids. */
export function parseAdminIds(value: string): ReadonlySet<number> {
  return new Set(value.split(',').map(Number));
}
