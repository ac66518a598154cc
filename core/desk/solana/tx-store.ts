/** Where a `tx.send` job stands. */
export type TxStatus = 'sending' | 'confirmed' | 'failed' | 'expired';

export interface TxRecord {
  jobId: string;
  signature: string;
  lastValidBlockHeight: number;
  status: TxStatus;
}

/**
 * The ledger of transactions the platform sends, one record per `tx.send` job.
 *
 * Invariants: a record is created (signature and `lastValidBlockHeight`) before the first send;
 * it never changes signature, so a redelivered job can only resend the same signed bytes; a
 * final status (confirmed, failed, expired) is written once and never changes.
 */
export interface TxStore {
  /** Creates the record, or returns the existing one for this job id unchanged. */
  begin(record: Omit<TxRecord, 'status'>): Promise<TxRecord>;
  /** Moves a `sending` record to its final status; a second call is a no-op. */
  finish(jobId: string, status: Exclude<TxStatus, 'sending'>): Promise<void>;
}
