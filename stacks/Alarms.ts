import { ArnFormat, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { type Function as SstFunction, type Stack, type StackContext, use } from 'sst/constructs';
import { QUEUE_NAMES } from '../core/desk/settings.js';
import { Api } from './Api.js';
import { ALARM_SETTINGS, FUNCTIONS, type FunctionName, type FunctionWiring } from './manifest.js';
import { Queues } from './Queues.js';
import { Secrets } from './Secrets.js';
import { Storage } from './Storage.js';
import { wiredFunction } from './wiring.js';

/** Physical name of an alarm: `<stage>-<app>-<name>`, so the topic can admit this stage's alarms only. */
export const alarmName = (app: string, stage: string, name: string): string => `${stage}-${app}-${name}`;

/**
 * Operational alarms to the admin chat: CloudWatch alarms → an SNS topic → the alarm notifier
 * function (`FUNCTIONS.alarmNotifier`) → the admin group. Thresholds and periods come from
 * `ALARM_SETTINGS`. Every alarm notifies on ALARM and again on OK, so admins also hear the recovery;
 * missing data never breaches (idle queues and functions publish no metrics).
 *
 * - one alarm per DLQ: any visible message (a job failed `maxReceiveCount` times or was parked as poison);
 * - one alarm per consumer: `100 × Errors ÷ Invocations` over the period (invocations that threw;
 *   partial batch failures are retried messages and end up in the DLQ alarm instead);
 * - one alarm on the webhook function URL's `Url5xxCount` (the webhook answers 5xx only for
 *   transient infrastructure failures, or Lambda failed outright).
 *
 * The topic is not encrypted at rest, by choice: it carries alarm names, states and CloudWatch's
 * reason text, never user data or secrets. CloudWatch cannot publish to a topic under the AWS-managed
 * SNS key (its policy cannot grant `cloudwatch.amazonaws.com`), so encryption would take a dedicated
 * customer-managed key (a monthly cost per stage and another key policy), or widening the project key,
 * which protects user data, to CloudWatch — neither worth it for this content. The topic policy
 * lets CloudWatch publish only for this stage's alarms in this account (no confused deputy).
 */
export function Alarms({ app, stack }: StackContext) {
  const { table, key } = use(Storage);
  const { secrets } = use(Secrets);
  const { deadLetterQueues, consumers } = use(Queues);
  const { webhook } = use(Api);
  const named = (name: string) => alarmName(app.name, stack.stage, name);

  const topic = new sns.Topic(stack, 'AlarmTopic', { displayName: `${app.name} ${stack.stage} alarms` });
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsOfThisStage',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        ArnLike: { 'aws:SourceArn': alarmArnPattern(stack, named('*')) },
        StringEquals: { 'aws:SourceAccount': stack.account },
      },
    }),
  );

  const notifier = alarmNotifier(stack, { table, tableKey: key, secrets, queues: {}, deadLetterQueues: {}, keys: {} });
  topic.addSubscription(new subscriptions.LambdaSubscription(notifier));

  const alarms: cloudwatch.Alarm[] = [];
  const dlq = ALARM_SETTINGS.deadLetterQueue;
  for (const queue of QUEUE_NAMES) {
    alarms.push(
      deadLetterQueues[queue]
        .metricApproximateNumberOfMessagesVisible({
          period: Duration.seconds(dlq.periodSeconds),
          statistic: cloudwatch.Stats.MAXIMUM,
        })
        .createAlarm(stack, `${queue}DlqAlarm`, {
          alarmName: named(`${queue}-dlq-not-empty`),
          alarmDescription: `The ${queue} DLQ holds messages: jobs that failed for good. Inspect them, then redrive or purge.`,
          threshold: dlq.threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );
  }

  const rate = ALARM_SETTINGS.workerErrorRate;
  for (const [id, fn] of Object.entries(consumers) as [FunctionName, SstFunction][]) {
    const period = Duration.seconds(rate.periodSeconds);
    const wiring: FunctionWiring = FUNCTIONS[id];
    alarms.push(
      new cloudwatch.MathExpression({
        expression: '100 * errors / invocations',
        usingMetrics: {
          errors: fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
          invocations: fn.metricInvocations({ period, statistic: cloudwatch.Stats.SUM }),
        },
        period,
        label: `${id} error rate (%)`,
      }).createAlarm(stack, `${id}ErrorRateAlarm`, {
        alarmName: named(`${id}-error-rate`),
        alarmDescription: `More than ${rate.thresholdPercent}% of ${id} invocations failed (consuming the ${wiring.consumes} queue).`,
        threshold: rate.thresholdPercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  const errors = ALARM_SETTINGS.webhookServerErrors;
  alarms.push(
    new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'Url5xxCount',
      dimensionsMap: { FunctionName: webhook.functionName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.seconds(errors.periodSeconds),
    }).createAlarm(stack, 'WebhookServerErrorsAlarm', {
      alarmName: named('webhook-5xx'),
      alarmDescription: 'The webhook answers Telegram with 5xx: Telegram is redelivering updates.',
      threshold: errors.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );

  const action = new actions.SnsAction(topic);
  for (const alarm of alarms) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }

  stack.addOutputs({ AlarmTopicArn: topic.topicArn });
  return { topic, alarms, notifier };
}

/** The notifier, sized by `ALARM_SETTINGS.notifier`, with Lambda's asynchronous retries declared there too. */
function alarmNotifier(stack: Stack, resources: Parameters<typeof wiredFunction>[3]): SstFunction {
  const settings = ALARM_SETTINGS.notifier;
  const fn = wiredFunction(stack, 'alarmNotifier', FUNCTIONS.alarmNotifier, resources, {
    timeout: settings.timeoutSeconds,
    memorySize: settings.memoryMb,
  });
  fn.configureAsyncInvoke({
    retryAttempts: settings.retryAttempts,
    maxEventAge: Duration.seconds(settings.maxEventAgeSeconds),
  });
  return fn;
}

/** `arn:<partition>:cloudwatch:<region>:<account>:alarm:<pattern>`. */
function alarmArnPattern(stack: Stack, pattern: string): string {
  return stack.formatArn({
    service: 'cloudwatch',
    resource: 'alarm',
    resourceName: pattern,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
