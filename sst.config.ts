import type { SSTConfig } from 'sst';
import type { App } from 'sst/constructs';
import { Alarms } from './stacks/Alarms.js';
import { Api } from './stacks/Api.js';
import { APP_NAME, deployRegion } from './stacks/app.js';
import { deployParameterReader, refuseUnsetSecrets } from './stacks/deploy-check.js';
import { Keys } from './stacks/Keys.js';
import { BUNDLE_ALIASES, BUNDLE_OPTIONS } from './stacks/manifest.js';
import { Queues } from './stacks/Queues.js';
import { Schedule } from './stacks/Schedule.js';
import { Secrets } from './stacks/Secrets.js';
import { Storage } from './stacks/Storage.js';
import { isProduction } from './stacks/stage.js';

/**
 * Adds the stacks of the app, in dependency order. Shared by `sst` itself, `scripts/synth.ts`
 * and the infra tests, so all three synthesize the same thing.
 */
export function addStacks(app: App): void {
  app.setDefaultFunctionProps({
    runtime: 'nodejs22.x',
    architecture: 'arm_64',
    tracing: 'active',
    // Cold start: minify without `keepNames` (BUNDLE_OPTIONS), leave out what no function runs
    // (BUNDLE_ALIASES), and ship ESM (top-level await for config loading). esbuild resolves the
    // aliases from the working directory, the project root `sst` runs in.
    nodejs: {
      format: 'esm',
      minify: BUNDLE_OPTIONS.minify,
      esbuild: { alias: { ...BUNDLE_ALIASES }, keepNames: BUNDLE_OPTIONS.keepNames },
    },
  });
  // Non-production stages are disposable: `sst remove` deletes everything, data included.
  if (!isProduction(app.stage)) app.setDefaultRemovalPolicy('destroy');
  app.stack(Keys).stack(Storage).stack(Secrets).stack(Queues).stack(Schedule).stack(Api).stack(Alarms);
}

export default {
  config() {
    // `sst --region` still wins over this, as it does for the scripts (stacks/app.ts).
    return { name: APP_NAME, region: deployRegion() };
  },
  async stacks(app) {
    addStacks(app);
    // `sst deploy` (and `build`, `diff`): refuse a stage whose functions would start without a
    // secret, before anything is deployed. Never in `sst dev`, `sst remove`, synth or the tests.
    if (app.mode === 'deploy') {
      const [{ useAWSCredentials }, { VisibleError }] = await Promise.all([
        import('sst/credentials.js'),
        import('sst/error.js'),
      ]);
      await refuseUnsetSecrets(app, {
        read: deployParameterReader(app.region, useAWSCredentials),
        refusal: (message) => new VisibleError(message),
      });
    }
  },
} satisfies SSTConfig;
