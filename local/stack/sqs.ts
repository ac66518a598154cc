/** The stack's SQS: every queue of the stage and its DLQ, as the settings declare them. */
import { QUEUE_NAMES, type QueueName, type StageSettings } from '../../core/desk/settings.js';
import { type LocalSqs, startLocalSqs } from '../aws/sqs.js';

/**
 * Starts SQS with the stage's queues; `maxReceiveCounts` replaces the receives before the DLQ of
 * the queues it names (only the redrive policy reads them: the functions never do).
 */
export function startStackSqs(options: {
  stage: string;
  settings: StageSettings;
  maxReceiveCounts?: Partial<Record<QueueName, number>> | undefined;
}): Promise<LocalSqs> {
  const { settings, maxReceiveCounts = {} } = options;
  const queues = Object.fromEntries(
    QUEUE_NAMES.map((name) => {
      const maxReceiveCount = maxReceiveCounts[name];
      return [name, { ...settings.queues[name], ...(maxReceiveCount !== undefined && { maxReceiveCount }) }];
    }),
  ) as unknown as StageSettings['queues'];
  return startLocalSqs(options.stage, { ...settings, queues });
}

/** One URL of each queue of `sqs` (`url` or `dlqUrl`), by queue name. */
export function queueUrlsOf(sqs: Pick<LocalSqs, 'queues'>, which: 'url' | 'dlqUrl'): Record<QueueName, string> {
  return Object.fromEntries(QUEUE_NAMES.map((name) => [name, sqs.queues[name][which]])) as Record<QueueName, string>;
}
