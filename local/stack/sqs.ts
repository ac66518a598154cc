/** The stack's SQS: every queue of the stage and its DLQ, as the settings declare them. */
import { QUEUE_NAMES, type QueueName, type StageSettings } from '../../core/desk/settings.js';
import { type LocalSqs, startLocalSqs } from '../aws/sqs.js';

/** Starts SQS with the stage's queues. */
export function startStackSqs(options: { stage: string; settings: StageSettings }): Promise<LocalSqs> {
  return startLocalSqs(options.stage, options.settings);
}

/** One URL of each queue of `sqs` (`url` or `dlqUrl`), by queue name. */
export function queueUrlsOf(sqs: Pick<LocalSqs, 'queues'>, which: 'url' | 'dlqUrl'): Record<QueueName, string> {
  return Object.fromEntries(QUEUE_NAMES.map((name) => [name, sqs.queues[name][which]])) as Record<QueueName, string>;
}
