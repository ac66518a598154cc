import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../../core/errors.js';

/** What SST puts in `SST_Secret_value_<NAME>` when the value must be read from SSM. */
const FROM_SSM = '__FETCH_FROM_SSM__';
const SECRET_ENV = /^SST_Secret_value_(.+)$/;

/**
 * Returns the environment with SST secrets resolved. SST v2 binds a `Config.Secret` to a
 * function as `SST_Secret_value_<NAME>`: locally that is the value itself; on AWS it is a
 * marker, and the value lives in SSM under `<SST_SSM_PREFIX>Secret/<NAME>/value` (or the
 * app-wide fallback `/sst/<app>/.fallback/Secret/<NAME>/value`). One path either way: values
 * present are kept, markers are fetched (one batched call at cold start).
 */
export async function resolveSecrets(
  env: Readonly<Record<string, string | undefined>>,
  client: () => SSMClient = () => new SSMClient({}),
): Promise<Record<string, string | undefined>> {
  const pending = Object.keys(env)
    .filter((key) => env[key] === FROM_SSM)
    .map((key) => ({ key, name: SECRET_ENV.exec(key)?.[1] }))
    .filter((entry): entry is { key: string; name: string } => entry.name !== undefined);
  if (pending.length === 0) return { ...env };
  const prefix = env.SST_SSM_PREFIX ?? '';
  const fallback = `/sst/${env.SST_APP}/.fallback/`;
  const ssm = client();
  const fetched = new Map<string, string>();
  for (const root of [prefix, fallback]) {
    const missing = pending.filter((p) => !fetched.has(p.name));
    for (let i = 0; i < missing.length; i += 10) {
      const chunk = missing.slice(i, i + 10);
      const result = await ssm.send(
        new GetParametersCommand({ Names: chunk.map((p) => `${root}Secret/${p.name}/value`), WithDecryption: true }),
      );
      for (const parameter of result.Parameters ?? []) {
        const name = /Secret\/([^/]+)\/value$/.exec(parameter.Name ?? '')?.[1];
        if (name && parameter.Value !== undefined) fetched.set(name, parameter.Value);
      }
    }
  }
  const unset = pending.filter((p) => !fetched.has(p.name)).map((p) => p.name);
  if (unset.length > 0) {
    throw new ConfigError(`Secrets not set for this stage: ${unset.join(', ')} (npx sst secrets set <NAME> <value>)`);
  }
  return { ...env, ...Object.fromEntries(pending.map((p) => [p.key, fetched.get(p.name)])) };
}
