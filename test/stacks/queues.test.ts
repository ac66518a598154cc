import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES, type QueueName, stageSettings } from '../../core/desk/settings.js';
import { assertWiring, consumedQueues, FUNCTIONS, queueResourceNames } from '../../stacks/manifest.js';
import { Queues } from '../../stacks/Queues.js';
import { type CfnResource, type SynthesizedTestApp, synthesizeForTest } from '../helpers/synth.js';

const STAGE = 'test';
const settings = stageSettings(STAGE).queues;

let app: SynthesizedTestApp;
let template: Template;

beforeAll(async () => {
  app = await synthesizeForTest(STAGE);
  template = app.template(Queues);
});

function queueNamed(queueName: string): { logicalId: string; resource: CfnResource } {
  const found = Object.entries(template.findResources('AWS::SQS::Queue', { Properties: { QueueName: queueName } }));
  expect(found, `queue ${queueName}`).toHaveLength(1);
  const [logicalId, resource] = found[0]!;
  return { logicalId, resource: resource as CfnResource };
}

function consumerOf(queue: QueueName): string {
  const entry = Object.entries(FUNCTIONS).find(([, wiring]) => consumedQueues(wiring).includes(queue));
  if (!entry) throw new Error(`No consumer of ${queue} in FUNCTIONS`);
  return entry[0];
}

describe('Queues stack', () => {
  describe.each(QUEUE_NAMES)('the %s queue', (name) => {
    const consumer = settings[name];
    const names = queueResourceNames(STAGE, name, consumer);

    it('is a FIFO queue, with a FIFO DLQ and no content-based dedup, exactly when the settings say fifo', () => {
      const fifo = consumer.fifo
        ? { FifoQueue: true, ContentBasedDeduplication: false }
        : { FifoQueue: Match.absent(), ContentBasedDeduplication: Match.absent() };
      template.hasResourceProperties('AWS::SQS::Queue', { QueueName: names.queue, ...fifo });
      template.hasResourceProperties('AWS::SQS::Queue', { QueueName: names.dlq, ...fifo });
    });

    it('moves a message to its own DLQ once it was received maxReceiveCount times', () => {
      const dlq = queueNamed(names.dlq);
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: names.queue,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [dlq.logicalId, 'Arn'] },
          maxReceiveCount: consumer.maxReceiveCount,
        },
      });
    });

    it('keeps messages for the declared retention, and dead letters for the DLQ retention', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: names.queue,
        MessageRetentionPeriod: consumer.retentionSeconds,
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: names.dlq,
        MessageRetentionPeriod: consumer.dlqRetentionSeconds,
      });
    });

    it('hides a received message for at least 6 × the timeout of the function consuming it', () => {
      const queue = queueNamed(names.queue);
      const fn = app.fn(consumerOf(name));
      const visibility = queue.resource.Properties?.VisibilityTimeout;
      const timeout = fn.resource.Properties?.Timeout;
      expect(visibility).toBe(consumer.visibilityTimeoutSeconds);
      expect(timeout).toBe(consumer.timeoutSeconds);
      expect(visibility).toBeGreaterThanOrEqual(6 * Number(timeout));
    });

    it('is consumed by its worker with the declared batch size, window, max concurrency and partial batch responses', () => {
      const queue = queueNamed(names.queue);
      const fn = app.fn(consumerOf(name));
      template.resourcePropertiesCountIs(
        'AWS::Lambda::EventSourceMapping',
        { EventSourceArn: { 'Fn::GetAtt': [queue.logicalId, 'Arn'] } },
        1,
      );
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [queue.logicalId, 'Arn'] },
        FunctionName: { Ref: fn.logicalId },
        BatchSize: consumer.batchSize,
        MaximumBatchingWindowInSeconds:
          consumer.maxBatchingWindowSeconds > 0 ? consumer.maxBatchingWindowSeconds : Match.absent(),
        ScalingConfig: { MaximumConcurrency: consumer.maxConcurrency },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('gives its consumer the declared timeout and memory', () => {
      expect(app.fn(consumerOf(name)).resource.Properties).toMatchObject({
        Timeout: consumer.timeoutSeconds,
        MemorySize: consumer.memoryMb,
      });
    });
  });

  it('declares exactly one queue and one DLQ per queue name', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2 * QUEUE_NAMES.length);
  });
});

describe('workers that wait on the network', () => {
  it('run small, as they are billed by the GB-second while they wait (rpc 256 MB, ai 128 MB)', () => {
    for (const stage of ['dev', 'prod']) {
      expect(stageSettings(stage).queues.rpc.memoryMb).toBeLessThanOrEqual(256);
      expect(stageSettings(stage).queues.ai.memoryMb).toBe(128);
    }
  });
});

describe('the manifest against the stage settings', () => {
  it('accepts every stage, and refuses a function whose queues are sized apart', () => {
    for (const stage of ['dev', 'test', 'prod']) expect(() => assertWiring(stageSettings(stage))).not.toThrow();
    const settings = stageSettings('test');
    const apart = {
      ...settings,
      queues: { ...settings.queues, decisions: { ...settings.queues.decisions, memoryMb: 1024 } },
    };
    expect(() => assertWiring(apart)).toThrow(
      /signer: the queues it consumes need the same timeoutSeconds and memoryMb/,
    );
  });
});
