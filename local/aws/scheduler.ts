import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { watchPollEnvelope } from '../../core/desk/watches/jobs.js';

/** A running local schedule. */
export interface LocalSchedule {
  /** Fires once now (tests and `npm run dev` need not wait for the interval). */
  fire(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The local stand-in for the EventBridge rule of `stacks/Schedule.ts`: every `minutes` it puts
 * the same `watch.poll` envelope on the rpc queue, with a fresh event id and the event time.
 */
export function startWatchSchedule(options: { client: SQSClient; queueUrl: string; minutes: number }): LocalSchedule {
  return startSchedule({ ...options, envelope: watchPollEnvelope });
}

/** The same for any scheduled job: `envelope` builds its message from an event id and time (`deposit.poll`, say). */
export function startSchedule(options: {
  client: SQSClient;
  queueUrl: string;
  minutes: number;
  envelope: (eventId: string, time: string) => unknown;
}): LocalSchedule {
  const fire = async () => {
    const body = JSON.stringify(options.envelope(randomUUID(), new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')));
    await options.client.send(new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: body }));
  };
  const timer = setInterval(() => void fire().catch(() => undefined), options.minutes * 60_000);
  timer.unref();
  return {
    fire,
    async stop() {
      clearInterval(timer);
    },
  };
}
