import { Config, type StackContext } from 'sst/constructs';
import { SECRETS, type SecretName } from './manifest.js';

/** The secrets of the app, by name; bind one to a function only if its wiring lists it. */
export type AppSecrets = Readonly<Record<SecretName, Config.Secret>>;

/**
 * Declares one SST `Config.Secret` per name in `SECRETS` (values are set out of band with
 * `npx sst secrets set <NAME> <value> --stage <stage>` and live in SSM, never in templates).
 */
export function Secrets({ stack }: StackContext) {
  const secrets: AppSecrets = Config.Secret.create(stack, ...SECRETS);
  return { secrets };
}
