import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { KEY_ADMIN_ACTIONS, Keys, projectKeyAlias } from '../../stacks/Keys.js';
import { type CfnResource, propertyOf, synthesizeForTest } from '../helpers/synth.js';

let template: Template;

beforeAll(async () => {
  template = (await synthesizeForTest('test')).template(Keys);
});

type Resource = CfnResource & { DeletionPolicy?: string };

function keys(): Resource[] {
  return Object.values(template.findResources('AWS::KMS::Key')) as Resource[];
}

interface KeyStatement {
  readonly Sid?: string;
  readonly Principal: unknown;
  readonly Action: string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

function policyOf(key: Resource): KeyStatement[] {
  return propertyOf<{ Statement: (KeyStatement & { Action: string | string[] })[] }>(key, 'KeyPolicy').Statement.map(
    (statement) => ({ ...statement, Action: [statement.Action].flat() }),
  );
}

/** The KMS actions that use a key (or hand out its use); none may be open to the account as such. */
const USAGE = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:Sign',
  'kms:CreateGrant',
];

/** IAM action matching (`kms:Get*` matches `kms:GetPublicKey`). */
function matches(pattern: string, action: string): boolean {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);
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

  it('keeps key administration for the account, and no use of any key in that statement', () => {
    for (const key of keys()) {
      const [admin] = policyOf(key).filter((statement) => statement.Sid === 'Administration');
      expect(JSON.stringify(admin?.Principal)).toContain(':root');
      expect(admin?.Condition).toBeUndefined();
      expect([...(admin?.Action ?? [])].sort()).toEqual([...KEY_ADMIN_ACTIONS].sort());
      for (const action of USAGE)
        expect(
          admin!.Action.some((pattern) => matches(pattern, action)),
          action,
        ).toBe(false);
    }
  });

  /** The roles a key's usage statements name (by `aws:PrincipalArn`), with what each may do. */
  function usersOf(key: Resource): { role: string; actions: string[]; purposes?: unknown }[] {
    return policyOf(key)
      .filter((statement) => statement.Condition?.ArnEquals)
      .map((statement) => ({
        role: /:role\/([^"]+)"/.exec(JSON.stringify(statement.Condition?.ArnEquals?.['aws:PrincipalArn']))?.[1] ?? '',
        actions: [...statement.Action].sort(),
        ...(statement.Condition?.StringEquals
          ? { purposes: statement.Condition.StringEquals['kms:EncryptionContext:purpose'] }
          : {}),
      }));
  }

  it('opens no use of any key to the account without naming a role or going through DynamoDB', () => {
    for (const key of keys()) {
      for (const statement of policyOf(key)) {
        const uses = USAGE.filter((action) => statement.Action.some((pattern) => matches(pattern, action)));
        if (uses.length === 0) continue;
        const named = statement.Condition?.ArnEquals?.['aws:PrincipalArn'] !== undefined;
        const viaDynamoDb = statement.Condition?.StringEquals?.['kms:ViaService'] !== undefined;
        expect(named || viaDynamoDb, `${statement.Sid}: ${uses.join(', ')}`).toBe(true);
      }
    }
  });

  it('lets only the signer role sign with the treasury key', () => {
    expect(usersOf(keyWithSpec('ECC_NIST_EDWARDS25519'))).toEqual([
      { role: 'wallet-desk-test-signer', actions: ['kms:GetPublicKey', 'kms:Sign'] },
    ]);
  });

  it('lets only the vault worker role decrypt with the intake key', () => {
    expect(usersOf(keyWithSpec('RSA_2048'))).toEqual([
      { role: 'wallet-desk-test-vaultWorker', actions: ['kms:Decrypt'] },
    ]);
  });

  it('lets the vault worker use the project key directly only for secrets and bots’ tokens (it onboards bots), the notify worker only to open bot tokens, and anyone only through DynamoDB', () => {
    const project = keyWithSpec(undefined);
    expect(usersOf(project)).toEqual([
      { role: 'wallet-desk-test-notifyWorker', actions: ['kms:Decrypt'], purposes: ['bot-token'] },
      {
        role: 'wallet-desk-test-vaultWorker',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        purposes: ['user-secret', 'service-credential', 'bot-token'],
      },
    ]);
    const [viaDynamoDb, ...more] = policyOf(project).filter((s) => s.Condition?.StringEquals?.['kms:ViaService']);
    expect(more).toEqual([]);
    expect(viaDynamoDb?.Condition?.StringEquals?.['kms:ViaService']).toBe('dynamodb.eu-central-1.amazonaws.com');
    expect(viaDynamoDb?.Condition?.StringEquals).toHaveProperty('kms:CallerAccount');
  });

  it('deletes the keys with a non-production stage, after the pending window', () => {
    for (const key of keys()) {
      expect(key.DeletionPolicy).toBe('Delete');
      expect(key.Properties?.PendingWindowInDays).toBe(7);
    }
  });
});
