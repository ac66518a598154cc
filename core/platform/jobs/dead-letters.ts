import type { QueueRecord } from './consumer.js';

/** Why a message was parked: a stable code and a log-safe sentence. */
export interface ParkReason {
  code: string;
  message: string;
}

/**
 * A consumer's dead-letter queue, for poison messages that must not be retried: the original
 * body is kept untouched (for inspection and `dlq:redrive`) with the reason beside it. Parking
 * must be durable before the consumer reports the record done; if it fails, it throws and the
 * record is retried instead.
 */
export interface DeadLetterQueue {
  park(record: QueueRecord, reason: ParkReason): Promise<void>;
}
