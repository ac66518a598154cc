import { afterEach, describe, expect, it } from 'vitest';
import { defaultProvider } from '../../functions/lib/aws-credentials.js';

const NAMES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;
const saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const name of NAMES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('the functions’ credential provider (stands in for the default chain)', () => {
  it('gives the execution role’s credentials Lambda puts in the environment', async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 's3cr3t',
      AWS_SESSION_TOKEN: 'tok',
    });
    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 's3cr3t',
      sessionToken: 'tok',
    });
  });

  it('fails clearly, and looks nowhere else, when the environment has none', async () => {
    for (const name of NAMES) delete process.env[name];
    await expect(defaultProvider()()).rejects.toThrow(/environment variable credentials/);
  });
});
