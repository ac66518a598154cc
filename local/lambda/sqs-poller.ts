/**
 * The SQS event source mapping, locally: pollers that receive from one queue and invoke its
 * consumer with real SQS events, honouring the consumer settings the stack declares.
 *
 * - batch size and batching window: a batch is sent as soon as it holds `batchSize` messages or
 *   `maxBatchingWindowSeconds` after its first message arrived (at once when the window is 0);
 * - maximum concurrency: exactly `maxConcurrency` pollers, each invoking one batch at a time,
 *   so there are never more concurrent invocations for the queue;
 * - visibility timeout and DLQ redrive: left to the queue (fauxqs), as on AWS: a message not
 *   deleted becomes visible again after the queue's visibility timeout, and is moved to the DLQ
 *   by the receive that exceeds `maxReceiveCount`;
 * - `ReportBatchItemFailures`: messages listed in `batchItemFailures` are kept, the others are
 *   deleted; a thrown error, a timeout, a crash or an invalid `itemIdentifier` fails the batch;
 * - FIFO: fauxqs locks a message group while any of its messages is in flight, so two batches
 *   of one group are never processed at once and order within a group is kept.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { ConsumerSettings } from '../../core/platform/settings.js';
import { LOCAL_REGION } from '../aws/common.js';
import type { Outcome } from './environment.js';
import { sqsRecord } from './events.js';

/** SQS returns at most 10 messages per receive. */
const MAX_RECEIVE = 10;

/** What the poller needs from the consumer settings. */
export type PollerSettings = Pick<ConsumerSettings, 'batchSize' | 'maxBatchingWindowSeconds' | 'maxConcurrency'>;

/** One queue and its consumer. */
export interface SqsPollerOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly settings: PollerSettings;
  /** Invokes the consumer function (e.g. `pool.invoke`); failures are outcomes, not rejections. */
  readonly invoke: (event: SQSEvent) => Promise<Outcome>;
  readonly region?: string;
  /** Long-poll wait of an idle poller, in seconds (1 by default; 0–20). */
  readonly idleWaitSeconds?: number;
  /** Called with receive and delete errors (the poller retries); logs to stderr by default. */
  readonly onError?: (error: unknown) => void;
}

/** Counters of one queue's pollers. */
export interface QueueStats {
  readonly invocations: number;
  /** Messages handed to the function (a redelivered message counts again). */
  readonly messages: number;
  /** Messages deleted after a successful invocation. */
  readonly deleted: number;
  /** Messages listed in `batchItemFailures` (left to be redelivered). */
  readonly itemFailures: number;
  /** Invocations whose whole batch failed (thrown error, timeout, crash, invalid response). */
  readonly batchFailures: number;
  readonly inFlight: number;
  /** Highest number of concurrent invocations seen (never above `maxConcurrency`). */
  readonly maxInFlight: number;
  readonly maxBatchSize: number;
  readonly receiveErrors: number;
}

/** How a batch ends: which records to delete and which to leave for redelivery. */
export interface BatchSettlement {
  readonly batchFailed: boolean;
  readonly remove: readonly SQSRecord[];
  readonly retry: readonly SQSRecord[];
}

/**
 * Applies Lambda's `ReportBatchItemFailures` rules to an invocation outcome. Success: nothing
 * returned, no `batchItemFailures`, or an empty list. Partial: every `itemIdentifier` names a
 * record of the batch. Anything else (error, timeout, unknown or empty identifier, a
 * non-array `batchItemFailures`) fails the whole batch.
 */
export function settleBatch(outcome: Outcome, records: readonly SQSRecord[]): BatchSettlement {
  const wholeBatchFailed: BatchSettlement = { batchFailed: true, remove: [], retry: records };
  if (!outcome.ok) return wholeBatchFailed;
  const payload = outcome.payload;
  if (payload === null || typeof payload !== 'object' || !('batchItemFailures' in payload)) {
    return { batchFailed: false, remove: records, retry: [] };
  }
  const failures = payload.batchItemFailures;
  if (failures === null || failures === undefined) return { batchFailed: false, remove: records, retry: [] };
  if (!Array.isArray(failures)) return wholeBatchFailed;
  const ids = new Set(records.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id =
      typeof failure === 'object' && failure !== null
        ? (failure as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || !ids.has(id)) return wholeBatchFailed;
    failed.add(id);
  }
  return {
    batchFailed: false,
    remove: records.filter((record) => !failed.has(record.messageId)),
    retry: records.filter((record) => failed.has(record.messageId)),
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls one queue with `maxConcurrency` pollers until stopped; see the module comment. */
export class SqsPoller {
  readonly #options: SqsPollerOptions;
  readonly #abort = new AbortController();
  readonly #loops: Promise<void>[] = [];
  #stats = {
    invocations: 0,
    messages: 0,
    deleted: 0,
    itemFailures: 0,
    batchFailures: 0,
    inFlight: 0,
    maxInFlight: 0,
    maxBatchSize: 0,
    receiveErrors: 0,
  };

  /** Starts polling at once. */
  constructor(options: SqsPollerOptions) {
    if (options.settings.batchSize < 1) throw new Error('batchSize must be at least 1');
    if (options.settings.maxConcurrency < 1) throw new Error('maxConcurrency must be at least 1');
    this.#options = options;
    for (let i = 0; i < options.settings.maxConcurrency; i++) this.#loops.push(this.#poll());
  }

  /** A snapshot of the counters. */
  stats(): QueueStats {
    return { ...this.#stats };
  }

  /**
   * Stops receiving (pending long polls are abandoned) and resolves once every in-flight
   * invocation has settled. Idempotent.
   */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#loops);
  }

  get #running(): boolean {
    return !this.#abort.signal.aborted;
  }

  async #poll(): Promise<void> {
    let backoffMs = 50;
    while (this.#running) {
      try {
        const batch = await this.#gather();
        backoffMs = 50;
        if (batch.length > 0) await this.#process(batch);
      } catch (error) {
        if (!this.#running) break;
        this.#stats.receiveErrors += 1;
        this.#report(error);
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 1_000);
      }
    }
  }

  /** Receives until the batch is full or its window has elapsed (one receive when the window is 0). */
  async #gather(): Promise<Message[]> {
    const { batchSize, maxBatchingWindowSeconds } = this.#options.settings;
    const batch: Message[] = [];
    let deadline = Number.POSITIVE_INFINITY;
    while (this.#running && batch.length < batchSize) {
      const remainingMs = deadline - Date.now();
      if (batch.length > 0 && remainingMs <= 0) break;
      const waitSeconds = batch.length === 0 ? (this.#options.idleWaitSeconds ?? 1) : Math.floor(remainingMs / 1000);
      let received: Message[];
      try {
        received = await this.#receive(Math.min(MAX_RECEIVE, batchSize - batch.length), waitSeconds);
      } catch (error) {
        if (this.#running || batch.length === 0) throw error;
        break;
      }
      if (received.length > 0 && batch.length === 0) deadline = Date.now() + maxBatchingWindowSeconds * 1000;
      batch.push(...received);
      if (maxBatchingWindowSeconds === 0 && batch.length > 0) break;
      if (received.length === 0 && batch.length > 0) await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
    }
    if (!this.#running && batch.length > 0) {
      await this.#release(batch);
      return [];
    }
    return batch;
  }

  async #receive(max: number, waitSeconds: number): Promise<Message[]> {
    const { Messages = [] } = await this.#options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#options.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: Math.min(20, Math.max(0, waitSeconds)),
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: this.#abort.signal },
    );
    return Messages;
  }

  async #process(batch: Message[]): Promise<void> {
    const source = { queueArn: this.#options.queueArn, region: this.#options.region ?? LOCAL_REGION };
    const records = batch.map((message) => sqsRecord(message, source));
    const stats = this.#stats;
    stats.invocations += 1;
    stats.messages += records.length;
    stats.maxBatchSize = Math.max(stats.maxBatchSize, records.length);
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let outcome: Outcome;
    try {
      outcome = await this.#options.invoke({ Records: records });
    } catch (error) {
      outcome = {
        ok: false,
        kind: 'crash',
        error: { errorType: 'Runtime.InvokeError', errorMessage: String(error), trace: [] },
      };
    } finally {
      stats.inFlight -= 1;
    }
    const settlement = settleBatch(outcome, records);
    if (settlement.batchFailed) stats.batchFailures += 1;
    else stats.itemFailures += settlement.retry.length;
    await this.#delete(settlement.remove);
  }

  async #delete(records: readonly SQSRecord[]): Promise<void> {
    for (const chunk of chunks(records, MAX_RECEIVE)) {
      try {
        const { Successful = [], Failed = [] } = await this.#options.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.#options.queueUrl,
            Entries: chunk.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle })),
          }),
        );
        this.#stats.deleted += Successful.length;
        if (Failed.length > 0) this.#report(new Error(`DeleteMessageBatch failed for ${Failed.length} message(s)`));
      } catch (error) {
        this.#report(error);
      }
    }
  }

  /** Makes messages received while stopping visible again at once (best effort). */
  async #release(batch: readonly Message[]): Promise<void> {
    for (const chunk of chunks(batch, MAX_RECEIVE)) {
      try {
        await this.#options.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.#options.queueUrl,
            Entries: chunk.map((message, i) => ({
              Id: String(i),
              ReceiptHandle: message.ReceiptHandle ?? '',
              VisibilityTimeout: 0,
            })),
          }),
        );
      } catch {
        // The queue may be going away with the stack: the messages reappear after their visibility timeout.
      }
    }
  }

  #report(error: unknown): void {
    if (this.#options.onError) this.#options.onError(error);
    else console.error(`[sqs-poller ${this.#options.queueArn}]`, error);
  }
}
