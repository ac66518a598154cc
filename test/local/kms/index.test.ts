import { constants, createPublicKey, publicEncrypt, randomBytes, verify as verifySignature } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  type CreateKeyCommandInput,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type KmsEmulator, startKmsEmulator } from '../../../local/kms/index.js';

const ACCOUNT = '000000000000';

function clientFor(endpoint: string): KMSClient {
  return new KMSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
}

/** The error a call rejects with (fails the test when it resolves). */
async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $fault?: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $fault?: string };
  }
  throw new Error('expected the call to fail');
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

let dir: string;
let kms: KmsEmulator;
let client: KMSClient;
let symmetricId: string;
let otherSymmetricId: string;
let rsaId: string;
let edId: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kms-test-'));
  kms = await startKmsEmulator({ dataDir: join(dir, 'main') });
  client = clientFor(kms.endpoint);
  const create = async (input: CreateKeyCommandInput) => {
    const { KeyMetadata } = await client.send(new CreateKeyCommand(input));
    return KeyMetadata!.KeyId!;
  };
  symmetricId = await create({ Description: 'secrets' });
  otherSymmetricId = await create({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
  rsaId = await create({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
  edId = await create({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' });
  await client.send(new CreateAliasCommand({ AliasName: 'alias/secrets', TargetKeyId: symmetricId }));
});

afterAll(async () => {
  client?.destroy();
  await kms?.stop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  kms.setFault(null);
});

describe('KmsEmulator', () => {
  describe('keys and aliases', () => {
    it('describes each key spec with the metadata KMS returns', async () => {
      const describeKey = async (id: string) => (await client.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!;
      const symmetric = await describeKey(symmetricId);
      expect(symmetric).toMatchObject({
        KeyId: symmetricId,
        Arn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${symmetricId}`,
        KeySpec: 'SYMMETRIC_DEFAULT',
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeyState: 'Enabled',
        Enabled: true,
        Description: 'secrets',
        EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      });
      expect(symmetric.CreationDate).toBeInstanceOf(Date);
      expect(symmetric.SigningAlgorithms).toBeUndefined();
      expect(symmetricId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

      expect(await describeKey(rsaId)).toMatchObject({
        KeySpec: 'RSA_2048',
        KeyUsage: 'ENCRYPT_DECRYPT',
        EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'],
      });
      expect(await describeKey(edId)).toMatchObject({
        KeySpec: 'ECC_NIST_EDWARDS25519',
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'],
      });
    });

    it('rejects key spec and usage combinations KMS rejects with ValidationException', async () => {
      // Ed25519 keys sign only, and KeyUsage defaults to ENCRYPT_DECRYPT.
      const edDefault = await failure(client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519' })));
      expect(edDefault.name).toBe('ValidationException');
      const symmetricSign = await failure(
        client.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'SIGN_VERIFY' })),
      );
      expect(symmetricSign.name).toBe('ValidationException');
    });

    it('resolves a key by id, key ARN, alias name and alias ARN', async () => {
      const refs = [
        symmetricId,
        `arn:aws:kms:us-east-1:${ACCOUNT}:key/${symmetricId}`,
        'alias/secrets',
        `arn:aws:kms:us-east-1:${ACCOUNT}:alias/secrets`,
      ];
      for (const ref of refs) {
        const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: ref }));
        expect(KeyMetadata?.KeyId).toBe(symmetricId);
      }
    });

    it('answers NotFoundException for unknown keys and aliases', async () => {
      for (const ref of [
        '11111111-2222-4333-8444-555555555555',
        'alias/missing',
        `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${symmetricId}`,
      ]) {
        const error = await failure(client.send(new DescribeKeyCommand({ KeyId: ref })));
        expect(error.name).toBe('NotFoundException');
      }
    });

    it('enforces alias naming and uniqueness', async () => {
      const duplicate = await failure(
        client.send(new CreateAliasCommand({ AliasName: 'alias/secrets', TargetKeyId: otherSymmetricId })),
      );
      expect(duplicate.name).toBe('AlreadyExistsException');
      for (const name of ['secrets2', 'alias/aws/reserved', 'alias/bad name']) {
        const error = await failure(client.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: symmetricId })));
        expect(error.name).toBe('ValidationException');
      }
    });

    it('lists aliases, filtered by key', async () => {
      await client.send(new CreateAliasCommand({ AliasName: 'alias/rsa-intake', TargetKeyId: rsaId }));
      const all = await client.send(new ListAliasesCommand({}));
      expect(all.Truncated).toBe(false);
      expect(all.Aliases?.map((alias) => alias.AliasName)).toEqual(
        expect.arrayContaining(['alias/secrets', 'alias/rsa-intake']),
      );
      const filtered = await client.send(new ListAliasesCommand({ KeyId: rsaId }));
      expect(filtered.Aliases).toEqual([
        expect.objectContaining({
          AliasName: 'alias/rsa-intake',
          AliasArn: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/rsa-intake`,
          TargetKeyId: rsaId,
        }),
      ]);
    });
  });

  describe('symmetric encryption', () => {
    const context = { purpose: 'user-secret', ownerId: '42' };

    async function encrypt(plaintext: Uint8Array, encryptionContext?: Record<string, string>) {
      const { CiphertextBlob } = await client.send(
        new EncryptCommand({ KeyId: 'alias/secrets', Plaintext: plaintext, EncryptionContext: encryptionContext }),
      );
      return CiphertextBlob!;
    }

    it('decrypts what it encrypted, without a KeyId and whatever the context key order', async () => {
      const plaintext = bytes('the seed phrase');
      const encrypted = await client.send(
        new EncryptCommand({ KeyId: 'alias/secrets', Plaintext: plaintext, EncryptionContext: context }),
      );
      expect(encrypted.KeyId).toBe(`arn:aws:kms:us-east-1:${ACCOUNT}:key/${symmetricId}`);
      expect(encrypted.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
      expect(Buffer.from(encrypted.CiphertextBlob!).includes(Buffer.from(plaintext))).toBe(false);
      const decrypted = await client.send(
        new DecryptCommand({
          CiphertextBlob: encrypted.CiphertextBlob,
          EncryptionContext: { ownerId: '42', purpose: 'user-secret' },
        }),
      );
      expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(plaintext));
      expect(decrypted.KeyId).toBe(encrypted.KeyId);
    });

    it('fails with InvalidCiphertextException when the context differs or is missing', async () => {
      const blob = await encrypt(bytes('secret'), context);
      const contexts: (Record<string, string> | undefined)[] = [
        { purpose: 'user-secret', ownerId: '43' },
        { purpose: 'user-secret' },
        undefined,
      ];
      for (const EncryptionContext of contexts) {
        const error = await failure(client.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext })));
        expect(error.name).toBe('InvalidCiphertextException');
      }
      const noContext = await encrypt(bytes('secret'));
      const extra = await failure(
        client.send(new DecryptCommand({ CiphertextBlob: noContext, EncryptionContext: context })),
      );
      expect(extra.name).toBe('InvalidCiphertextException');
    });

    it('rejects a tampered ciphertext with InvalidCiphertextException', async () => {
      const blob = await encrypt(bytes('secret'), context);
      for (const index of [0, 10, blob.length - 20, blob.length - 1]) {
        const tampered = Uint8Array.from(blob);
        tampered[index] = tampered[index]! ^ 0x01;
        const error = await failure(
          client.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: context })),
        );
        expect(error.name).toBe('InvalidCiphertextException');
      }
      const garbage = await failure(client.send(new DecryptCommand({ CiphertextBlob: randomBytes(64) })));
      expect(garbage.name).toBe('InvalidCiphertextException');
    });

    it('fails with IncorrectKeyException when KeyId names another key', async () => {
      const blob = await encrypt(bytes('secret'), context);
      const error = await failure(
        client.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: otherSymmetricId, EncryptionContext: context })),
      );
      expect(error.name).toBe('IncorrectKeyException');
      const right = await client.send(
        new DecryptCommand({ CiphertextBlob: blob, KeyId: 'alias/secrets', EncryptionContext: context }),
      );
      expect(Buffer.from(right.Plaintext!).toString()).toBe('secret');
    });

    it('refuses plaintexts over 4096 bytes with ValidationException', async () => {
      expect((await encrypt(new Uint8Array(4096))).length).toBeGreaterThan(4096);
      const error = await failure(encrypt(new Uint8Array(4097)));
      expect(error.name).toBe('ValidationException');
    });

    it('generates data keys whose encrypted copy decrypts under the same context', async () => {
      const dataKey = await client.send(
        new GenerateDataKeyCommand({ KeyId: 'alias/secrets', KeySpec: 'AES_256', EncryptionContext: context }),
      );
      expect(dataKey.Plaintext).toHaveLength(32);
      expect(dataKey.KeyId).toBe(`arn:aws:kms:us-east-1:${ACCOUNT}:key/${symmetricId}`);
      const decrypted = await client.send(
        new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context }),
      );
      expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(dataKey.Plaintext!));
      const wrong = await failure(
        client.send(
          new DecryptCommand({
            CiphertextBlob: dataKey.CiphertextBlob,
            EncryptionContext: { ...context, ownerId: '7' },
          }),
        ),
      );
      expect(wrong.name).toBe('InvalidCiphertextException');

      const small = await client.send(new GenerateDataKeyCommand({ KeyId: symmetricId, NumberOfBytes: 16 }));
      expect(small.Plaintext).toHaveLength(16);
      const aes128 = await client.send(new GenerateDataKeyCommand({ KeyId: symmetricId, KeySpec: 'AES_128' }));
      expect(aes128.Plaintext).toHaveLength(16);
    });

    it('generates data keys without plaintext', async () => {
      const dataKey = await client.send(
        new GenerateDataKeyWithoutPlaintextCommand({
          KeyId: symmetricId,
          KeySpec: 'AES_256',
          EncryptionContext: context,
        }),
      );
      expect((dataKey as { Plaintext?: unknown }).Plaintext).toBeUndefined();
      const decrypted = await client.send(
        new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context }),
      );
      expect(decrypted.Plaintext).toHaveLength(32);
    });

    it('asks for exactly one of NumberOfBytes and KeySpec', async () => {
      for (const input of [{}, { NumberOfBytes: 32, KeySpec: 'AES_256' as const }, { NumberOfBytes: 2048 }]) {
        const error = await failure(client.send(new GenerateDataKeyCommand({ KeyId: symmetricId, ...input })));
        expect(error.name).toBe('ValidationException');
      }
    });
  });

  describe('key usage', () => {
    it('answers InvalidKeyUsageException when the key cannot do the operation', async () => {
      const calls = [
        client.send(new SignCommand({ KeyId: symmetricId, Message: bytes('m'), SigningAlgorithm: 'ED25519_SHA_512' })),
        client.send(new GenerateDataKeyCommand({ KeyId: rsaId, KeySpec: 'AES_256' })),
        client.send(new EncryptCommand({ KeyId: edId, Plaintext: bytes('m') })),
        client.send(
          new EncryptCommand({ KeyId: symmetricId, Plaintext: bytes('m'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
        ),
        client.send(new SignCommand({ KeyId: edId, Message: bytes('m'), SigningAlgorithm: 'ECDSA_SHA_256' })),
      ];
      for (const call of calls) expect((await failure(call)).name).toBe('InvalidKeyUsageException');
    });

    it('has no public key for a symmetric key', async () => {
      const error = await failure(client.send(new GetPublicKeyCommand({ KeyId: symmetricId })));
      expect(error.name).toBe('UnsupportedOperationException');
    });
  });

  describe('RSA_2048 keys', () => {
    async function publicKey() {
      const response = await client.send(new GetPublicKeyCommand({ KeyId: rsaId }));
      return { response, key: createPublicKey({ key: Buffer.from(response.PublicKey!), format: 'der', type: 'spki' }) };
    }

    it('publishes its public key as SubjectPublicKeyInfo', async () => {
      const { response, key } = await publicKey();
      expect(response).toMatchObject({
        KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${rsaId}`,
        KeySpec: 'RSA_2048',
        KeyUsage: 'ENCRYPT_DECRYPT',
        EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'],
      });
      expect(key.asymmetricKeyType).toBe('rsa');
      expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    });

    it('decrypts RSAES_OAEP_SHA_256 ciphertexts made outside KMS with the public key', async () => {
      const { key } = await publicKey();
      const secret = bytes('intake: api key');
      const ciphertext = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, secret);
      const decrypted = await client.send(
        new DecryptCommand({
          KeyId: 'alias/rsa-intake',
          CiphertextBlob: ciphertext,
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      );
      expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(secret));
      expect(decrypted.EncryptionAlgorithm).toBe('RSAES_OAEP_SHA_256');

      const sha1 = await failure(
        client.send(
          new DecryptCommand({ KeyId: rsaId, CiphertextBlob: ciphertext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }),
        ),
      );
      expect(sha1.name).toBe('InvalidCiphertextException');
    });

    it('encrypts with RSAES_OAEP_SHA_256 and decrypts it back', async () => {
      const encrypted = await client.send(
        new EncryptCommand({ KeyId: rsaId, Plaintext: bytes('hello'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
      );
      expect(encrypted.CiphertextBlob).toHaveLength(256);
      const decrypted = await client.send(
        new DecryptCommand({
          KeyId: rsaId,
          CiphertextBlob: encrypted.CiphertextBlob,
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      );
      expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('hello');
    });

    it('requires an EncryptionAlgorithm (ValidationException)', async () => {
      const encrypt = await failure(client.send(new EncryptCommand({ KeyId: rsaId, Plaintext: bytes('hello') })));
      expect(encrypt.name).toBe('ValidationException');
      const decrypt = await failure(
        client.send(new DecryptCommand({ KeyId: rsaId, CiphertextBlob: randomBytes(256) })),
      );
      expect(decrypt.name).toBe('ValidationException');
    });
  });

  describe('ECC_NIST_EDWARDS25519 keys', () => {
    const message = bytes('solana transaction message');

    async function publicKey() {
      const { PublicKey, SigningAlgorithms, KeyUsage } = await client.send(new GetPublicKeyCommand({ KeyId: edId }));
      return {
        der: Buffer.from(PublicKey!),
        SigningAlgorithms,
        KeyUsage,
        key: createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' }),
      };
    }

    it('publishes a 44-byte Ed25519 SubjectPublicKeyInfo', async () => {
      const { der, key, SigningAlgorithms, KeyUsage } = await publicKey();
      expect(der).toHaveLength(44);
      expect(key.asymmetricKeyType).toBe('ed25519');
      expect(SigningAlgorithms).toEqual(['ED25519_SHA_512', 'ED25519_PH_SHA_512']);
      expect(KeyUsage).toBe('SIGN_VERIFY');
    });

    it('signs raw messages with pure Ed25519, verifiable by node:crypto', async () => {
      const signed = await client.send(
        new SignCommand({ KeyId: edId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }),
      );
      expect(signed.Signature).toHaveLength(64);
      expect(signed.SigningAlgorithm).toBe('ED25519_SHA_512');
      const { key } = await publicKey();
      expect(verifySignature(null, message, key, signed.Signature!)).toBe(true);
      expect(verifySignature(null, bytes('another message'), key, signed.Signature!)).toBe(false);
    });

    it('verifies valid signatures and rejects invalid ones with KMSInvalidSignatureException', async () => {
      const { Signature } = await client.send(
        new SignCommand({ KeyId: edId, Message: message, SigningAlgorithm: 'ED25519_SHA_512' }),
      );
      const valid = await client.send(
        new VerifyCommand({ KeyId: edId, Message: message, Signature, SigningAlgorithm: 'ED25519_SHA_512' }),
      );
      expect(valid.SignatureValid).toBe(true);
      const otherMessage = await failure(
        client.send(
          new VerifyCommand({
            KeyId: edId,
            Message: bytes('tampered'),
            Signature,
            SigningAlgorithm: 'ED25519_SHA_512',
          }),
        ),
      );
      expect(otherMessage.name).toBe('KMSInvalidSignatureException');
      const shortSignature = await failure(
        client.send(
          new VerifyCommand({
            KeyId: edId,
            Message: message,
            Signature: randomBytes(10),
            SigningAlgorithm: 'ED25519_SHA_512',
          }),
        ),
      );
      expect(shortSignature.name).toBe('KMSInvalidSignatureException');
    });

    it('mirrors KMS message type rules with ValidationException', async () => {
      const digest = randomBytes(64);
      const cases = [
        { MessageType: 'DIGEST' as const, SigningAlgorithm: 'ED25519_SHA_512' as const },
        { MessageType: 'EXTERNAL_MU' as const, SigningAlgorithm: 'ED25519_SHA_512' as const },
        { MessageType: 'RAW' as const, SigningAlgorithm: 'ED25519_PH_SHA_512' as const },
      ];
      for (const input of cases) {
        const error = await failure(client.send(new SignCommand({ KeyId: edId, Message: digest, ...input })));
        expect(error.name).toBe('ValidationException');
      }
    });
  });

  describe('persistence', () => {
    it('keeps keys across a restart with the same data directory', async () => {
      const dataDir = join(dir, 'persist');
      const first = await startKmsEmulator({ dataDir });
      const firstClient = clientFor(first.endpoint);
      const symmetric = await first.ensureKey('alias/data', 'SYMMETRIC_DEFAULT');
      const signing = await first.ensureKey('alias/treasury', 'ECC_NIST_EDWARDS25519');
      const context = { purpose: 'user-secret', ownerId: '1' };
      const { CiphertextBlob } = await firstClient.send(
        new EncryptCommand({ KeyId: 'alias/data', Plaintext: bytes('kept'), EncryptionContext: context }),
      );
      const before = await firstClient.send(new GetPublicKeyCommand({ KeyId: 'alias/treasury' }));
      firstClient.destroy();
      await first.stop();

      const file = await stat(join(dataDir, 'kms-keys.json'));
      expect(file.mode & 0o777).toBe(0o600);
      expect((await readdir(dataDir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);

      const second = await startKmsEmulator({ dataDir });
      const secondClient = clientFor(second.endpoint);
      try {
        expect(await second.ensureKey('alias/data', 'SYMMETRIC_DEFAULT')).toBe(symmetric);
        expect(await second.ensureKey('alias/treasury', 'ECC_NIST_EDWARDS25519')).toBe(signing);
        const decrypted = await secondClient.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
        expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('kept');
        const after = await secondClient.send(new GetPublicKeyCommand({ KeyId: signing }));
        expect(Buffer.from(after.PublicKey!)).toEqual(Buffer.from(before.PublicKey!));
      } finally {
        secondClient.destroy();
        await second.stop();
      }
    });

    it('forgets keys on restart without a data directory', async () => {
      const first = await startKmsEmulator();
      const id = await first.ensureKey('alias/ephemeral', 'SYMMETRIC_DEFAULT');
      await first.stop();
      const second = await startKmsEmulator();
      const secondClient = clientFor(second.endpoint);
      try {
        const error = await failure(secondClient.send(new DescribeKeyCommand({ KeyId: id })));
        expect(error.name).toBe('NotFoundException');
      } finally {
        secondClient.destroy();
        await second.stop();
      }
    });
  });

  describe('ensureKey', () => {
    it('creates the key once and returns the same id afterwards, even when called concurrently', async () => {
      const ids = await Promise.all([kms.ensureKey('alias/once', 'RSA_2048'), kms.ensureKey('alias/once', 'RSA_2048')]);
      expect(ids[0]).toBe(ids[1]);
      expect(await kms.ensureKey('alias/once', 'RSA_2048')).toBe(ids[0]);
      const { Aliases } = await client.send(new ListAliasesCommand({ KeyId: ids[0] }));
      expect(Aliases?.map((alias) => alias.AliasName)).toEqual(['alias/once']);
      const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: 'alias/once' }));
      expect(KeyMetadata?.KeySpec).toBe('RSA_2048');
    });

    it('throws when the alias names a key of another spec', async () => {
      await expect(kms.ensureKey('alias/secrets', 'ECC_NIST_EDWARDS25519')).rejects.toThrow(
        /not ECC_NIST_EDWARDS25519/,
      );
    });
  });

  describe('faults and stats', () => {
    it('answers a server fault while unavailable, and serves again once cleared', async () => {
      kms.setFault('unavailable');
      const error = await failure(client.send(new DescribeKeyCommand({ KeyId: symmetricId })));
      expect(error.$fault).toBe('server');
      expect(error.$metadata?.httpStatusCode).toBe(503);
      kms.setFault(null);
      const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: symmetricId }));
      expect(KeyMetadata?.KeyId).toBe(symmetricId);
    });

    it('answers ThrottlingException while throttling', async () => {
      kms.setFault('throttle');
      const error = await failure(client.send(new EncryptCommand({ KeyId: symmetricId, Plaintext: bytes('x') })));
      expect(error.name).toBe('ThrottlingException');
      expect(error.$fault).toBe('client');
    });

    it('counts requests per operation, faults included, until reset', async () => {
      kms.resetStats();
      await client.send(new DescribeKeyCommand({ KeyId: symmetricId }));
      kms.setFault('throttle');
      await failure(client.send(new DescribeKeyCommand({ KeyId: symmetricId })));
      kms.setFault(null);
      await failure(client.send(new DescribeKeyCommand({ KeyId: 'alias/missing' })));
      await client.send(new ListAliasesCommand({}));
      expect(kms.stats()).toEqual({ DescribeKey: 3, ListAliases: 1 });
      kms.resetStats();
      expect(kms.stats()).toEqual({});
    });
  });

  describe('protocol', () => {
    async function post(target: string, body: string) {
      const response = await fetch(kms.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
        body,
      });
      return {
        status: response.status,
        type: response.headers.get('x-amzn-errortype'),
        body: (await response.json()) as { __type?: string; message?: string },
      };
    }

    it('answers UnsupportedOperationException to operations it does not emulate', async () => {
      const error = await failure(client.send(new ScheduleKeyDeletionCommand({ KeyId: symmetricId })));
      expect(error.name).toBe('UnsupportedOperationException');
      const raw = await post('TrentService.ReEncrypt', '{}');
      expect(raw).toMatchObject({
        status: 400,
        type: 'UnsupportedOperationException',
        body: { __type: 'UnsupportedOperationException' },
      });
    });

    it('answers malformed bodies with SerializationException or ValidationException', async () => {
      expect((await post('TrentService.DescribeKey', '{not json')).body.__type).toBe('SerializationException');
      expect((await post('TrentService.DescribeKey', '[]')).body.__type).toBe('SerializationException');
      expect((await post('TrentService.DescribeKey', '{"KeyId":5}')).body.__type).toBe('SerializationException');
      expect((await post('TrentService.Encrypt', '{"KeyId":"alias/secrets","Plaintext":"%%"}')).body.__type).toBe(
        'SerializationException',
      );
      const missing = await post('TrentService.DescribeKey', '{}');
      expect(missing).toMatchObject({
        status: 400,
        type: 'ValidationException',
        body: { __type: 'ValidationException' },
      });
      expect(missing.body.message).toMatch(/KeyId/);
      expect(
        (await post('TrentService.Sign', `{"KeyId":"${edId}","Message":"AA==","SigningAlgorithm":"NOPE"}`)).body.__type,
      ).toBe('ValidationException');
    });
  });
});
