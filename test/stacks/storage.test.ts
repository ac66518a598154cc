import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_KEYS } from '../../core/desk/settings.js';
import { Storage } from '../../stacks/Storage.js';
import { onlyResource, propertyOf, type SynthesizedTestApp, synthesizeForTest } from '../helpers/synth.js';

let app: SynthesizedTestApp;
let template: Template;

beforeAll(async () => {
  app = await synthesizeForTest('test');
  template = app.template(Storage);
});

describe('Storage stack', () => {
  it('creates one table keyed exactly as TABLE_KEYS says', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      ],
    });
  });

  it('bills on demand', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { BillingMode: 'PAY_PER_REQUEST' });
  });

  it('keeps point-in-time recovery on', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('expires items by the TTL attribute of TABLE_KEYS', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
    });
  });

  it('encrypts at rest with the project key of the Keys stack', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true, SSEType: 'KMS' } });
    const table = onlyResource(template, 'AWS::DynamoDB::Table').resource;
    const keyRef = propertyOf<{ KMSMasterKeyId: unknown }>(table, 'SSESpecification').KMSMasterKeyId;
    const key = app.resolve(`test-wallet-desk-Storage`, keyRef);
    expect(key.stackName).toBe('test-wallet-desk-Keys');
    expect(key.resource.Type).toBe('AWS::KMS::Key');
    expect(key.resource.Properties?.EnableKeyRotation).toBe(true);
  });

  it('deletes the table with a non-production stage', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });
});
