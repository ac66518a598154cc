/**
 * How far a multi-step job got, keyed by job id, so a redelivered job resumes instead of
 * repeating steps. The remaining crash window is one step: a step done whose progress was
 * not yet recorded runs again on redelivery.
 */
export interface JobProgress {
  /** Steps already done for this job (0 if never seen). */
  done(jobId: string): Promise<number>;
  record(jobId: string, done: number): Promise<void>;
}
