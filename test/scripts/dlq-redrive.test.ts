import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/index.js';
import { DEFAULT_REGION } from '../../stacks/app.js';
import { startRefusingEndpoint } from '../helpers/aws-endpoint.js';

// The redrive itself is tested against the local SQS in test/core/platform/jobs/sqs-redrive.test.ts;
// here, which region the command talks to when nothing is injected.
const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const SCRIPT = path.join(ROOT, 'scripts/dlq-redrive.ts');

let endpoint: Awaited<ReturnType<typeof startRefusingEndpoint>>;
beforeAll(async () => {
  endpoint = await startRefusingEndpoint();
});
beforeEach(() => {
  endpoint.requests.length = 0;
});
afterAll(() => endpoint?.stop());

/** Runs the script with no AWS_REGION and no AWS config file unless `extra` sets them. */
function exec(argv: string[], extra: Record<string, string> = {}) {
  return promisify(execFile)(TSX, [SCRIPT, ...argv], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_NO_WARNINGS: '1',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_MAX_ATTEMPTS: '1',
      AWS_ENDPOINT_URL_SQS: endpoint.url,
      ...extra,
    },
    timeout: 30_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

const regions = () => [...new Set(endpoint.requests.map((r) => r.region))];

describe('dlq:redrive, run as a command', () => {
  it("asks SQS in the app's region for a deployed stage, whatever AWS_REGION says", async () => {
    const { code, stderr } = await exec(['rpc', '--stage', 'prod'], { AWS_REGION: 'us-west-2' });
    expect(stderr).not.toContain('Region is missing');
    expect(code).toBe(1);
    expect(regions()).toEqual([DEFAULT_REGION]);
    expect(stderr).toMatch(new RegExp(`^dlq:redrive: prod-rpc-dlq in ${DEFAULT_REGION}: `));
  });

  it('takes --region as sst does', async () => {
    const { code } = await exec(['rpc', '--stage', 'prod', '--region', 'ap-southeast-1']);
    expect(code).toBe(1);
    expect(regions()).toEqual(['ap-southeast-1']);
  });

  it("uses the local stack's region for the local stage (the default)", async () => {
    const { code, stderr } = await exec(['rpc']);
    expect(code).toBe(1);
    expect(regions()).toEqual([LOCAL_REGION]);
    expect(stderr).toContain(`local-rpc-dlq in ${LOCAL_REGION}`);
  });

  it('refuses a malformed --region with the usage, asking nothing', async () => {
    const { code, stderr } = await exec(['rpc', '--stage', 'prod', '--region', 'mars']);
    expect(code).toBe(1);
    expect(stderr).toContain('--region must be an AWS region');
    expect(stderr).toContain('usage: npm run dlq:redrive');
    expect(endpoint.requests).toEqual([]);
  });
});
