import { type JobDraft, type JobEnvelope, type JobQueue, sealJobs } from './envelope.js';

/**
 * Sends the jobs a job produces. Their ids derive from the parent's id, so a redelivered parent
 * produces the same child ids and the repeat is dropped downstream (FIFO dedupe, idempotent
 * consumers); the tenant and the trace id are carried over.
 */
export function emitFrom(
  queue: JobQueue,
  parent: JobEnvelope,
  drafts: readonly JobDraft[],
  now = new Date(),
): Promise<void> {
  if (drafts.length === 0) return Promise.resolve();
  return queue.send(sealJobs(drafts, { idPrefix: parent.id, traceId: parent.traceId, tenant: parent.tenant, now }));
}
