import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Keys, projectKeyAlias } from '../../stacks/Keys.js';
import { type CfnResource, propertyOf, synthesizeForTest } from '../helpers/synth.js';

let template: Template;

beforeAll(async () => {
  template = (await synthesizeForTest('test')).template(Keys);
});

type Resource = CfnResource & { DeletionPolicy?: string };

function keys(): Resource[] {
  return Object.values(template.findResources('AWS::KMS::Key')) as Resource[];
}

function keyWithSpec(spec: string | undefined): Resource {
  const found = keys().filter((key) => key.Properties?.KeySpec === spec);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('Keys stack', () => {
  it('creates three keys: the project key, the treasury key and the intake key', () => {
    expect(keys()).toHaveLength(3);
  });

  it('makes the project key symmetric with yearly rotation on (the only kind DynamoDB SSE accepts)', () => {
    const project = keyWithSpec(undefined);
    expect(project.Properties?.KeyUsage).toBeUndefined();
    expect(project.Properties?.EnableKeyRotation).toBe(true);
  });

  it('makes the treasury an Ed25519 signing key, so its private key never leaves KMS', () => {
    expect(keyWithSpec('ECC_NIST_EDWARDS25519').Properties?.KeyUsage).toBe('SIGN_VERIFY');
  });

  it('makes the intake key an RSA encryption key (the webhook seals to its public key)', () => {
    expect(keyWithSpec('RSA_2048').Properties?.KeyUsage).toBe('ENCRYPT_DECRYPT');
  });

  it('names each key with an alias of the stage', () => {
    expect(projectKeyAlias('wallet-desk', 'test')).toBe('alias/wallet-desk-test');
    for (const alias of [
      'alias/wallet-desk-test',
      'alias/wallet-desk-test-treasury',
      'alias/wallet-desk-test-intake',
    ]) {
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: alias });
    }
  });

  it('lets nobody but the account use any key through its key policy (IAM decides who)', () => {
    for (const key of keys()) {
      const statements = propertyOf<{ Statement: { Principal: unknown; Action: unknown }[] }>(
        key,
        'KeyPolicy',
      ).Statement;
      expect(statements).toHaveLength(1);
      expect(JSON.stringify(statements[0]?.Principal)).toContain(':root');
    }
  });

  it('deletes the keys with a non-production stage, after the pending window', () => {
    for (const key of keys()) {
      expect(key.DeletionPolicy).toBe('Delete');
      expect(key.Properties?.PendingWindowInDays).toBe(7);
    }
  });
});
