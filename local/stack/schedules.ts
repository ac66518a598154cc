/**
 * The stack's schedules, what EventBridge does on AWS (stacks/Schedule.ts): a `watch.poll` job on
 * the rpc queue every `watchPollMinutes`, and a `deposit.poll` every `deposits.pollMinutes`.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { depositPollEnvelope } from '../../core/desk/deposits/jobs.js';
import type { StageSettings } from '../../core/desk/settings.js';
import { localClientConfig } from '../aws/common.js';
import { startSchedule, startWatchSchedule } from '../aws/scheduler.js';

/** The running schedules of a stack. */
export interface StackSchedules {
  /** Puts a `watch.poll` job on the rpc queue now. */
  watchPoll(): Promise<void>;
  /** Puts a `deposit.poll` job on the rpc queue now. */
  depositPoll(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts both schedules, sending to `queueUrl` through `sqsEndpoint`. With `timers: false` (metered
 * runs) nothing fires unasked: `watchPoll()` and `depositPoll()` still send.
 */
export async function startStackSchedules(options: {
  sqsEndpoint: string;
  /** The rpc queue's URL. */
  queueUrl: string;
  settings: StageSettings;
  timers?: boolean;
}): Promise<StackSchedules> {
  const client = new SQSClient(localClientConfig(options.sqsEndpoint));
  const watch = startWatchSchedule({
    client,
    queueUrl: options.queueUrl,
    minutes: options.settings.solana.watchPollMinutes,
  });
  const deposit = startSchedule({
    client,
    queueUrl: options.queueUrl,
    minutes: options.settings.deposits.pollMinutes,
    envelope: depositPollEnvelope,
  });
  const stopTimers = () => Promise.all([watch.stop(), deposit.stop()]).then(() => undefined);
  if (options.timers === false) await stopTimers();
  return {
    watchPoll: () => watch.fire(),
    depositPoll: () => deposit.fire(),
    async stop() {
      await stopTimers();
      client.destroy();
    },
  };
}
