import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES, stageSettings } from '../../core/desk/settings.js';
import { Alarms, alarmName } from '../../stacks/Alarms.js';
import { ALARM_SETTINGS, FUNCTIONS, type FunctionWiring, queueResourceNames } from '../../stacks/manifest.js';
import {
  actionsOf,
  type CfnResource,
  onlyResource,
  propertyOf,
  resourcesOf,
  type Statement,
  type SynthesizedTestApp,
  synthesizeForTest,
} from '../helpers/synth.js';

const STAGE = 'test';
const APP = 'wallet-desk';
const STACK = `${STAGE}-${APP}-Alarms`;
const queues = stageSettings(STAGE).queues;
const CONSUMERS = Object.entries(FUNCTIONS as Record<string, FunctionWiring>)
  .filter(([, wiring]) => wiring.consumes !== undefined)
  .map(([id]) => id);

let app: SynthesizedTestApp;
let template: Template;
let topicId: string;

beforeAll(async () => {
  app = await synthesizeForTest(STAGE);
  template = app.template(Alarms);
  topicId = onlyResource(template, 'AWS::SNS::Topic').logicalId;
});

type Dimension = { Name: string; Value: unknown };
type MetricQuery = {
  Id: string;
  Expression?: string;
  ReturnData?: boolean;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions: Dimension[] };
    Period: number;
    Stat: string;
  };
};

function alarms(): CfnResource[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')) as CfnResource[];
}

/** The alarms on metric `namespace`/`metricName` (plain metric alarms). */
function metricAlarms(namespace: string, metricName: string): CfnResource[] {
  return alarms().filter((a) => a.Properties?.Namespace === namespace && a.Properties?.MetricName === metricName);
}

/** The resource a dimension value of an alarm points to (across stacks). */
function dimensionTarget(dimensions: Dimension[], name: string) {
  const dimension = dimensions.find((d) => d.Name === name);
  if (!dimension) throw new Error(`No ${name} dimension`);
  return app.resolve(STACK, dimension.Value);
}

/** The error-rate alarm whose metrics are those of function `id`. */
function errorRateAlarm(id: string): { alarm: CfnResource; queries: MetricQuery[] } {
  const { stackName, logicalId } = app.fn(id);
  const found = alarms().filter((a) => {
    const queries = (a.Properties?.Metrics ?? []) as MetricQuery[];
    return queries.some((q) => {
      if (!q.MetricStat) return false;
      const target = dimensionTarget(q.MetricStat.Metric.Dimensions, 'FunctionName');
      return target.stackName === stackName && target.logicalId === logicalId;
    });
  });
  expect(found, `error-rate alarms of ${id}`).toHaveLength(1);
  return { alarm: found[0]!, queries: found[0]!.Properties?.Metrics as MetricQuery[] };
}

describe('Alarms stack', () => {
  it('has one alarm per DLQ, one per consumer and one for webhook 5xx, and nothing else', () => {
    expect(CONSUMERS.length).toBeGreaterThan(0);
    expect(alarms()).toHaveLength(QUEUE_NAMES.length + CONSUMERS.length + 1);
  });

  it.each(QUEUE_NAMES)('alarms as soon as the %s DLQ holds a visible message', (queue) => {
    const dlqName = queueResourceNames(STAGE, queue, queues[queue]).dlq;
    const found = metricAlarms('AWS/SQS', 'ApproximateNumberOfMessagesVisible').filter((a) => {
      const target = dimensionTarget(propertyOf<Dimension[]>(a, 'Dimensions'), 'QueueName');
      return target.resource.Type === 'AWS::SQS::Queue' && target.resource.Properties?.QueueName === dlqName;
    });
    expect(found).toHaveLength(1);
    expect(found[0]!.Properties).toMatchObject({
      AlarmName: alarmName(APP, STAGE, `${queue}-dlq-not-empty`),
      Statistic: 'Maximum',
      Period: ALARM_SETTINGS.deadLetterQueue.periodSeconds,
      Threshold: ALARM_SETTINGS.deadLetterQueue.threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(ALARM_SETTINGS.deadLetterQueue).toEqual({ periodSeconds: 60, threshold: 0 });
  });

  it.each(CONSUMERS)('alarms when the error rate of %s goes above the threshold', (id) => {
    const { alarm, queries } = errorRateAlarm(id);
    const rate = ALARM_SETTINGS.workerErrorRate;
    expect(alarm.Properties).toMatchObject({
      Threshold: rate.thresholdPercent,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const output = queries.filter((q) => q.ReturnData !== false);
    expect(output).toHaveLength(1);
    const byMetric = Object.fromEntries(
      queries.filter((q) => q.MetricStat).map((q) => [q.MetricStat!.Metric.MetricName, q]),
    );
    expect(output[0]!.Expression).toBe(`100 * ${byMetric.Errors!.Id} / ${byMetric.Invocations!.Id}`);
    for (const name of ['Errors', 'Invocations']) {
      expect(byMetric[name]!.MetricStat).toMatchObject({
        Metric: { Namespace: 'AWS/Lambda', MetricName: name },
        Period: rate.periodSeconds,
        Stat: 'Sum',
      });
    }
  });

  it("alarms when the webhook's function URL answers 5xx at least the threshold number of times", () => {
    const found = metricAlarms('AWS/Lambda', 'Url5xxCount');
    expect(found).toHaveLength(1);
    const errors = ALARM_SETTINGS.webhookServerErrors;
    expect(found[0]!.Properties).toMatchObject({
      Statistic: 'Sum',
      Period: errors.periodSeconds,
      Threshold: errors.threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const target = dimensionTarget(propertyOf<Dimension[]>(found[0]!, 'Dimensions'), 'FunctionName');
    const webhook = app.fn('webhook');
    expect(target).toMatchObject({ stackName: webhook.stackName, logicalId: webhook.logicalId });
  });

  it('notifies the topic when an alarm fires and when it recovers, and on nothing else', () => {
    for (const alarm of alarms()) {
      expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties?.OKActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties?.InsufficientDataActions).toBeUndefined();
      expect(alarm.Properties?.ActionsEnabled).not.toBe(false);
    }
  });

  it('names every alarm with the stage prefix the topic policy admits', () => {
    const prefix = alarmName(APP, STAGE, '');
    for (const alarm of alarms()) expect(String(alarm.Properties?.AlarmName)).toMatch(new RegExp(`^${prefix}\\S+$`));
    const statements = propertyOf<{ Statement: (Statement & { Principal?: unknown })[] }>(
      onlyResource(template, 'AWS::SNS::TopicPolicy').resource,
      'PolicyDocument',
    ).Statement;
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: topicId },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
    const arn = statement!.Condition?.ArnLike?.['aws:SourceArn'] as { 'Fn::Join': [string, unknown[]] };
    const parts = arn['Fn::Join'][1];
    expect(parts.at(-1)).toBe(`:alarm:${prefix}*`);
    expect(parts).toContain(`:cloudwatch:${app.region}:`);
  });

  it('leaves the topic unencrypted (alarm metadata only; CloudWatch cannot use the AWS-managed SNS key)', () => {
    expect(onlyResource(template, 'AWS::SNS::Topic').resource.Properties?.KmsMasterKeyId).toBeUndefined();
  });

  describe('alarm notifier', () => {
    it('is the only subscriber of the topic', () => {
      const notifier = app.fn('alarmNotifier');
      expect(notifier.stackName).toBe(STACK);
      const subscription = onlyResource(template, 'AWS::SNS::Subscription').resource;
      expect(subscription.Properties).toMatchObject({
        Protocol: 'lambda',
        TopicArn: { Ref: topicId },
        Endpoint: { 'Fn::GetAtt': [notifier.logicalId, 'Arn'] },
      });
    });

    it('may be invoked by SNS from this topic only', () => {
      const notifier = app.fn('alarmNotifier');
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission')) as CfnResource[];
      const onNotifier = permissions.filter(
        (p) =>
          JSON.stringify(p.Properties?.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [notifier.logicalId, 'Arn'] }),
      );
      expect(onNotifier.map((p) => p.Properties)).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [notifier.logicalId, 'Arn'] },
          Principal: 'sns.amazonaws.com',
          SourceArn: { Ref: topicId },
        },
      ]);
    });

    it('runs the alarm-notifier handler, sized by ALARM_SETTINGS.notifier, with its async retries declared', () => {
      const notifier = app.fn('alarmNotifier');
      const settings = ALARM_SETTINGS.notifier;
      expect(notifier.props.handler).toBe('functions/alarm-notifier.handler');
      expect(notifier.resource.Properties).toMatchObject({
        Timeout: settings.timeoutSeconds,
        MemorySize: settings.memoryMb,
        Architectures: ['arm64'],
      });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: notifier.logicalId },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: settings.retryAttempts,
        MaximumEventAgeInSeconds: settings.maxEventAgeSeconds,
      });
    });

    it('may read its two secrets and write traces, and touch no table, queue or key', () => {
      const statements = app.roleStatements('alarmNotifier');
      const actions = statements.flatMap(actionsOf);
      expect(actions.filter((a) => /^(dynamodb|sqs|kms|sns):/.test(a))).toEqual([]);
      expect(actions.every((a) => a.startsWith('ssm:') || a.startsWith('xray:'))).toBe(true);
      const parameters = statements
        .filter((s) => actionsOf(s).some((a) => a.startsWith('ssm:')))
        .flatMap((s) => resourcesOf(s).map((r) => JSON.stringify(r)));
      const names = [...new Set(parameters.map((arn) => /\/Secret\/(\w+)\/value/.exec(arn)?.[1]))].sort();
      expect(names).toEqual(['ADMIN_CHAT_ID', 'TELEGRAM_BOT_TOKEN']);
    });
  });
});
