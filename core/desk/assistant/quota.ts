/**
 * Questions per user per UTC day. A question is counted once however often its job is delivered,
 * and given back when the provider could not answer it.
 */
export interface QuotaStore {
  /**
   * Counts job `jobId` against the user's `day` if fewer than `limit` questions are counted (a job
   * already counted is accepted again). `used` is the count after this call.
   */
  take(userId: number, day: string, jobId: string, limit: number): Promise<{ ok: boolean; used: number }>;
  /** Un-counts job `jobId` (idempotent: a job not counted changes nothing). */
  giveBack(userId: number, day: string, jobId: string): Promise<void>;
}
