import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { StackContext } from 'sst/constructs';
import { FUNCTIONS, type FunctionWiring, type KeyName, keyAlias } from './manifest.js';
import { isProduction, statefulRemovalPolicy } from './stage.js';
import { functionRoleName } from './wiring.js';

/** Alias of the project key of a stage, e.g. `alias/wallet-desk-prod`. */
export const projectKeyAlias = (app: string, stage: string): string => keyAlias(app, stage, 'project');

/**
 * The stage's KMS keys. Each key policy names who may use the key, so a key is used only when both
 * its policy and the caller's IAM policy allow it:
 *
 * - **administration** (describe, enable/disable, rotate, tag, schedule deletion, change the policy):
 *   the account, which delegates it to IAM. AWS requires a way to manage every key (a policy that no
 *   principal can change makes the key unmanageable), so the account's IAM administrators keep it;
 *   it includes no use of the key: no Encrypt, Decrypt, GenerateDataKey, Sign or CreateGrant.
 * - **direct use**: exactly the grants of `FunctionWiring.keys`, each for the role of the function
 *   that holds it (by role ARN in an `aws:PrincipalArn` condition: the roles live in later stacks and do
 *   not exist yet when the keys are created, and a policy naming a missing principal is refused), with
 *   the grant's encryption-context purposes.
 * - **the table** (project key only): any principal of the account, only through DynamoDB
 *   (`kms:ViaService`), as AWS's own `aws/dynamodb` key allows; IAM decides which functions read or
 *   write the table (`TABLE_KEY_ACTIONS`, and the table grants), and DynamoDB may describe the key.
 *
 *
 * - **project**: symmetric, yearly rotation. It encrypts the table at rest (functions use it for
 *   that only through DynamoDB, `kms:ViaService`) and wraps the data keys of users' secrets, under
 *   an encryption context `{purpose, ownerId}` that IAM conditions check.
 * - **treasury**: `ECC_NIST_EDWARDS25519` / `SIGN_VERIFY`, the treasury wallet. Its private key never
 *   exists outside KMS; the Solana address is derived from its public key (`npm run treasury:address`).
 *   (The L2 `kms.Key` of this CDK version does not know the key spec, hence `CfnKey`.)
 * - **intake**: `RSA_2048` / `ENCRYPT_DECRYPT`. The webhook seals a secret a user sends to its public
 *   key (`VAULT_INTAKE_KEY`), so the secret is never stored or queued in the clear and the webhook needs
 *   no KMS access; only the vault worker may decrypt with it.
 *
 * Asymmetric keys cannot rotate automatically; replacing one is an operation (docs).
 */
export function Keys({ app, stack }: StackContext) {
  // A deleted production key is unrecoverable data loss (or lost funds): the longest window to cancel.
  const pendingWindow = Duration.days(isProduction(stack.stage) ? 30 : 7);
  const removalPolicy = statefulRemovalPolicy(stack.stage);
  const alias = (name: KeyName) => keyAlias(app.name, stack.stage, name);

  const key = new kms.Key(stack, 'ProjectKey', {
    description: `${app.name} ${stack.stage}: table encryption and envelope keys`,
    enableKeyRotation: true,
    alias: alias('project'),
    removalPolicy,
    pendingWindow,
    policy: keyPolicy(stack, app.name, 'project'),
  });

  const treasuryCfn = new kms.CfnKey(stack, 'TreasuryKey', {
    description: `${app.name} ${stack.stage}: treasury wallet (Ed25519, signs payouts)`,
    keySpec: 'ECC_NIST_EDWARDS25519',
    keyUsage: 'SIGN_VERIFY',
    pendingWindowInDays: pendingWindow.toDays(),
    keyPolicy: keyPolicy(stack, app.name, 'treasury'),
  });
  treasuryCfn.applyRemovalPolicy(removalPolicy);
  const treasury = kms.Key.fromKeyArn(stack, 'TreasuryKeyRef', treasuryCfn.attrArn);
  new kms.Alias(stack, 'TreasuryKeyAlias', { aliasName: alias('treasury'), targetKey: treasury });

  const intake = new kms.Key(stack, 'IntakeKey', {
    description: `${app.name} ${stack.stage}: intake of user secrets (RSA, webhook seals to it)`,
    keySpec: kms.KeySpec.RSA_2048,
    keyUsage: kms.KeyUsage.ENCRYPT_DECRYPT,
    alias: alias('intake'),
    removalPolicy,
    pendingWindow,
    policy: keyPolicy(stack, app.name, 'intake'),
  });

  stack.addOutputs({ ProjectKeyArn: key.keyArn, TreasuryKeyArn: treasury.keyArn, IntakeKeyArn: intake.keyArn });
  const keys: Readonly<Record<KeyName, kms.IKey>> = { project: key, treasury, intake };
  return { key, keys };
}

/**
 * Key administration without key use: what the account's IAM administrators keep on every key. (No
 * `kms:Create*`: `CreateGrant` would let an administrator's principal hand itself the use of a key
 * without a policy change; the table's grants are made through DynamoDB, below.)
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:Describe*',
  'kms:List*',
  'kms:Get*',
  'kms:Enable*',
  'kms:Disable*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
] as const;

/** What DynamoDB does with the table key on behalf of its callers (the default `aws/dynamodb` key policy). */
export const TABLE_KEY_VIA_DYNAMODB_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
  'kms:CreateGrant',
  'kms:DescribeKey',
] as const;

/** Functions wired to use `key` directly, with their grants of it. */
function keyUsers(key: KeyName): { id: string; actions: readonly string[]; purposes?: readonly string[] }[] {
  return (Object.entries(FUNCTIONS) as [string, FunctionWiring][]).flatMap(([id, wiring]) =>
    (wiring.keys ?? [])
      .filter((grant) => grant.key === key)
      .map((grant) => ({ id, actions: grant.actions, ...(grant.purposes ? { purposes: grant.purposes } : {}) })),
  );
}

/** The key policy of one of the stage's keys; see `Keys`. */
function keyPolicy(stack: StackContext['stack'], app: string, key: KeyName): iam.PolicyDocument {
  const account = new iam.AccountRootPrincipal();
  const statements = [
    new iam.PolicyStatement({
      sid: 'Administration',
      principals: [account],
      actions: [...KEY_ADMIN_ACTIONS],
      resources: ['*'],
    }),
    ...keyUsers(key).map(
      (user) =>
        new iam.PolicyStatement({
          sid: `Use${user.id[0]!.toUpperCase()}${user.id.slice(1)}`,
          principals: [account],
          actions: [...user.actions],
          resources: ['*'],
          conditions: {
            ArnEquals: {
              'aws:PrincipalArn': `arn:${stack.partition}:iam::${stack.account}:role/${functionRoleName(app, stack.stage, user.id)}`,
            },
            ...(user.purposes ? { StringEquals: { 'kms:EncryptionContext:purpose': [...user.purposes] } } : {}),
          },
        }),
    ),
  ];
  if (key === 'project') {
    statements.push(
      new iam.PolicyStatement({
        sid: 'TableThroughDynamoDB',
        principals: [account],
        actions: [...TABLE_KEY_VIA_DYNAMODB_ACTIONS],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com`,
            'kms:CallerAccount': stack.account,
          },
        },
      }),
      new iam.PolicyStatement({
        sid: 'DynamoDBDescribesKey',
        principals: [new iam.ServicePrincipal('dynamodb.amazonaws.com')],
        actions: ['kms:Describe*', 'kms:Get*', 'kms:List*'],
        resources: ['*'],
      }),
    );
  }
  return new iam.PolicyDocument({ statements });
}
