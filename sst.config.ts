import type { SSTConfig } from 'sst';
import type { App } from 'sst/constructs';
import { Alarms } from './stacks/Alarms.js';
import { Api } from './stacks/Api.js';
import { Keys } from './stacks/Keys.js';
import { Queues } from './stacks/Queues.js';
import { Schedule } from './stacks/Schedule.js';
import { Secrets } from './stacks/Secrets.js';
import { Storage } from './stacks/Storage.js';
import { isProduction } from './stacks/stage.js';

/** The app's name; stacks are named `<stage>-wallet-desk-<Stack>`. */
export const APP_NAME = 'wallet-desk';
/** Frankfurt: a few milliseconds from the Bot API servers in Amsterdam. */
export const DEFAULT_REGION = 'eu-central-1';

/**
 * Adds the stacks of the app, in dependency order. Shared by `sst` itself, `scripts/synth.ts`
 * and the infra tests, so all three synthesize the same thing.
 */
export function addStacks(app: App): void {
  app.setDefaultFunctionProps({
    runtime: 'nodejs22.x',
    architecture: 'arm_64',
    tracing: 'active',
    // Bundle size is cold-start time: minify, and ship ESM (top-level await for config loading).
    nodejs: { format: 'esm', minify: true },
  });
  // Non-production stages are disposable: `sst remove` deletes everything, data included.
  if (!isProduction(app.stage)) app.setDefaultRemovalPolicy('destroy');
  app.stack(Keys).stack(Storage).stack(Secrets).stack(Queues).stack(Schedule).stack(Api).stack(Alarms);
}

export default {
  config() {
    return { name: APP_NAME, region: DEFAULT_REGION };
  },
  stacks(app) {
    addStacks(app);
  },
} satisfies SSTConfig;
