import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { ConfigError, TransientError } from '../errors.js';
import { failureBackoffSeconds, type QueueRecord, type Redelivery } from './consumer.js';
import type { DeadLetterQueue, ParkReason } from './dead-letters.js';
import type { InspectedQueues, QueueDepth, QueueDepths } from './depths.js';
import type { JobEnvelope, JobQueue, OutgoingJob } from './envelope.js';
import type { TopUpSource } from './top-up.js';

export interface SqsJobQueueOptions {
  client: SQSClient;
  /** URL of each queue this function may send to (from config). */
  queueUrls: Readonly<Partial<Record<string, string>>>;
  /** Which queues are FIFO (from the stage settings). */
  fifo: Readonly<Record<string, boolean>>;
  /** Attempts for entries SQS reports as failed inside a batch. */
  maxAttempts?: number;
}

const MAX_BATCH = 10;

/**
 * A FIFO message's deduplication id: the job id within its bot (two bots' update 5 both make job
 * `u5.0`), hashed when the two together pass SQS's 128 characters.
 */
export function deduplicationId(envelope: Pick<JobEnvelope, 'tenant' | 'id'>): string {
  const id = `${envelope.tenant}.${envelope.id}`;
  return id.length <= 128 ? id : createHash('sha256').update(id).digest('hex');
}
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * Sends job envelopes with `SendMessageBatch` (up to 10 per call and 256 KB), one call per
 * queue and chunk. FIFO queues get the chat as message group (order per chat) and the job id
 * as deduplication id, so re-sending a job within five minutes is a no-op. Entries that SQS
 * rejects in a batch are retried; if any still fail the whole send throws `TransientError`.
 */
export class SqsJobQueue implements JobQueue {
  constructor(private readonly options: SqsJobQueueOptions) {}

  async send(jobs: readonly OutgoingJob[]): Promise<void> {
    const byQueue = new Map<string, OutgoingJob[]>();
    for (const job of jobs) byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job]);
    await Promise.all([...byQueue].map(([queue, list]) => this.sendToQueue(queue, list)));
  }

  private async sendToQueue(queue: string, jobs: OutgoingJob[]): Promise<void> {
    if (!this.options.queueUrls[queue]) throw new ConfigError(`No URL configured for the ${queue} queue`);
    const entries = jobs.map((job, index) => this.entry(queue, job, index));
    for (const chunk of chunks(entries)) await this.sendChunk(queue, chunk);
  }

  private entry(queue: string, job: OutgoingJob, index: number): SendMessageBatchRequestEntry {
    const { envelope } = job;
    const entry: SendMessageBatchRequestEntry = { Id: String(index), MessageBody: messageBody(envelope) };
    if (job.delaySeconds && !this.options.fifo[queue]) entry.DelaySeconds = job.delaySeconds;
    if (this.options.fifo[queue]) {
      // Order per chat of one bot (chat ids repeat across bots). A job bound to no chat needs no
      // order: its own group lets such jobs run side by side.
      entry.MessageGroupId =
        envelope.chatId === null
          ? `${envelope.tenant}.job-${envelope.id}`
          : `${envelope.tenant}.chat-${envelope.chatId}`;
      entry.MessageDeduplicationId = deduplicationId(envelope);
    } else {
      // A fair queue's tenant key: SQS keeps one bot's backlog from delaying the others' messages.
      entry.MessageGroupId = envelope.tenant;
    }
    return entry;
  }

  private async sendChunk(queue: string, chunk: SendMessageBatchRequestEntry[]): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 3;
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let failedIds: Set<string>;
      let codes: string[];
      try {
        const result = await this.options.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.options.queueUrls[queue], Entries: pending }),
        );
        failedIds = new Set((result.Failed ?? []).map((f) => f.Id ?? ''));
        codes = [...new Set((result.Failed ?? []).map((f) => `${f.Code}${f.SenderFault ? ' (sender fault)' : ''}`))];
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Unknown';
        throw new TransientError('sqs.unavailable', `SQS SendMessageBatch to ${queue} failed: ${name}`, {
          cause: error,
        });
      }
      pending = pending.filter((entry) => failedIds.has(entry.Id ?? ''));
      if (pending.length > 0 && attempt >= maxAttempts) {
        throw new TransientError(
          'sqs.partial_failure',
          `SQS rejected ${pending.length} job(s) for ${queue}: ${codes.join(', ')}`,
        );
      }
    }
  }
}

/**
 * The envelope as JSON with every UTF-16 surrogate written as a `\u` escape. SQS accepts
 * astral characters (emoji) but the local emulator's character check does not; escaped, the
 * body is plain BMP text everywhere, and `JSON.parse` restores it exactly.
 */
export function messageBody(envelope: unknown): string {
  return JSON.stringify(envelope).replace(/[\uD800-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** Splits entries into SQS batches by count and total body size. */
function* chunks(entries: SendMessageBatchRequestEntry[]): Generator<SendMessageBatchRequestEntry[]> {
  let current: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.MessageBody ?? '');
    if (current.length === MAX_BATCH || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) yield current;
}

/** The largest SQS message: body and message attributes together. */
const MAX_MESSAGE_BYTES = 1_048_576;

/** What SQS counts against the message size: the body, and each attribute's name, type and value. */
function messageBytes(body: string, attributes: Record<string, MessageAttributeValue>): number {
  let bytes = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    bytes +=
      Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

/**
 * Parks a poison message in the consumer's DLQ: the body exactly as received, the reason and
 * the original message id as message attributes. On a FIFO DLQ the message keeps its group and
 * is deduplicated by the original message id, so parking twice leaves one copy.
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(private readonly options: { client: SQSClient; url: string; fifo: boolean }) {}

  async park(record: QueueRecord, reason: ParkReason): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {
      reason: { DataType: 'String', StringValue: reason.code },
      sourceMessageId: { DataType: 'String', StringValue: record.messageId },
    };
    const detail = { DataType: 'String', StringValue: reason.message.slice(0, 1000) || '-' };
    // The detail is a courtesy: a body that only just fits in a message is parked without it.
    if (messageBytes(record.body, { ...attributes, detail }) <= MAX_MESSAGE_BYTES) attributes.detail = detail;
    try {
      await this.options.client.send(
        new SendMessageCommand({
          QueueUrl: this.options.url,
          MessageBody: record.body,
          MessageAttributes: attributes,
          ...(this.options.fifo
            ? { MessageGroupId: record.attributes.MessageGroupId ?? 'poison', MessageDeduplicationId: record.messageId }
            : {}),
        }),
      );
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Unknown';
      throw new TransientError('sqs.unavailable', `SQS SendMessage to the DLQ failed: ${name}`, { cause: error });
    }
  }
}

/** SQS keeps a message hidden for at most 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Brings received messages back after a chosen delay by changing their visibility timeout
 * (a consumer may change its own queue's messages; the event source mapping grants it).
 */
export class SqsRedelivery implements Redelivery {
  constructor(
    private readonly options: {
      client: SQSClient;
      url: string;
      /** The queue's retry schedule for failures that say nothing; without it they wait out the visibility timeout. */
      backoff?: { visibilityTimeoutSeconds: number; firstRetrySeconds: number };
    },
  ) {}

  backoffSeconds(receiveCount: number): number | undefined {
    const backoff = this.options.backoff;
    return backoff && failureBackoffSeconds(receiveCount, backoff.visibilityTimeoutSeconds, backoff.firstRetrySeconds);
  }

  async retryAfter(records: readonly QueueRecord[], seconds: number): Promise<void> {
    const timeout = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(seconds)));
    for (let i = 0; i < records.length; i += MAX_BATCH) {
      const chunk = records.slice(i, i + MAX_BATCH);
      let failed: number;
      try {
        const result = await this.options.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.options.url,
            Entries: chunk.map((r, n) => ({
              Id: String(n),
              ReceiptHandle: r.receiptHandle,
              VisibilityTimeout: timeout,
            })),
          }),
        );
        failed = result.Failed?.length ?? 0;
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Unknown';
        throw new TransientError('sqs.unavailable', `SQS ChangeMessageVisibilityBatch failed: ${name}`, {
          cause: error,
        });
      }
      if (failed > 0) throw new TransientError('sqs.partial_failure', `SQS kept ${failed} visibility timeout(s)`);
    }
  }
}

/** A received message as the consumer reads it (what SQS must return for a record to be run at all). */
const ReceivedSchema = z.object({
  MessageId: z.string(),
  ReceiptHandle: z.string(),
  Body: z.string(),
  Attributes: z.optional(
    z.object({ ApproximateReceiveCount: z.optional(z.string()), MessageGroupId: z.optional(z.string()) }),
  ),
});

/**
 * A consumer's own receives from its queue (`toppingUp`): the messages as `QueueRecord`s, and
 * their deletion once settled. A message SQS returns without an id, a receipt or a body cannot be
 * run nor deleted: it is left to come back (and reach the DLQ after `maxReceiveCount`).
 */
export class SqsTopUpSource implements TopUpSource {
  constructor(private readonly options: { client: SQSClient; url: string }) {}

  async receive(max: number, waitSeconds: number): Promise<QueueRecord[]> {
    let messages: unknown[];
    try {
      const result = await this.options.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.url,
          MaxNumberOfMessages: Math.max(1, Math.min(MAX_BATCH, max)),
          WaitTimeSeconds: Math.max(0, Math.min(20, Math.round(waitSeconds))),
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
        }),
      );
      messages = result.Messages ?? [];
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Unknown';
      throw new TransientError('sqs.unavailable', `SQS ReceiveMessage failed: ${name}`, { cause: error });
    }
    return messages.flatMap((message) => {
      const parsed = ReceivedSchema.safeParse(message);
      if (!parsed.success) return [];
      const { MessageId, ReceiptHandle, Body, Attributes } = parsed.data;
      const group = Attributes?.MessageGroupId;
      return [
        {
          messageId: MessageId,
          receiptHandle: ReceiptHandle,
          body: Body,
          attributes: {
            ApproximateReceiveCount: Attributes?.ApproximateReceiveCount ?? '1',
            ...(group ? { MessageGroupId: group } : {}),
          },
        },
      ];
    });
  }

  async remove(records: readonly QueueRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += MAX_BATCH) {
      const chunk = records.slice(i, i + MAX_BATCH);
      let failed: number;
      try {
        const result = await this.options.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.options.url,
            Entries: chunk.map((r, n) => ({ Id: String(n), ReceiptHandle: r.receiptHandle })),
          }),
        );
        failed = result.Failed?.length ?? 0;
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Unknown';
        throw new TransientError('sqs.unavailable', `SQS DeleteMessageBatch failed: ${name}`, { cause: error });
      }
      if (failed > 0) throw new TransientError('sqs.partial_failure', `SQS kept ${failed} message(s) it was to delete`);
    }
  }
}

const DEPTH_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const;

/**
 * Queue depths from `GetQueueAttributes` (the only SQS action the inspecting function is granted):
 * two calls per queue, the queue's and its DLQ's, all at once. A DLQ's messages count whether
 * visible or not (nobody consumes a DLQ, but a console peek hides them for a while).
 */
export class SqsQueueDepths implements QueueDepths {
  constructor(private readonly options: { client: SQSClient; queues: InspectedQueues }) {}

  async read(): Promise<readonly QueueDepth[]> {
    return Promise.all(
      Object.entries(this.options.queues).map(async ([queue, { url, deadLetterUrl }]) => {
        const [live, dead] = await Promise.all([this.attributes(queue, url), this.attributes(queue, deadLetterUrl)]);
        return {
          queue,
          waiting: live.ApproximateNumberOfMessages + live.ApproximateNumberOfMessagesDelayed,
          inFlight: live.ApproximateNumberOfMessagesNotVisible,
          dead:
            dead.ApproximateNumberOfMessages +
            dead.ApproximateNumberOfMessagesNotVisible +
            dead.ApproximateNumberOfMessagesDelayed,
        };
      }),
    );
  }

  private async attributes(queue: string, url: string): Promise<Record<(typeof DEPTH_ATTRIBUTES)[number], number>> {
    let attributes: Partial<Record<string, string>>;
    try {
      const result = await this.options.client.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...DEPTH_ATTRIBUTES] }),
      );
      attributes = result.Attributes ?? {};
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Unknown';
      throw new TransientError('sqs.unavailable', `SQS GetQueueAttributes of ${queue} failed: ${name}`, {
        cause: error,
      });
    }
    const count = (name: (typeof DEPTH_ATTRIBUTES)[number]) => {
      const value = Number(attributes[name] ?? '0');
      return Number.isFinite(value) && value >= 0 ? value : 0;
    };
    return Object.fromEntries(DEPTH_ATTRIBUTES.map((name) => [name, count(name)])) as Record<
      (typeof DEPTH_ATTRIBUTES)[number],
      number
    >;
  }
}
