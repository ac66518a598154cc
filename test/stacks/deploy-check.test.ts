import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type Stack } from 'sst/constructs';
import { VisibleError } from 'sst/error.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParameterReader } from '../../functions/lib/secrets.js';
import { type SynthesizedApp, synthesizeApp } from '../../scripts/synth.js';
import config from '../../sst.config.js';
import { WEBHOOK_REGISTRATION } from '../../stacks/Api.js';
import {
  deployParameterReader,
  refuseUnsetSecrets,
  secretsToDeploy,
  unsetSecretsMessage,
} from '../../stacks/deploy-check.js';
import { FUNCTIONS, SECRETS, type SecretName } from '../../stacks/manifest.js';

let synthesized: SynthesizedApp;
let app: App;

beforeAll(async () => {
  synthesized = await synthesizeApp({ stage: 'prod', bundle: false });
  app = synthesized.app;
});
afterAll(() => synthesized?.dispose());

const everyStack = () => true;
const only =
  (...names: string[]) =>
  (stack: Stack) =>
    names.some((name) => stack.stackName === `prod-wallet-desk-${name}`);

/** SSM cannot run here: GetParameters answering from `values` (by parameter path), recording what it was asked. */
function fakeSsm(values: Record<string, string>) {
  const asked: string[] = [];
  const read: ParameterReader = async (names) => {
    asked.push(...names);
    return new Map(names.filter((name) => name in values).map((name) => [name, values[name]!]));
  };
  return { asked, read };
}

const stagePath = (name: string) => `/sst/wallet-desk/prod/Secret/${name}/value`;
const fallbackPath = (name: string) => `/sst/wallet-desk/.fallback/Secret/${name}/value`;
/** Every secret set in the stage's path, except `unset`; each value is a string no message may show. */
const allSetBut = (...unset: SecretName[]) =>
  Object.fromEntries(SECRETS.filter((n) => !unset.includes(n)).map((n) => [stagePath(n), `VALUE-OF-${n}`]));

/** Runs the check like sst.config.ts does; resolves to the refusal's message, or undefined when it passes. */
async function check(read: ParameterReader, isActive: (stack: Stack) => boolean = everyStack, on: App = app) {
  try {
    await refuseUnsetSecrets(on, { read, refusal: (message) => new Error(message), isActive });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('the secrets a deploy needs', () => {
  it("are the ones SST binds to the deployed stacks' functions: all of them for a full deploy", () => {
    const bound = new Set([...Object.values(FUNCTIONS), WEBHOOK_REGISTRATION].flatMap((w) => w.secrets));
    expect(secretsToDeploy(app, everyStack)).toEqual(SECRETS.filter((name) => bound.has(name)));
  });

  it('are none for `sst deploy Keys`, which deploys no function', () => {
    expect(secretsToDeploy(app, only('Keys'))).toEqual([]);
  });

  it("are the alarm notifier's alone for `sst deploy Alarms`", () => {
    expect(secretsToDeploy(app, only('Alarms'))).toEqual(
      SECRETS.filter((name) => (FUNCTIONS.alarmNotifier.secrets as readonly string[]).includes(name)),
    );
  });
});

describe('refuseUnsetSecrets', () => {
  it("lets the deploy go on when every secret is set, in the stage's path or the app's fallback", async () => {
    const ssm = fakeSsm({
      ...allSetBut('AI_API_KEY'),
      [fallbackPath('AI_API_KEY')]: 'VALUE',
    });
    expect(await check(ssm.read)).toBeUndefined();
    expect(ssm.asked).toContain(fallbackPath('AI_API_KEY'));
    expect(ssm.asked).not.toContain(fallbackPath('TELEGRAM_BOT_TOKEN'));
  });

  it('stops the deploy naming each unset secret with the command that sets it, and no value', async () => {
    const message = await check(fakeSsm(allSetBut('TELEGRAM_BOT_TOKEN', 'ADMIN_CHAT_ID')).read);
    expect(message).toBeDefined();
    const lines = message!.split('\n');
    expect(lines[0]).toBe(
      'Not deploying stage prod (eu-central-1): its functions need secrets that are not set: TELEGRAM_BOT_TOKEN, ADMIN_CHAT_ID.',
    );
    expect(lines).toContain("  npx sst secrets set TELEGRAM_BOT_TOKEN '<the token @BotFather gave you>' --stage prod");
    expect(lines).toContain(
      "  npx sst secrets set ADMIN_CHAT_ID '<the admin group id, e.g. -1001234567890>' --stage prod",
    );
    expect(lines).toContain('Then deploy again: npx sst deploy --stage prod');
    expect(message).toContain('README.md, "Deploying"');
    // The treasury's secrets are set: no Keys-first advice.
    expect(message).not.toContain('npx sst deploy Keys');
    expect(message).not.toContain('VALUE-OF-');
  });

  it('explains the Keys-first order when the treasury address or the intake key is missing', async () => {
    const message = await check(fakeSsm(allSetBut('TREASURY_ADDRESS', 'VAULT_INTAKE_KEY')).read);
    const lines = message!.split('\n');
    expect(lines).toContain(
      "TREASURY_ADDRESS and VAULT_INTAKE_KEY are made from the stage's KMS keys, which only the Keys stack creates. Deploy it alone, then print the commands that set them and run those:",
    );
    const keys = lines.indexOf('  npx sst deploy Keys --stage prod');
    const address = lines.indexOf('  npm run treasury:address -- --stage prod');
    const again = lines.indexOf('Then deploy again: npx sst deploy --stage prod');
    expect(keys).toBeGreaterThan(0);
    expect(address).toBe(keys + 1);
    expect(again).toBeGreaterThan(address);
    expect(message).not.toContain('Set them first');
    expect(message).not.toContain('VALUE-OF-');
  });

  it('lets `sst deploy Keys` through on a stage with no secret at all, asking SSM nothing', async () => {
    const ssm = fakeSsm({});
    expect(await check(ssm.read, only('Keys'))).toBeUndefined();
    expect(ssm.asked).toEqual([]);
  });

  it('does nothing outside deploy mode (`sst dev`, `sst remove`)', async () => {
    for (const mode of ['dev', 'remove']) {
      const ssm = fakeSsm({});
      const other = Object.create(app, { mode: { value: mode } }) as App;
      expect(await check(ssm.read, everyStack, other)).toBeUndefined();
      expect(ssm.asked).toEqual([]);
    }
  });

  it('adds --region to every command when the stage is not in the app’s region', () => {
    const message = unsetSecretsMessage({ stage: 'prod', region: 'us-west-2' }, ['ADMIN_USER_IDS', 'TREASURY_ADDRESS']);
    expect(message).toContain(
      "  npx sst secrets set ADMIN_USER_IDS '<the admins’ user ids, comma-separated>' --stage prod --region us-west-2",
    );
    expect(message).toContain('  npx sst deploy Keys --stage prod --region us-west-2');
    expect(message).toContain('  npm run treasury:address -- --stage prod --region us-west-2');
    expect(message).toContain('TREASURY_ADDRESS is made from');
  });
});

describe('deployParameterReader', () => {
  const requests: { region: string | undefined; token: unknown; body: { Names: string[]; WithDecryption: boolean } }[] =
    [];
  const set = new Set(SECRETS.filter((n) => n !== 'ADMIN_CHAT_ID').map(stagePath));
  // A stand-in for SSM's endpoint: SecureStrings come back encrypted when WithDecryption is false.
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { Names: string[]; WithDecryption: boolean };
      requests.push({
        region: /Credential=[^/]+\/\d{8}\/([^/]+)\/ssm\//.exec(req.headers.authorization ?? '')?.[1],
        token: req.headers['x-amz-security-token'],
        body: parsed,
      });
      const value = (name: string) => (parsed.WithDecryption ? `plain ${name}` : 'AQICAHencryptedblob');
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          Parameters: parsed.Names.filter((n) => set.has(n)).map((n) => ({ Name: n, Value: value(n) })),
          InvalidParameters: parsed.Names.filter((n) => !set.has(n)),
        }),
      );
    });
  });
  let endpoint: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("asks SSM in the stage's region with the deploy's credentials, never decrypting, and finds what is unset", async () => {
    const read = deployParameterReader(
      'eu-central-1',
      async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example', sessionToken: 'session-example' }),
      { AWS_ENDPOINT_URL_SSM: endpoint },
    );
    const message = await check(read);
    expect(message?.split('\n')[0]).toContain('not set: ADMIN_CHAT_ID.');
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.region).toBe('eu-central-1');
      expect(request.token).toBe('session-example');
      expect(request.body.WithDecryption).toBe(false);
      expect(request.body.Names.length).toBeLessThanOrEqual(10);
    }
    expect(message).not.toContain('AQICAH');
  });

  it("stops `sst deploy` through sst.config.ts: SST's credentials and VisibleError, a fresh app in deploy mode", async () => {
    const saved = { ...process.env };
    const outdir = await mkdtemp(path.join(tmpdir(), 'deploy-check-'));
    // SST's credential chain reads these, as it would a profile's; SSM is the stand-in above.
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDSSTCHAIN',
      AWS_SECRET_ACCESS_KEY: 'secret-sst-chain',
      AWS_ENDPOINT_URL_SSM: endpoint,
    });
    requests.length = 0;
    try {
      const fresh = new App(
        { mode: 'deploy', name: 'wallet-desk', stage: 'prod', region: 'eu-west-3', account: '123456789012' },
        { outdir },
      );
      const error = await config.stacks(fresh).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(VisibleError);
      expect((error as Error).message.split('\n')[0]).toBe(
        'Not deploying stage prod (eu-west-3): its functions need secrets that are not set: ADMIN_CHAT_ID.',
      );
      expect(requests.map((r) => r.region)).toContain('eu-west-3');
    } finally {
      process.env = saved;
      await rm(outdir, { recursive: true, force: true });
    }
  });
});
