import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Keys, projectKeyAlias } from '../../stacks/Keys.js';
import { onlyResource, propertyOf, synthesizeForTest } from '../helpers/synth.js';

let template: Template;

beforeAll(async () => {
  template = (await synthesizeForTest('test')).template(Keys);
});

describe('Keys stack', () => {
  it('creates one customer-managed symmetric key with yearly rotation on', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const key = onlyResource(template, 'AWS::KMS::Key').resource;
    // No KeySpec/KeyUsage means SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT, the only kind DynamoDB SSE accepts.
    expect(key.Properties?.KeySpec).toBeUndefined();
    expect(key.Properties?.KeyUsage).toBeUndefined();
  });

  it('names the key with an alias of the stage', () => {
    expect(projectKeyAlias('wallet-desk', 'test')).toBe('alias/wallet-desk-test');
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/wallet-desk-test' });
  });

  it('lets nobody but the account use the key through its key policy (IAM decides who)', () => {
    const key = onlyResource(template, 'AWS::KMS::Key').resource;
    const statements = propertyOf<{ Statement: { Principal: unknown }[] }>(key, 'KeyPolicy').Statement;
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0]?.Principal)).toContain(':root');
  });

  it('deletes the key with a non-production stage', () => {
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });
});
