import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { QueueName } from '../../core/desk/settings.js';
import {
  type LocalStack,
  type LogLine,
  localClientConfig,
  type PeerUser,
  type TelegramPeer,
} from '../../local/index.js';

/** Presses a button as `user` and waits for the bot to answer the press; returns the answer's text. */
export async function pressAndWait(
  peer: TelegramPeer,
  user: PeerUser,
  messageId: number,
  data: string,
): Promise<string | undefined> {
  const update = await user.pressButton(messageId, data);
  const id = update.callback_query!.id;
  const query = await peer.waitFor(() => {
    const state = peer.callbackQuery(id);
    return state?.answered ? state : undefined;
  }, 20_000);
  return query.answer?.text;
}

/**
 * The functions' JSON log lines that are warnings or errors: a flow where nothing failed has none
 * (an admin event waiting for its digest window is a deferral, logged at debug). Also how many
 * lines there were, so a test can tell "no problem" from "no log at all".
 */
export function unexpectedProblems(logs: readonly LogLine[]): { lines: number; problems: unknown[] } {
  const lines = logs.flatMap((entry) => {
    try {
      return [JSON.parse(entry.line) as { level?: string }];
    } catch {
      return [];
    }
  });
  return { lines: lines.length, problems: lines.filter((l) => l.level === 'warn' || l.level === 'error') };
}

/**
 * Waits until everything the bot was asked to say has been said: every update delivered (and the
 * calls in webhook responses made), every queue of `upstream` (the workers whose jobs end in
 * messages, e.g. `['ai']`) empty, then the notify queue empty: nothing waiting, delayed or in
 * flight. A job leaves its queue only once what it sends on is queued, so the queues are read in
 * that order. Polls; throws after `timeoutMs`.
 */
export async function allSent(
  stack: LocalStack,
  timeoutMs = 60_000,
  upstream: readonly Exclude<QueueName, 'notify'>[] = [],
): Promise<void> {
  const sqs = new SQSClient(localClientConfig(stack.sqs.endpoint));
  const deadline = Date.now() + timeoutMs;
  const depth = async (queue: QueueName) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: stack.sqs.queueUrls[queue],
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible) +
      Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  };
  try {
    for (;;) {
      await stack.telegram.idle(Math.max(1, deadline - Date.now()));
      let left = 0;
      for (const queue of [...upstream, 'notify'] as const) left += await depth(queue);
      if (left === 0) return;
      if (Date.now() > deadline) throw new Error(`${left} job(s) still queued after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    sqs.destroy();
  }
}
