import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BatchResult, QueueRecord } from './consumer.js';

/**
 * More of the consumed queue's messages, taken by an invocation itself (its role may receive and
 * delete them: the event source mapping's grant). On a FIFO queue a receive never returns a
 * message of a group with a message in flight, so order per group holds whoever receives.
 */
export interface TopUpSource {
  /** Up to `max` visible messages, long-polling at most `waitSeconds` for the first. */
  receive(max: number, waitSeconds: number): Promise<QueueRecord[]>;
  /** Deletes messages received here once they are settled. */
  remove(records: readonly QueueRecord[]): Promise<void>;
}

export interface TopUpOptions {
  readonly source: TopUpSource;
  /** Most records one invocation works on at once (the event source's batch size). */
  readonly maxInFlight: number;
  /** Long-poll wait of each receive: an invocation outlasts its last record by at most this much. */
  readonly waitSeconds: number;
  /** Time an invocation must still have, beyond one receive's wait, to take a record (ms): a job's longest run. */
  readonly reserveMs: number;
}

type Consume = (records: readonly QueueRecord[]) => Promise<BatchResult>;

/** Most messages one SQS receive returns. */
const MAX_RECEIVE = 10;

/**
 * A consumer whose invocation, while its batch waits on the network, takes more of its queue's
 * messages and runs them beside the batch, so jobs arriving meanwhile share the wait already
 * billed instead of each starting an invocation of its own (the ai worker waits seconds for each
 * answer; a FIFO event source has no batching window to gather them).
 *
 * It keeps taking while anything is in flight, at most `maxInFlight` records at once, and only
 * while the invocation has `reserveMs` plus a receive's wait left. Taken records run through the
 * same `consume` (groups in order, poison parked, deferrals and `retryAfter` as for the batch);
 * the settled ones are deleted here, the failed ones are left to come back as the event source's
 * would (after the consumer's redelivery delay or the visibility timeout). The batch's own result
 * is returned for the event source; its settled records are deleted here too if taken records are
 * still running then, so their chats' next messages are not held until the invocation ends. A
 * receive that fails ends the taking (logged), never the batch.
 */
export function toppingUp(consume: Consume, log: Logger, options: TopUpOptions) {
  const { source, maxInFlight, waitSeconds, reserveMs } = options;
  return async function consumeToppingUp(
    records: readonly QueueRecord[],
    /** The invocation's time left (Lambda's `getRemainingTimeInMillis`); without it nothing is taken. */
    remainingMs: () => number = () => 0,
  ): Promise<BatchResult> {
    let inFlight = records.length;
    let wake = () => {};
    const settle = (count: number) => {
      inFlight -= count;
      wake();
    };
    /** Deletes the settled ones of `batch` (a failure is logged: they come back, and jobs are idempotent). */
    async function removeSettled(batch: readonly QueueRecord[], result: BatchResult): Promise<void> {
      const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
      const settled = batch.filter((record) => !failed.has(record.messageId));
      if (settled.length === 0) return;
      try {
        await source.remove(settled);
      } catch (error) {
        log.warn('job.top_up_remove_failed', { error: describeError(error), records: settled.length });
      }
    }

    const own = consume(records)
      .then(async (result) => {
        // A FIFO group's next message waits until these are deleted, which the event source does
        // only when the invocation returns: while taken records keep it going, delete them now
        // (the event source's own delete of a deleted message is no failure).
        if (inFlight > records.length) await removeSettled(records, result);
        return result;
      })
      .finally(() => settle(records.length));
    own.catch(() => undefined); // awaited below; a rejection fails the invocation there
    const taken: Promise<void>[] = [];

    async function runTaken(received: QueueRecord[]): Promise<void> {
      try {
        await removeSettled(received, await consume(received));
      } finally {
        settle(received.length);
      }
    }

    while (inFlight > 0 && remainingMs() > reserveMs + waitSeconds * 1000) {
      const room = maxInFlight - inFlight;
      if (room <= 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      let received: QueueRecord[];
      try {
        received = await source.receive(Math.min(MAX_RECEIVE, room), waitSeconds);
      } catch (error) {
        log.warn('job.top_up_failed', { error: describeError(error) });
        break;
      }
      if (received.length === 0) continue;
      inFlight += received.length;
      taken.push(runTaken(received));
    }
    await Promise.all(taken);
    return own;
  };
}
