import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ParameterReader, resolveSecrets, ssmReader } from '../../functions/lib/secrets.js';

/** SSM cannot run here: a reader answering from a map, recording the names asked. */
function fakeReader(values: Record<string, string>) {
  const asked: string[][] = [];
  const read: ParameterReader = async (names) => {
    asked.push(names);
    return new Map(names.filter((n) => n in values).map((n) => [n, values[n]!]));
  };
  return { asked, read };
}

describe('resolveSecrets', () => {
  it('keeps plain values and makes no call when nothing is a marker', async () => {
    const ssm = fakeReader({});
    const env = await resolveSecrets({ SST_Secret_value_TELEGRAM_BOT_TOKEN: 'plain' }, ssm.read);
    expect(env.SST_Secret_value_TELEGRAM_BOT_TOKEN).toBe('plain');
    expect(ssm.asked).toEqual([]);
  });

  it('fetches markers from the stage path, then the app fallback', async () => {
    const ssm = fakeReader({
      '/sst/desk/prod/Secret/TELEGRAM_BOT_TOKEN/value': 'tok',
      '/sst/desk/.fallback/Secret/TELEGRAM_WEBHOOK_SECRET/value': 'sec',
    });
    const env = await resolveSecrets(
      {
        SST_APP: 'desk',
        SST_SSM_PREFIX: '/sst/desk/prod/',
        SST_Secret_value_TELEGRAM_BOT_TOKEN: '__FETCH_FROM_SSM__',
        SST_Secret_value_TELEGRAM_WEBHOOK_SECRET: '__FETCH_FROM_SSM__',
      },
      ssm.read,
    );
    expect(env.SST_Secret_value_TELEGRAM_BOT_TOKEN).toBe('tok');
    expect(env.SST_Secret_value_TELEGRAM_WEBHOOK_SECRET).toBe('sec');
    expect(ssm.asked).toEqual([
      ['/sst/desk/prod/Secret/TELEGRAM_BOT_TOKEN/value', '/sst/desk/prod/Secret/TELEGRAM_WEBHOOK_SECRET/value'],
      ['/sst/desk/.fallback/Secret/TELEGRAM_WEBHOOK_SECRET/value'],
    ]);
  });

  it('names the secrets that are not set, with the command to set them', async () => {
    await expect(
      resolveSecrets(
        { SST_APP: 'desk', SST_SSM_PREFIX: '/p/', SST_Secret_value_TELEGRAM_BOT_USERNAME: '__FETCH_FROM_SSM__' },
        fakeReader({}).read,
      ),
    ).rejects.toThrow(/TELEGRAM_BOT_USERNAME.*sst secrets set/);
  });
});

describe('ssmReader', () => {
  let received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let status = 200;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const names = (JSON.parse(body) as { Names: string[] }).Names;
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify(
          status === 200
            ? { Parameters: [{ Name: names[0], Value: 'v1' }], InvalidParameters: names.slice(1) }
            : { __type: 'AccessDenied' },
        ),
      );
    });
  });
  let env: Record<string, string>;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    env = {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_SESSION_TOKEN: 'session-token-example',
      AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    };
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends one SigV4-signed GetParameters request with decryption and returns the found values', async () => {
    received = [];
    const found = await ssmReader(env)(['/a', '/b']);
    expect([...found]).toEqual([['/a', 'v1']]);
    const [request] = received;
    expect(request?.headers['x-amz-target']).toBe('AmazonSSM.GetParameters');
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/ssm\/aws4_request, SignedHeaders=.*x-amz-target.*, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers['x-amz-security-token']).toBe('session-token-example');
    expect(JSON.parse(request?.body ?? '{}')).toEqual({ Names: ['/a', '/b'], WithDecryption: true });
  });

  it('fails with a clear error, without the credentials, when SSM refuses', async () => {
    status = 400;
    const error = await ssmReader(env)(['/a']).catch((e: unknown) => e);
    status = 200;
    expect(String(error)).toContain('HTTP 400');
    expect(String(error)).not.toContain(env.AWS_SECRET_ACCESS_KEY);
  });

  it('refuses to run without credentials', async () => {
    await expect(ssmReader({ AWS_REGION: 'eu-west-1' })(['/a'])).rejects.toThrow(/credentials/);
  });
});
