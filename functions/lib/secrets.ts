import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { ConfigError } from '../../core/platform/errors.js';

/** What SST puts in `SST_Secret_value_<NAME>` when the value must be read from SSM. */
const FROM_SSM = '__FETCH_FROM_SSM__';
const SECRET_ENV = /^SST_Secret_value_(.+)$/;

type Env = Readonly<Record<string, string | undefined>>;

/** Reads SSM parameters by name, decrypted; returns those that exist. */
export type ParameterReader = (names: string[]) => Promise<Map<string, string>>;

/**
 * Returns the environment with SST secrets resolved. SST v2 binds a `Config.Secret` to a
 * function as `SST_Secret_value_<NAME>`: locally that is the value itself; on AWS it is a
 * marker, and the value lives in SSM under `<SST_SSM_PREFIX>Secret/<NAME>/value` (or the
 * app-wide fallback `/sst/<app>/.fallback/Secret/<NAME>/value`). One path either way: values
 * present are kept, markers are fetched (batched, once per cold start).
 */
export async function resolveSecrets(
  env: Env,
  read: ParameterReader = ssmReader(env),
): Promise<Record<string, string | undefined>> {
  const pending = Object.keys(env)
    .filter((key) => env[key] === FROM_SSM)
    .map((key) => ({ key, name: SECRET_ENV.exec(key)?.[1] }))
    .filter((entry): entry is { key: string; name: string } => entry.name !== undefined);
  if (pending.length === 0) return { ...env };
  const fetched = await readSecrets(
    pending.map((p) => p.name),
    secretRoots(env.SST_APP, env.SST_SSM_PREFIX ?? ''),
    read,
  );
  const unset = pending.filter((p) => !fetched.has(p.name)).map((p) => p.name);
  if (unset.length > 0) {
    throw new ConfigError(`Secrets not set for this stage: ${unset.join(', ')} (npx sst secrets set <NAME> <value>)`);
  }
  return { ...env, ...Object.fromEntries(pending.map((p) => [p.key, fetched.get(p.name)])) };
}

/** Where SST keeps an app's secrets, in the order they are read: the stage's prefix, then the app-wide fallback. */
export function secretRoots(app: string | undefined, stagePrefix: string): string[] {
  return [stagePrefix, `/sst/${app}/.fallback/`];
}

/**
 * Reads each secret of `names` under the first of `roots` that has it (`<root>Secret/<NAME>/value`),
 * in batches of 10 (GetParameters' limit); returns the values found, by secret name. Shared by the
 * functions (at a cold start) and the deploy's check (stacks/deploy-check.ts), so both agree on
 * what "set" means.
 */
export async function readSecrets(
  names: readonly string[],
  roots: readonly string[],
  read: ParameterReader,
): Promise<Map<string, string>> {
  const fetched = new Map<string, string>();
  for (const root of roots) {
    const missing = names.filter((name) => !fetched.has(name));
    for (let i = 0; i < missing.length; i += 10) {
      const chunk = missing.slice(i, i + 10);
      const found = await read(chunk.map((name) => `${root}Secret/${name}/value`));
      for (const name of chunk) {
        const value = found.get(`${root}Secret/${name}/value`);
        if (value !== undefined) fetched.set(name, value);
      }
    }
  }
  return fetched;
}

/**
 * SSM `GetParameters` as one signed JSON request. The SDK's SSM client would add ~200 KB to
 * every bundle for this single cold-start call; the SigV4 signer and hash are already in the
 * bundle through the DynamoDB and SQS clients. Credentials and region come from the Lambda
 * environment; the endpoint honours `AWS_ENDPOINT_URL_SSM` like the SDK does. With `decrypt: false`
 * a SecureString comes back still encrypted: enough to learn that it is set, never its value.
 */
export function ssmReader(env: Env, { decrypt = true }: { decrypt?: boolean } = {}): ParameterReader {
  return async (names) => {
    const region = env.AWS_REGION;
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!region || !accessKeyId || !secretAccessKey) {
      throw new ConfigError('SSM secrets need AWS_REGION and credentials in the environment');
    }
    const endpoint = new URL(env.AWS_ENDPOINT_URL_SSM ?? `https://ssm.${region}.amazonaws.com/`);
    const signer = new SignatureV4({
      service: 'ssm',
      region,
      sha256: Sha256,
      credentials: {
        accessKeyId,
        secretAccessKey,
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      },
    });
    const body = JSON.stringify({ Names: names, WithDecryption: decrypt });
    const request = await signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: endpoint.pathname,
      query: {},
      headers: {
        host: endpoint.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonSSM.GetParameters',
      },
      body,
    });
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: request.headers as Record<string, string>,
      body,
    });
    const answer = (await response.json().catch(() => ({}))) as { Parameters?: { Name?: string; Value?: string }[] };
    if (!response.ok || !Array.isArray(answer.Parameters)) {
      throw new ConfigError(`SSM GetParameters failed with HTTP ${response.status}`);
    }
    return new Map(
      answer.Parameters.filter((p) => typeof p.Name === 'string' && typeof p.Value === 'string').map((p) => [
        p.Name!,
        p.Value!,
      ]),
    );
  };
}
