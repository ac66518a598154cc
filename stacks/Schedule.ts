import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { type StackContext, use } from 'sst/constructs';
import { depositPollEnvelope } from '../core/desk/deposits/index.js';
import { stageSettings } from '../core/desk/settings.js';
import { watchPollEnvelope } from '../core/desk/watches/index.js';
import { Queues } from './Queues.js';

/** Physical name of the watch poll rule of a stage (the rpc queue's policy names the rule by it). */
export const watchPollRuleName = (stage: string): string => `${stage}-watch-poll`;

/** Physical name of the deposit poll rule of a stage. */
export const depositPollRuleName = (stage: string): string => `${stage}-deposit-poll`;

/** The `deposit.poll` job as the EventBridge input transformer writes it. */
export const DEPOSIT_POLL_MESSAGE = depositPollEnvelope(events.EventField.eventId, events.EventField.time);

/** The `watch.poll` job as the EventBridge input transformer writes it from a scheduled event. */
export const WATCH_POLL_MESSAGE = watchPollEnvelope(events.EventField.eventId, events.EventField.time);

/**
 * The schedule of the watch poller: every `solana.watchPollMinutes`, an EventBridge rule puts a
 * `watch.poll` job straight on the rpc queue (no Lambda in between), where the rpc worker runs it.
 *
 * A poll that cannot be delivered within one interval is dropped: the next one is on its way.
 */
export function Schedule({ stack }: StackContext) {
  const { queues } = use(Queues);
  const minutes = stageSettings(stack.stage).solana.watchPollMinutes;
  const ruleName = watchPollRuleName(stack.stage);
  const rule = new events.Rule(stack, 'WatchPoll', {
    ruleName,
    description: `Starts a watch.poll job on the rpc queue every ${minutes} minute(s)`,
    schedule: events.Schedule.rate(Duration.minutes(minutes)),
  });
  rule.addTarget(
    new QueueTarget(queues.rpc, ruleName, {
      message: events.RuleTargetInput.fromObject(WATCH_POLL_MESSAGE),
      maxEventAge: Duration.minutes(minutes),
    }),
  );
  // Deposits by reference: every `deposits.pollMinutes`, a `deposit.poll` (open claims, and the
  // treasury's new incoming transfers) on the same queue.
  const depositMinutes = stageSettings(stack.stage).deposits.pollMinutes;
  const depositRuleName = depositPollRuleName(stack.stage);
  const depositRule = new events.Rule(stack, 'DepositPoll', {
    ruleName: depositRuleName,
    description: `Starts a deposit.poll job on the rpc queue every ${depositMinutes} minute(s)`,
    schedule: events.Schedule.rate(Duration.minutes(depositMinutes)),
  });
  depositRule.addTarget(
    new QueueTarget(queues.rpc, depositRuleName, {
      message: events.RuleTargetInput.fromObject(DEPOSIT_POLL_MESSAGE),
      maxEventAge: Duration.minutes(depositMinutes),
    }),
  );
  return { rule, depositRule };
}

/**
 * An SQS target for a rule in another stack than its queue. CDK's `SqsQueue` target names the rule
 * in the queue's policy by a reference to its ARN, which makes the queue's stack depend on this one
 * while this one depends on the queue: a cycle. Here the policy statement (added in the queue's
 * stack) builds the rule's ARN from its fixed name instead, scoped exactly as CDK would scope it.
 * Fine for queues with SQS-managed encryption (a KMS key would also need a key policy).
 */
class QueueTarget implements events.IRuleTarget {
  constructor(
    private readonly queue: sqs.IQueue,
    private readonly ruleName: string,
    private readonly props: { message: events.RuleTargetInput; maxEventAge: Duration },
  ) {}

  bind(): events.RuleTargetConfig {
    const ruleArn = Stack.of(this.queue).formatArn({
      service: 'events',
      resource: 'rule',
      resourceName: this.ruleName,
    });
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      }),
    );
    return {
      arn: this.queue.queueArn,
      input: this.props.message,
      targetResource: this.queue,
      retryPolicy: { maximumEventAgeInSeconds: this.props.maxEventAge.toSeconds() },
    };
  }
}
