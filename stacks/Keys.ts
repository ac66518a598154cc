import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { StackContext } from 'sst/constructs';
import { isProduction, statefulRemovalPolicy } from './stage.js';

/** Alias of the project key of a stage, e.g. `alias/wallet-desk-prod`. */
export const projectKeyAlias = (app: string, stage: string): string => `alias/${app}-${stage}`;

/**
 * The project's customer-managed KMS key (symmetric, yearly rotation).
 *
 * It encrypts the table at rest. Functions never get direct use of it: their IAM statements only
 * let DynamoDB use it on their behalf (`kms:ViaService`). Envelope encryption of per-user secrets
 * will get its own, encryption-context-scoped grants.
 */
export function Keys({ app, stack }: StackContext) {
  const key = new kms.Key(stack, 'ProjectKey', {
    description: `${app.name} ${stack.stage}: table encryption and envelope keys`,
    enableKeyRotation: true,
    alias: projectKeyAlias(app.name, stack.stage),
    removalPolicy: statefulRemovalPolicy(stack.stage),
    // A deleted production key is unrecoverable data loss; give people the longest window to cancel.
    pendingWindow: Duration.days(isProduction(stack.stage) ? 30 : 7),
  });
  stack.addOutputs({ ProjectKeyArn: key.keyArn });
  return { key };
}
