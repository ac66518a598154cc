import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CiphertextRejectedError,
  KeyServiceError,
  KeyServiceUnavailableError,
  WrongContextError,
} from '../../../../core/platform/keys/errors.js';
import { openIntake, sealForIntake } from '../../../../core/platform/keys/intake.js';
import {
  ed25519PublicKeyFromSpki,
  KmsDataKeys,
  KmsIntakeKey,
  KmsSigningKey,
  translateKmsError,
} from '../../../../core/platform/keys/kms.js';
import { createEnvelopeVault } from '../../../../core/platform/keys/vault.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import { type KmsEmulator, startKmsEmulator } from '../../../../local/kms/index.js';
import { rejection } from '../../../helpers/rejection.js';

let dir: string;
let kms: KmsEmulator;
let client: KMSClient;
const keys = { data: '', otherData: '', intake: '', signer: '' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kms-adapter-'));
  kms = await startKmsEmulator({ dataDir: dir });
  client = new KMSClient({ ...localClientConfig(kms.endpoint), maxAttempts: 1 });
  keys.data = await kms.ensureKey('alias/test-data', 'SYMMETRIC_DEFAULT');
  keys.otherData = await kms.ensureKey('alias/test-data-other', 'SYMMETRIC_DEFAULT');
  keys.intake = await kms.ensureKey('alias/test-intake', 'RSA_2048');
  keys.signer = await kms.ensureKey('alias/test-signer', 'ECC_NIST_EDWARDS25519');
});
afterEach(() => {
  kms.setFault(null);
  kms.resetStats();
});
afterAll(async () => {
  client?.destroy();
  await kms?.stop();
  await rm(dir, { recursive: true, force: true });
});

const alice = { purpose: 'user-secret', ownerId: '1001' };
const bob = { purpose: 'user-secret', ownerId: '1002' };
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

describe('KmsDataKeys', () => {
  it('seals and opens through createEnvelopeVault, one KMS call per data key', async () => {
    const source = new KmsDataKeys({ client, keyId: keys.data });
    const sealer = createEnvelopeVault(source);
    const envelopes = await Promise.all(['a', 'b', 'c'].map((v) => sealer.seal(text(v), alice)));
    const opener = createEnvelopeVault(new KmsDataKeys({ client, keyId: 'alias/test-data' }));
    expect(await Promise.all(envelopes.map(async (e) => str(await opener.open(e, alice))))).toEqual(['a', 'b', 'c']);
    expect(kms.stats()).toEqual({ GenerateDataKey: 1, Decrypt: 1 });
    expect(await rejection(opener.open(envelopes[0]!, bob))).toBeInstanceOf(WrongContextError);
  });

  it('returns a 32-byte key whose encrypted copy decrypts only under its context', async () => {
    const source = new KmsDataKeys({ client, keyId: keys.data });
    const key = await source.generateDataKey(alice);
    expect(key.plaintext).toHaveLength(32);
    expect(Buffer.from(await source.decryptDataKey(key.encrypted, alice)).equals(Buffer.from(key.plaintext))).toBe(
      true,
    );
    for (const context of [bob, { purpose: 'api-key', ownerId: alice.ownerId }]) {
      const error = await rejection(source.decryptDataKey(key.encrypted, context));
      expect(error).toBeInstanceOf(CiphertextRejectedError);
      expect((error as Error).message).toMatch(/^KMS Decrypt rejected the ciphertext: InvalidCiphertextException$/);
    }
  });

  it('rejects an envelope sealed under another key', async () => {
    const envelope = await createEnvelopeVault(new KmsDataKeys({ client, keyId: keys.otherData })).seal(
      text('x'),
      alice,
    );
    const vault = createEnvelopeVault(new KmsDataKeys({ client, keyId: keys.data }));
    expect(await rejection(vault.open(envelope, alice))).toBeInstanceOf(CiphertextRejectedError);
  });

  it('rejects a tampered encrypted data key', async () => {
    const source = new KmsDataKeys({ client, keyId: keys.data });
    const { encrypted } = await source.generateDataKey(alice);
    const copy = Uint8Array.from(encrypted);
    copy[copy.length - 1]! ^= 1;
    expect(await rejection(source.decryptDataKey(copy, alice))).toBeInstanceOf(CiphertextRejectedError);
  });

  it('throws KeyServiceUnavailableError while KMS is unavailable or throttling, and caches nothing', async () => {
    const vault = createEnvelopeVault(new KmsDataKeys({ client, keyId: keys.data }));
    const envelope = await vault.seal(text('x'), alice);
    const opener = createEnvelopeVault(new KmsDataKeys({ client, keyId: keys.data }));
    for (const fault of ['unavailable', 'throttle'] as const) {
      kms.setFault(fault);
      const sealError = await rejection(vault.seal(text('y'), bob));
      expect(sealError, fault).toBeInstanceOf(KeyServiceUnavailableError);
      expect((sealError as KeyServiceUnavailableError).code).toBe('keys.unavailable');
      expect(await rejection(opener.open(envelope, alice)), fault).toBeInstanceOf(KeyServiceUnavailableError);
    }
    kms.setFault(null);
    expect(str(await opener.open(envelope, alice))).toBe('x');
  });

  it('throws KeyServiceUnavailableError when KMS cannot be reached', async () => {
    const unreachable = new KMSClient({ ...localClientConfig('http://127.0.0.1:9'), maxAttempts: 1 });
    try {
      const error = await rejection(new KmsDataKeys({ client: unreachable, keyId: keys.data }).generateDataKey(alice));
      expect(error).toBeInstanceOf(KeyServiceUnavailableError);
    } finally {
      unreachable.destroy();
    }
  });

  it('throws KeyServiceError for a missing key or a key of the wrong kind', async () => {
    const missing = await rejection(
      new KmsDataKeys({ client, keyId: '00000000-0000-4000-8000-000000000000' }).generateDataKey(alice),
    );
    expect(missing).toBeInstanceOf(KeyServiceError);
    expect((missing as KeyServiceError).code).toBe('keys.not_found');
    const aliasMissing = await rejection(new KmsDataKeys({ client, keyId: 'alias/nope' }).generateDataKey(alice));
    expect((aliasMissing as KeyServiceError).code).toBe('keys.not_found');
    const wrongKind = await rejection(new KmsDataKeys({ client, keyId: keys.signer }).generateDataKey(alice));
    expect(wrongKind).toBeInstanceOf(KeyServiceError);
    expect((wrongKind as KeyServiceError).code).toBe('keys.invalid');
  });
});

describe('KmsIntakeKey', () => {
  it('opens what sealForIntake sealed with its public key', async () => {
    const intake = new KmsIntakeKey({ client, keyId: keys.intake });
    const publicKey = await intake.publicKey();
    const sealed = sealForIntake(publicKey, 'sk-live-🔑', alice);
    expect(await openIntake(intake, sealed, alice)).toBe('sk-live-🔑');
    expect(await rejection(openIntake(intake, sealed, bob))).toBeInstanceOf(CiphertextRejectedError);
    await intake.publicKey();
    expect(kms.stats().GetPublicKey).toBe(1);
  });

  it('rejects a value sealed to another RSA key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
    const sealed = sealForIntake(new Uint8Array(other), 'v', alice);
    const intake = new KmsIntakeKey({ client, keyId: keys.intake });
    expect(await rejection(openIntake(intake, sealed, alice))).toBeInstanceOf(CiphertextRejectedError);
  });

  it('refuses a key that is not RSA', async () => {
    const error = await rejection(new KmsIntakeKey({ client, keyId: keys.signer }).publicKey());
    expect((error as KeyServiceError).code).toBe('keys.invalid');
  });

  it('throws KeyServiceUnavailableError while KMS throttles', async () => {
    const intake = new KmsIntakeKey({ client, keyId: keys.intake });
    const sealed = sealForIntake(await intake.publicKey(), 'v', alice);
    kms.setFault('throttle');
    expect(await rejection(openIntake(intake, sealed, alice))).toBeInstanceOf(KeyServiceUnavailableError);
  });
});

describe('KmsSigningKey', () => {
  it('signs with Ed25519 so that node:crypto verifies with the raw public key', async () => {
    const signer = new KmsSigningKey({ client, keyId: keys.signer });
    const raw = await signer.publicKey();
    expect(raw).toHaveLength(32);
    const message = text('transfer 1 SOL');
    const signature = await signer.sign(message);
    expect(signature).toHaveLength(64);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(verify(null, message, publicKey, signature)).toBe(true);
    expect(verify(null, text('transfer 2 SOL'), publicKey, signature)).toBe(false);
  });

  it('fetches the public key once', async () => {
    const signer = new KmsSigningKey({ client, keyId: keys.signer });
    const [a, b] = await Promise.all([signer.publicKey(), signer.publicKey()]);
    a.fill(0); // callers get copies
    expect(Buffer.from(await signer.publicKey()).equals(Buffer.from(b))).toBe(true);
    expect(kms.stats().GetPublicKey).toBe(1);
  });

  it('tries GetPublicKey again after a failure', async () => {
    const signer = new KmsSigningKey({ client, keyId: keys.signer });
    kms.setFault('unavailable');
    expect(await rejection(signer.publicKey())).toBeInstanceOf(KeyServiceUnavailableError);
    kms.setFault(null);
    expect(await signer.publicKey()).toHaveLength(32);
  });

  it('throws KeyServiceUnavailableError while KMS is unavailable', async () => {
    kms.setFault('unavailable');
    const error = await rejection(new KmsSigningKey({ client, keyId: keys.signer }).sign(text('m')));
    expect(error).toBeInstanceOf(KeyServiceUnavailableError);
    expect((error as Error).message).toBe('KMS Sign failed: KMSInternalException');
  });

  it('throws KeyServiceError for a key that cannot sign or does not exist', async () => {
    const wrongKind = await rejection(new KmsSigningKey({ client, keyId: keys.data }).sign(text('m')));
    expect((wrongKind as KeyServiceError).code).toBe('keys.invalid');
    const notEd25519 = await rejection(new KmsSigningKey({ client, keyId: keys.intake }).publicKey());
    expect((notEd25519 as KeyServiceError).code).toBe('keys.invalid');
    const missing = await rejection(new KmsSigningKey({ client, keyId: 'alias/nope' }).sign(text('m')));
    expect((missing as KeyServiceError).code).toBe('keys.not_found');
  });
});

describe('ed25519PublicKeyFromSpki', () => {
  it('returns the 32 bytes after the Ed25519 SPKI prefix', () => {
    const spki = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
    expect(Buffer.from(ed25519PublicKeyFromSpki(new Uint8Array(spki))).equals(spki.subarray(12))).toBe(true);
  });

  it('throws KeyServiceError for anything else', () => {
    const spki = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'der' });
    for (const bad of [spki.subarray(0, 43), Buffer.concat([spki, Buffer.of(0)]), x25519, Buffer.alloc(44)]) {
      expect(() => ed25519PublicKeyFromSpki(new Uint8Array(bad))).toThrow(KeyServiceError);
    }
  });
});

describe('translateKmsError', () => {
  const sdkError = (name: string, status: number | undefined, fault: 'client' | 'server' = 'client') =>
    Object.assign(new Error('detail that must not be repeated'), {
      name,
      $fault: fault,
      ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
    });

  it('maps refusals KMS cannot be made to send locally to stable codes', () => {
    const cases: [Error, string][] = [
      [sdkError('DisabledException', 400), 'keys.disabled'],
      [sdkError('KMSInvalidStateException', 400), 'keys.disabled'],
      [sdkError('AccessDeniedException', 400), 'keys.denied'],
      [sdkError('SomethingNew', 403), 'keys.denied'],
      [sdkError('SomethingNew', 400), 'keys.invalid'],
      [sdkError('IncorrectKeyException', 400), 'vault.rejected'],
      [sdkError('DependencyTimeoutException', 500, 'server'), 'keys.unavailable'],
      [sdkError('SomethingNew', 502, 'server'), 'keys.unavailable'],
      [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'keys.unavailable'],
      [sdkError('TimeoutError', undefined), 'keys.unavailable'],
    ];
    for (const [error, code] of cases) {
      const translated = translateKmsError('Decrypt', error);
      expect(translated.code, error.name).toBe(code);
      expect(translated.cause).toBe(error);
      expect(translated.message).not.toContain('detail');
    }
  });
});
