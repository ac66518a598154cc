import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { StackContext } from 'sst/constructs';
import { type KeyName, keyAlias } from '../core/settings.js';
import { isProduction, statefulRemovalPolicy } from './stage.js';

/** Alias of the project key of a stage, e.g. `alias/wallet-desk-prod`. */
export const projectKeyAlias = (app: string, stage: string): string => keyAlias(app, stage, 'project');

/**
 * The stage's KMS keys. Their key policies trust the account only, so IAM alone decides who
 * uses them, and functions get exactly the grants their wiring lists (`FunctionWiring.keys`).
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
  });

  const treasuryCfn = new kms.CfnKey(stack, 'TreasuryKey', {
    description: `${app.name} ${stack.stage}: treasury wallet (Ed25519, signs payouts)`,
    keySpec: 'ECC_NIST_EDWARDS25519',
    keyUsage: 'SIGN_VERIFY',
    pendingWindowInDays: pendingWindow.toDays(),
    keyPolicy: accountOnlyPolicy(),
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
  });

  stack.addOutputs({ ProjectKeyArn: key.keyArn, TreasuryKeyArn: treasury.keyArn, IntakeKeyArn: intake.keyArn });
  const keys: Readonly<Record<KeyName, kms.IKey>> = { project: key, treasury, intake };
  return { key, keys };
}

/** The default key policy of `kms.Key`: the account root, which delegates every decision to IAM. */
function accountOnlyPolicy(): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({ principals: [new iam.AccountRootPrincipal()], actions: ['kms:*'], resources: ['*'] }),
    ],
  });
}
