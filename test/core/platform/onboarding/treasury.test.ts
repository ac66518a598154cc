import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase58, treasuryAddress } from '../../../../core/desk/solana/index.js';
import type { AppError } from '../../../../core/platform/errors.js';
import { KmsSigningKey } from '../../../../core/platform/keys/index.js';
import { KmsTreasuryKeys } from '../../../../core/platform/onboarding/index.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import { type KmsEmulator, startKmsEmulator } from '../../../../local/kms/index.js';
import { rejection } from '../../../helpers/rejection.js';

let kms: KmsEmulator;
let client: KMSClient;
let keys: KmsTreasuryKeys;

beforeAll(async () => {
  kms = await startKmsEmulator();
  client = new KMSClient({ ...localClientConfig(kms.endpoint), maxAttempts: 1 });
  keys = new KmsTreasuryKeys({ client, aliasPrefix: 'alias/app-test-tenant-', addressOf: treasuryAddress });
});
afterEach(() => {
  kms.setFault(null);
  kms.resetStats();
});
afterAll(async () => {
  client?.destroy();
  await kms?.stop();
});

describe('KmsTreasuryKeys', () => {
  it("creates the tenant's own Ed25519 key, described with the tenant, under its alias, and gives its base58 address", async () => {
    const treasury = await keys.ensure('5001');
    const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: 'alias/app-test-tenant-5001' }));
    expect(KeyMetadata?.KeyId).toBe(treasury.keyId);
    expect(KeyMetadata?.KeySpec).toBe('ECC_NIST_EDWARDS25519');
    expect(KeyMetadata?.KeyUsage).toBe('SIGN_VERIFY');
    expect(KeyMetadata?.Description).toBe('Treasury of tenant 5001');
    const publicKey = await new KmsSigningKey({ client, keyId: treasury.keyId }).publicKey();
    expect(decodeBase58(treasury.address)).toEqual(publicKey);
  });

  it('gives the same key again on a retry, and another key to another tenant', async () => {
    const first = await keys.ensure('5002');
    kms.resetStats();
    expect(await keys.ensure('5002')).toEqual(first);
    expect(kms.stats().CreateKey).toBeUndefined();
    const other = await keys.ensure('5003');
    expect(other.keyId).not.toBe(first.keyId);
    expect(other.address).not.toBe(first.address);
  });

  it('concurrent first calls agree on one key', async () => {
    const [a, b] = await Promise.all([keys.ensure('5004'), keys.ensure('5004')]);
    expect(a).toEqual(b);
  });

  it('fails as keys.unavailable when KMS is down, and as keys.invalid when the alias names a key of another kind', async () => {
    kms.setFault('unavailable');
    expect(((await rejection(keys.ensure('5005'))) as AppError).code).toBe('keys.unavailable');
    kms.setFault(null);
    await kms.ensureKey('alias/app-test-tenant-5006', 'SYMMETRIC_DEFAULT');
    expect(((await rejection(keys.ensure('5006'))) as AppError).code).toBe('keys.invalid');
  });
});
