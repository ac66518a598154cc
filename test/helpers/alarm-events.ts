/**
 * Factories for what the alarm notifier receives: SNS events (one record per notification, as
 * SNS invokes Lambda) carrying CloudWatch alarm notifications in the shape CloudWatch publishes.
 */
import { randomUUID } from 'node:crypto';
import type { SNSEvent, SNSEventRecord } from 'aws-lambda';
import type { AlarmState } from '../../core/desk/admin/alarms.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../local/aws/common.js';

const TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:test-alarms`;

/** The parts of an alarm notification a test cares about. */
export interface AlarmSpec {
  name?: string;
  description?: string | null;
  state?: AlarmState;
  oldState?: AlarmState;
  reason?: string;
  /** CloudWatch's format: `2024-05-04T12:34:56.789+0000`. */
  time?: string;
}

/** A CloudWatch alarm notification, as the JSON object CloudWatch publishes to SNS. */
export function alarmNotification(spec: AlarmSpec = {}): Record<string, unknown> {
  const name = spec.name ?? 'test-wallet-desk-rpc-dlq-not-empty';
  const arn = `arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:alarm:${name}`;
  return {
    AlarmName: name,
    AlarmDescription: spec.description === undefined ? 'The rpc DLQ holds messages.' : spec.description,
    AWSAccountId: LOCAL_ACCOUNT_ID,
    AlarmConfigurationUpdatedTimestamp: '2024-05-01T08:00:00.000+0000',
    NewStateValue: spec.state ?? 'ALARM',
    NewStateReason:
      spec.reason ??
      'Threshold Crossed: 1 out of the last 1 datapoints [3.0 (04/05/24 12:33:00)] was greater than the threshold (0.0).',
    StateChangeTime: spec.time ?? '2024-05-04T12:34:56.789+0000',
    Region: 'US East (N. Virginia)',
    AlarmArn: arn,
    OldStateValue: spec.oldState ?? 'OK',
    OKActions: [TOPIC_ARN],
    AlarmActions: [TOPIC_ARN],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      StatisticType: 'Statistic',
      Statistic: 'MAXIMUM',
      Unit: null,
      Dimensions: [{ value: 'test-rpc-dlq', name: 'QueueName' }],
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0.0,
      TreatMissingData: 'notBreaching',
      EvaluateLowSampleCountPercentile: '',
    },
  };
}

/** An SNS record whose `Message` is `message` (objects are sent as JSON, strings as given). */
export function snsRecord(message: string | object, messageId: string = randomUUID()): SNSEventRecord {
  return {
    EventVersion: '1.0',
    EventSubscriptionArn: `${TOPIC_ARN}:${randomUUID()}`,
    EventSource: 'aws:sns',
    Sns: {
      SignatureVersion: '1',
      Timestamp: new Date().toISOString(),
      Signature: 'EXAMPLE',
      SigningCertUrl: 'https://sns.example/cert.pem',
      MessageId: messageId,
      Message: typeof message === 'string' ? message : JSON.stringify(message),
      MessageAttributes: {},
      Type: 'Notification',
      UnsubscribeUrl: 'https://sns.example/unsubscribe',
      TopicArn: TOPIC_ARN,
      Subject: 'ALARM: "test" in US East (N. Virginia)',
    },
  };
}

/** An SNS event with these records (SNS itself sends one per invocation). */
export function snsEvent(...records: SNSEventRecord[]): SNSEvent {
  return { Records: records };
}
