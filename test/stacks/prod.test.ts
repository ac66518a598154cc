import { beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES, stageSettings } from '../../core/desk/settings.js';
import { Api } from '../../stacks/Api.js';
import { Keys } from '../../stacks/Keys.js';
import { consumedQueues, FUNCTIONS, queueResourceNames } from '../../stacks/manifest.js';
import { Queues } from '../../stacks/Queues.js';
import { Storage } from '../../stacks/Storage.js';
import { onlyResource, propertyOf, type SynthesizedTestApp, synthesizeForTest } from '../helpers/synth.js';

const prod = stageSettings('prod');
const base = stageSettings('test');

let app: SynthesizedTestApp;

beforeAll(async () => {
  app = await synthesizeForTest('prod');
});

describe('prod stage', () => {
  it('raises caps over the other stages (so the checks below can tell them apart)', () => {
    expect(prod.queues.rpc.maxConcurrency).not.toBe(base.queues.rpc.maxConcurrency);
    expect(prod.queues.notify.maxConcurrency).not.toBe(base.queues.notify.maxConcurrency);
    expect(prod.webhook.maxConnections).not.toBe(base.webhook.maxConnections);
  });

  it.each(QUEUE_NAMES)('consumes the %s queue with the maximum concurrency of the prod settings', (name) => {
    const consumerId = Object.entries(FUNCTIONS).find(([, w]) => consumedQueues(w).includes(name))?.[0];
    const fn = app.fn(String(consumerId));
    const template = app.template(Queues);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fn.logicalId },
      ScalingConfig: { MaximumConcurrency: prod.queues[name].maxConcurrency },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: queueResourceNames('prod', name, prod.queues[name]).queue,
    });
  });

  it('registers the webhook with the max connections of the prod settings', () => {
    const script = onlyResource(app.template(Api), 'Custom::SSTScript').resource;
    const parts = propertyOf<{ 'Fn::Join': [string, unknown[]] }>(script, 'UserParams')['Fn::Join'][1];
    const text = parts.filter((part): part is string => typeof part === 'string').join('');
    expect(text).toContain(`"maxConnections":${prod.webhook.maxConnections}`);
  });

  it('retains and protects the table, and retains the key, when the stack is removed', () => {
    const table = app.template(Storage);
    table.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    table.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    const keys = app.template(Keys);
    keys.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    keys.hasResourceProperties('AWS::KMS::Key', { PendingWindowInDays: 30 });
    keys.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/wallet-desk-prod' });
  });
});
