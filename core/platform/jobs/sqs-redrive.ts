import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { TransientError } from '../errors.js';

/** Attributes a consumer adds when it parks a message (core/platform/jobs/sqs.ts): dropped on the way back. */
const PARKING_ATTRIBUTES = new Set(['reason', 'detail']);
/** How long a message being moved stays hidden from anyone else. */
const MOVE_VISIBILITY_SECONDS = 60;

export interface RedriveOptions {
  client: SQSClient;
  /** The DLQ to empty. */
  from: string;
  /** The queue its messages go back to. */
  to: string;
  /** FIFO queues: messages keep their group; each gets a deduplication id of its own. */
  fifo: boolean;
  /** Moves at most this many (default: all). */
  max?: number;
  /** Counts what would move, by reason, and moves nothing. */
  dryRun?: boolean;
}

export interface RedriveResult {
  /** Messages sent back and deleted from the DLQ. */
  moved: number;
  /** Messages looked at (in a dry run: what would move). */
  seen: number;
  /** Messages that could not be sent back; they stay in the DLQ (visible again a minute later). */
  failed: number;
  /** Messages by the reason they were parked with (`reason` attribute), or `max-receives` when SQS moved them. */
  reasons: Record<string, number>;
}

/**
 * Moves a DLQ's messages back to their queue: receive, send, then delete only what was sent, ten at
 * a time, so a message is never lost (at worst, when a delete fails after a send, it is sent twice,
 * and consumers are idempotent on the job id). Bodies are sent unchanged, without the parking
 * reason; a FIFO message keeps its group (so a chat's order holds) and gets the deduplication id
 * `redrive-<DLQ message id>`: its original id may still be inside SQS's five-minute deduplication
 * window, which would drop the redriven copy silently. One code path on AWS and on the local stack.
 *
 * A dry run hides each message it counts for a minute, then makes them all visible again at once.
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult> {
  const { client, from, to, fifo } = options;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const result: RedriveResult = { moved: 0, seen: 0, failed: 0, reasons: {} };
  const held: Message[] = [];
  const seenIds = new Set<string>();
  try {
    while (result.seen < max) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: from,
          MaxNumberOfMessages: Math.min(10, max - result.seen),
          VisibilityTimeout: MOVE_VISIBILITY_SECONDS,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['MessageGroupId'],
          MessageAttributeNames: ['All'],
        }),
      );
      const fresh = Messages.filter((m) => m.MessageId && !seenIds.has(m.MessageId));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seenIds.add(message.MessageId!);
        const reason = message.MessageAttributes?.reason?.StringValue ?? 'max-receives';
        result.reasons[reason] = (result.reasons[reason] ?? 0) + 1;
      }
      result.seen += fresh.length;
      if (options.dryRun) held.push(...fresh);
      else await move(client, fresh, to, from, fifo, result);
    }
  } finally {
    if (held.length > 0) await release(client, from, held);
  }
  return result;
}

async function move(
  client: SQSClient,
  messages: readonly Message[],
  to: string,
  from: string,
  fifo: boolean,
  result: RedriveResult,
): Promise<void> {
  const sent = await client.send(
    new SendMessageBatchCommand({
      QueueUrl: to,
      Entries: messages.map((message, index) => ({
        Id: String(index),
        MessageBody: message.Body ?? '',
        MessageAttributes: keptAttributes(message.MessageAttributes),
        ...(fifo
          ? {
              MessageGroupId: message.Attributes?.MessageGroupId ?? 'redrive',
              MessageDeduplicationId: `redrive-${message.MessageId}`,
            }
          : {}),
      })),
    }),
  );
  const ok = (sent.Successful ?? []).map((entry) => messages[Number(entry.Id)]!);
  result.failed += messages.length - ok.length;
  if (ok.length === 0) return;
  const deleted = await client.send(
    new DeleteMessageBatchCommand({
      QueueUrl: from,
      Entries: ok.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
    }),
  );
  if ((deleted.Failed ?? []).length > 0) {
    throw new TransientError(
      'sqs.redrive_delete_failed',
      `${deleted.Failed!.length} redriven message(s) are still in the DLQ`,
    );
  }
  result.moved += ok.length;
}

function keptAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> | undefined {
  const kept = Object.entries(attributes ?? {}).filter(([name]) => !PARKING_ATTRIBUTES.has(name));
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

async function release(client: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.slice(i, i + 10).map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}
