import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treasuryAddress } from '../../core/desk/solana/signer.js';
import { parseIntakePublicKey } from '../../core/platform/keys/intake.js';
import { KmsIntakeKey, KmsSigningKey } from '../../core/platform/keys/kms.js';
import { LOCAL_CREDENTIALS, localClientConfig } from '../../local/aws/common.js';
import { type KmsEmulator, startKmsEmulator } from '../../local/kms/index.js';
import { main } from '../../scripts/treasury-address.js';
import { DEFAULT_REGION } from '../../stacks/app.js';
import { keyAlias } from '../../stacks/manifest.js';
import { startRefusingEndpoint } from '../helpers/aws-endpoint.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const SCRIPT = path.join(ROOT, 'scripts/treasury-address.ts');

/** An AWS config file whose default profile is in another region than the app's. */
let PROFILE_ELSEWHERE: string;
let kms: KmsEmulator;
let client: KMSClient;
let expected: string;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'treasury-address-'));
  PROFILE_ELSEWHERE = path.join(dir, 'config');
  await writeFile(PROFILE_ELSEWHERE, '[default]\nregion = us-west-2\n');
  kms = await startKmsEmulator();
  const alias = keyAlias('wallet-desk', 'test', 'treasury');
  await kms.ensureKey(alias, 'ECC_NIST_EDWARDS25519');
  await kms.ensureKey(keyAlias('wallet-desk', 'test', 'intake'), 'RSA_2048');
  client = new KMSClient({ ...localClientConfig(kms.endpoint), maxAttempts: 1 });
  expected = await treasuryAddress(new KmsSigningKey({ client, keyId: alias }));
});
afterAll(async () => {
  client?.destroy();
  await kms?.stop();
  if (PROFILE_ELSEWHERE) await rm(path.dirname(PROFILE_ELSEWHERE), { recursive: true, force: true });
});

/** Runs `main` with captured output. */
async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    client,
    write: (text) => {
      out += text;
    },
    writeError: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

describe('treasury-address script', () => {
  it("prints the stage's treasury address and the command that stores it", async () => {
    const { code, out, err } = await run(['--stage', 'test']);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out.split('\n')).toContain(`  ${expected}`);
    expect(out).toContain(`npx sst secrets set TREASURY_ADDRESS ${expected} --stage test\n`);
    expect(out).toContain('alias/wallet-desk-test-treasury');
  });

  it("prints the intake key's public key as the VAULT_INTAKE_KEY the webhook seals secrets to", async () => {
    const { out } = await run(['--stage', 'test']);
    const intake = new KmsIntakeKey({ client, keyId: keyAlias('wallet-desk', 'test', 'intake') });
    const der = Buffer.from(await intake.publicKey()).toString('base64');
    expect(out).toContain(`npx sst secrets set VAULT_INTAKE_KEY ${der} --stage test\n`);
    // What the webhook's config accepts.
    expect(() => parseIntakePublicKey(der)).not.toThrow();
  });

  it('takes the app name from --app', async () => {
    await kms.ensureKey(keyAlias('other-app', 'test', 'treasury'), 'ECC_NIST_EDWARDS25519');
    await kms.ensureKey(keyAlias('other-app', 'test', 'intake'), 'RSA_2048');
    const { code, out } = await run(['--stage=test', '--app', 'other-app']);
    expect(code).toBe(0);
    expect(out).toContain('alias/other-app-test-treasury');
    expect(out).not.toContain(expected);
  });

  it('exits 1 with a one-line message naming the alias when the alias does not exist', async () => {
    const { code, out, err } = await run(['--stage', 'nosuchstage']);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(err).toContain('alias/wallet-desk-nosuchstage-treasury');
    expect(err).toContain('keys.not_found');
  });

  it('exits 1 with a one-line message when KMS is unreachable', async () => {
    kms.setFault('unavailable');
    try {
      const { code, err } = await run(['--stage', 'test']);
      expect(code).toBe(1);
      expect(err.trimEnd().split('\n')).toHaveLength(1);
      expect(err).toContain('keys.unavailable');
    } finally {
      kms.setFault(null);
    }
  });

  it.each([
    ['no --stage', []],
    ['an unknown option', ['--stage', 'test', '--bogus', 'x']],
    ['a malformed region', ['--stage', 'test', '--region', 'x']],
    ['a malformed stage', ['--stage', 'prod; rm -rf /']],
  ])('exits 1 with usage and no KMS call for %s', async (_name, argv) => {
    kms.resetStats();
    const { code, out, err } = await run(argv);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/^treasury:address: .+\nusage: npm run treasury:address -- --stage <stage>/);
    expect(kms.stats()).toEqual({});
  });

  describe('run as a command', () => {
    // No AWS_REGION and no AWS config file: the region is the app's (stacks/app.ts), as for `sst`.
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_NO_WARNINGS: '1',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_MAX_ATTEMPTS: '1',
    };
    const exec = (argv: string[], extra: Record<string, string> = {}) =>
      promisify(execFile)(TSX, [SCRIPT, ...argv], {
        cwd: ROOT,
        env: { ...env, AWS_ENDPOINT_URL_KMS: kms.endpoint, ...extra },
        timeout: 20_000,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code?: number; stdout: string; stderr: string }) => ({
          code: error.code,
          stdout: error.stdout,
          stderr: error.stderr,
        }),
      );

    it('reaches KMS at AWS_ENDPOINT_URL_KMS and prints the address, with no AWS_REGION set', async () => {
      const { code, stdout, stderr } = await exec(['--stage', 'test']);
      expect(stderr).not.toContain('Region is missing');
      expect(code).toBe(0);
      expect(stdout).toContain(`npx sst secrets set TREASURY_ADDRESS ${expected} --stage test\n`);
      expect(stdout).toContain(`(alias/wallet-desk-test-treasury, ${DEFAULT_REGION})`);
    });

    it.each([
      ['AWS_REGION', () => ({ AWS_REGION: 'us-west-2' })],
      ['the profile', () => ({ AWS_CONFIG_FILE: PROFILE_ELSEWHERE })],
    ])("asks KMS in the app's region, whatever %s says", async (_name, extra) => {
      const endpoint = await startRefusingEndpoint();
      try {
        const { code, stderr } = await exec(['--stage', 'prod'], { ...extra(), AWS_ENDPOINT_URL_KMS: endpoint.url });
        expect(code).toBe(1);
        expect(endpoint.requests.map((r) => [r.target, r.region])).toEqual([
          ['TrentService.GetPublicKey', DEFAULT_REGION],
        ]);
        expect(stderr).toContain(`cannot read alias/wallet-desk-prod-treasury in ${DEFAULT_REGION}`);
      } finally {
        await endpoint.stop();
      }
    });

    it('takes --region as sst does, and prints the commands with it', async () => {
      const endpoint = await startRefusingEndpoint();
      try {
        const { code, stderr } = await exec(['--stage', 'prod', '--region', 'ap-southeast-1'], {
          AWS_ENDPOINT_URL_KMS: endpoint.url,
        });
        expect(code).toBe(1);
        expect(endpoint.requests.map((r) => r.region)).toEqual(['ap-southeast-1']);
        expect(stderr).toContain('in ap-southeast-1');
      } finally {
        await endpoint.stop();
      }
      const { code, stdout } = await exec(['--stage', 'test', '--region', 'ap-southeast-1']);
      expect(code).toBe(0);
      expect(stdout).toContain(
        `npx sst secrets set TREASURY_ADDRESS ${expected} --stage test --region ap-southeast-1\n`,
      );
    });

    it('exits 1 with one line on stderr and no stack trace when the alias is missing', async () => {
      const { code, stdout, stderr } = await exec(['--stage', 'missing']);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toEqual([expect.stringContaining('alias/wallet-desk-missing-treasury')]);
    });
  });
});
