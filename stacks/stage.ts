import { RemovalPolicy } from 'aws-cdk-lib';

/** The one stage whose data outlives a `sst remove` and whose settings raise the caps (see `stageSettings`). */
export const PRODUCTION_STAGE = 'prod';

/** True for the production stage: stateful resources are retained and protected there. */
export function isProduction(stage: string): boolean {
  return stage === PRODUCTION_STAGE;
}

/**
 * Removal policy of stateful resources (table, key): production data is never deleted with its
 * stack; every other stage is disposable, so removing it leaves nothing behind.
 */
export function statefulRemovalPolicy(stage: string): RemovalPolicy {
  return isProduction(stage) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}
