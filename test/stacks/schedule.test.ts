import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DepositPollJob } from '../../core/desk/deposits/jobs.js';
import { stageSettings } from '../../core/desk/settings.js';
import { WatchPollJob } from '../../core/desk/watches/jobs.js';
import { createConsumer, handle } from '../../core/platform/jobs/consumer.js';
import { JobEnvelopeSchema, type JobType } from '../../core/platform/jobs/envelope.js';
import { queueResourceNames } from '../../stacks/manifest.js';
import { Queues } from '../../stacks/Queues.js';
import { depositPollRuleName, Schedule, watchPollRuleName } from '../../stacks/Schedule.js';
import { MemoryJobQueue, memoryLogger } from '../helpers/fakes.js';

const TICK_TENANTS = ['1001', '1002'];

/**
 * A scheduled tick through the rpc worker's consumer: fanned out to one copy per tenant on the rpc
 * queue, each copy then run as that tenant's job. What ran, by tenant and job id.
 */
async function runTick(job: JobType<unknown>, body: string): Promise<{ tenant: string; id: string }[]> {
  const ran: { tenant: string; id: string }[] = [];
  const queue = new MemoryJobQueue();
  const fanOut = { tenants: async () => TICK_TENANTS, queue, queueName: 'rpc' };
  const consume = createConsumer(
    [handle(job, async (j) => void ran.push({ tenant: j.tenant, id: j.id }))],
    memoryLogger(),
    undefined,
    undefined,
    { fanOut },
  );
  const record = (messageId: string, text: string) => ({
    messageId,
    receiptHandle: 'r',
    body: text,
    attributes: { ApproximateReceiveCount: '1' },
  });
  expect((await consume([record('tick', body)])).batchItemFailures).toEqual([]);
  expect(queue.sent.map((sent) => sent.queue)).toEqual(TICK_TENANTS.map(() => 'rpc'));
  const copies = queue.sent.map((sent, index) => record(`copy${index}`, JSON.stringify(sent.envelope)));
  expect((await consume(copies)).batchItemFailures).toEqual([]);
  return ran;
}

import {
  type CfnResource,
  propertyOf,
  type Statement,
  type SynthesizedTestApp,
  synthesizeForTest,
} from '../helpers/synth.js';

const STAGE = 'test';
const settings = stageSettings(STAGE);
const ACCOUNT = '123456789012';

let app: SynthesizedTestApp;
let template: Template;
let rule: CfnResource;
let depositRule: CfnResource;

beforeAll(async () => {
  app = await synthesizeForTest(STAGE);
  template = app.template(Schedule);
  const rules = Object.values(template.findResources('AWS::Events::Rule')) as CfnResource[];
  expect(rules).toHaveLength(2);
  rule = rules.find((r) => r.Properties?.Name === watchPollRuleName(STAGE))!;
  depositRule = rules.find((r) => r.Properties?.Name === depositPollRuleName(STAGE))!;
});

interface RuleTarget {
  Arn: unknown;
  InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string };
  RetryPolicy?: { MaximumEventAgeInSeconds?: number };
}
const onlyTarget = (of: CfnResource = rule): RuleTarget => {
  const targets = propertyOf<RuleTarget[]>(of, 'Targets');
  expect(targets).toHaveLength(1);
  return targets[0]!;
};

/** A scheduled event as EventBridge delivers it to targets. */
const SCHEDULED_EVENT = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: '2026-03-08T16:53:00Z',
  region: 'eu-central-1',
  resources: [`arn:aws:events:eu-central-1:${ACCOUNT}:rule/${watchPollRuleName(STAGE)}`],
  detail: {},
};

/**
 * EventBridge's input transformer: each `<name>` becomes the value at its path, as JSON where the
 * placeholder stands alone and as raw text inside a JSON string.
 */
function transform(target: RuleTarget, event: unknown): string {
  const valueAt = (path: string): unknown =>
    path
      .replace(/^\$\./, '')
      .split('.')
      .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], event);
  let out = '';
  let inString = false;
  const text = target.InputTransformer.InputTemplate;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const placeholder = /^<([A-Za-z0-9_.-]+)>/.exec(text.slice(i));
    const path = placeholder ? target.InputTransformer.InputPathsMap[placeholder[1]!] : undefined;
    if (placeholder && path !== undefined) {
      const value = valueAt(path);
      out += inString ? String(value) : JSON.stringify(value);
      i += placeholder[0].length - 1;
      continue;
    }
    if (char === '"' && text[i - 1] !== '\\') inString = !inString;
    out += char;
  }
  return out;
}

/** Evaluates an `Fn::Join` of strings and pseudo-parameter `Ref`s. */
function evaluate(value: unknown): string {
  if (typeof value === 'string') return value;
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::AccountId': ACCOUNT,
    'AWS::Region': app.region,
  };
  const ref = (value as { Ref?: string }).Ref;
  if (ref !== undefined && ref in pseudo) return pseudo[ref]!;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(evaluate).join(join[0]);
  throw new Error(`Cannot evaluate ${JSON.stringify(value)}`);
}

/** Statements of the queue policies in the Queues stack that let EventBridge in, by queue logical id. */
function eventBridgeStatements(): { queue: string; statement: Statement }[] {
  const policies = Object.values(app.template(Queues).findResources('AWS::SQS::QueuePolicy')) as CfnResource[];
  return policies.flatMap((policy) => {
    const queue = (propertyOf<{ Ref: string }[]>(policy, 'Queues')[0] as { Ref: string }).Ref;
    const document = propertyOf<{ Statement: Statement[] }>(policy, 'PolicyDocument');
    return document.Statement.filter(
      (s) => (s as Statement & { Principal?: { Service?: string } }).Principal?.Service === 'events.amazonaws.com',
    ).map((statement) => ({ queue, statement }));
  });
}

describe('Schedule stack', () => {
  it('fires every solana.watchPollMinutes', () => {
    const minutes = settings.solana.watchPollMinutes;
    expect(rule.Properties).toMatchObject({
      Name: watchPollRuleName(STAGE),
      State: 'ENABLED',
      ScheduleExpression: `rate(${minutes} minute${minutes === 1 ? '' : 's'})`,
    });
  });

  it('targets the rpc queue directly, dropping a poll not delivered within one interval', () => {
    const target = onlyTarget();
    const queue = app.resolve(`${STAGE}-wallet-desk-Schedule`, target.Arn);
    expect(queue.stackName).toBe(`${STAGE}-wallet-desk-Queues`);
    expect(queue.resource.Properties?.QueueName).toBe(queueResourceNames(STAGE, 'rpc', settings.queues.rpc).queue);
    expect(target.RetryPolicy?.MaximumEventAgeInSeconds).toBe(settings.solana.watchPollMinutes * 60);
    template.resourceCountIs('AWS::Lambda::Permission', 0);
  });

  it('turns a scheduled event into a valid watch.poll job envelope', async () => {
    const target = onlyTarget();
    expect(target.InputTransformer.InputPathsMap).toEqual({ id: '$.id', time: '$.time' });
    const envelope = JobEnvelopeSchema.parse(JSON.parse(transform(target, SCHEDULED_EVENT)));
    expect(envelope).toEqual({
      type: 'watch.poll',
      id: SCHEDULED_EVENT.id,
      chatId: null,
      userId: null,
      payload: {},
      attempt: 0,
      createdAt: SCHEDULED_EVENT.time,
      traceId: SCHEDULED_EVENT.id,
    });
    // And the rpc worker's consumer runs it (not poison) once for every active tenant.
    expect(await runTick(WatchPollJob, transform(target, SCHEDULED_EVENT))).toEqual(
      TICK_TENANTS.map((tenant) => ({ tenant, id: `${SCHEDULED_EVENT.id}.t${tenant}` })),
    );
  });

  it('polls deposits every deposits.pollMinutes with a valid deposit.poll envelope on the rpc queue', async () => {
    const minutes = settings.deposits.pollMinutes;
    expect(depositRule.Properties).toMatchObject({
      Name: depositPollRuleName(STAGE),
      ScheduleExpression: `rate(${minutes} minute${minutes === 1 ? '' : 's'})`,
    });
    const target = onlyTarget(depositRule);
    expect(app.resolve(`${STAGE}-wallet-desk-Schedule`, target.Arn).resource.Properties?.QueueName).toBe(
      queueResourceNames(STAGE, 'rpc', settings.queues.rpc).queue,
    );
    const body = transform(target, SCHEDULED_EVENT);
    expect(JobEnvelopeSchema.parse(JSON.parse(body)).type).toBe('deposit.poll');
    expect(await runTick(DepositPollJob, body)).toEqual(
      TICK_TENANTS.map((tenant) => ({ tenant, id: `${SCHEDULED_EVENT.id}.t${tenant}` })),
    );
  });

  it('lets EventBridge send to the rpc queue only, and only from these rules', () => {
    const rpc = app.resolve(`${STAGE}-wallet-desk-Schedule`, onlyTarget().Arn);
    const grants = eventBridgeStatements();
    expect(grants.map((g) => g.queue)).toEqual([rpc.logicalId, rpc.logicalId]);
    const sources = grants.map(({ statement }) => {
      expect(statement).toMatchObject({
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [rpc.logicalId, 'Arn'] },
      });
      return evaluate(statement.Condition?.ArnEquals?.['aws:SourceArn']);
    });
    expect(sources.sort()).toEqual(
      [rule, depositRule].map((r) => `arn:aws:events:${app.region}:${ACCOUNT}:rule/${r.Properties?.Name}`).sort(),
    );
  });
});
