import { constants, generateKeyPairSync, type KeyObject, privateDecrypt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, ValidationError } from '../../../../core/platform/errors.js';
import { CiphertextRejectedError, KeyServiceUnavailableError } from '../../../../core/platform/keys/errors.js';
import { openIntake, parseIntakePublicKey, sealForIntake } from '../../../../core/platform/keys/intake.js';
import type { IntakeKeyService } from '../../../../core/platform/keys/ports.js';
import { rejection } from '../../../helpers/rejection.js';

/** The intake key's private half, as KMS would use it: RSAES_OAEP_SHA_256, failures as rejections. */
class FakeIntakeKey implements IntakeKeyService {
  calls = 0;
  failure: Error | undefined;
  readonly publicDer: Uint8Array;
  private readonly privateKey: KeyObject;

  constructor(bits = 2048) {
    const pair = generateKeyPairSync('rsa', { modulusLength: bits });
    this.privateKey = pair.privateKey;
    this.publicDer = new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }));
  }

  async decrypt(ciphertext: Uint8Array): Promise<Uint8Array> {
    this.calls++;
    if (this.failure) throw this.failure;
    try {
      return new Uint8Array(
        privateDecrypt(
          { key: this.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
          ciphertext,
        ),
      );
    } catch (error) {
      throw new CiphertextRejectedError('fake KMS Decrypt rejected the ciphertext', { cause: error });
    }
  }
}

const intake = new FakeIntakeKey();
const alice = { purpose: 'api-key', ownerId: '1001' };

const toText = (bytes: Uint8Array) => `in1:${Buffer.from(bytes).toString('base64')}`;
const fromText = (text: string) => new Uint8Array(Buffer.from(text.slice(4), 'base64'));

describe('sealForIntake', () => {
  it('round-trips through openIntake', async () => {
    for (const value of ['sk-live-123', '', 'ключ 🔑 ✓', 'é'.repeat(2048)]) {
      const sealed = sealForIntake(intake.publicDer, value, alice);
      expect(sealed.startsWith('in1:')).toBe(true);
      expect(await openIntake(intake, sealed, alice)).toBe(value);
    }
  });

  it('works with a 3072-bit key', async () => {
    const big = new FakeIntakeKey(3072);
    expect(await openIntake(big, sealForIntake(big.publicDer, 'v', alice), alice)).toBe('v');
  });

  it('makes a different ciphertext each time', () => {
    expect(sealForIntake(intake.publicDer, 'v', alice)).not.toBe(sealForIntake(intake.publicDer, 'v', alice));
  });

  it('refuses values over 4,096 UTF-8 bytes', () => {
    expect(() => sealForIntake(intake.publicDer, 'x'.repeat(4096), alice)).not.toThrow();
    for (const value of ['x'.repeat(4097), 'é'.repeat(2049)]) {
      try {
        sealForIntake(intake.publicDer, value, alice);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).code).toBe('vault.too_large');
      }
    }
  });

  it('refuses text with lone surrogates and invalid contexts', () => {
    expect(() => sealForIntake(intake.publicDer, 'a\uD800b', alice)).toThrow(
      expect.objectContaining({ code: 'vault.invalid_text' }),
    );
    expect(() => sealForIntake(intake.publicDer, 'v', { purpose: 'p', ownerId: '' })).toThrow(
      expect.objectContaining({ code: 'vault.invalid_context' }),
    );
  });

  it('refuses a public key that is not RSA of at least 2048 bits', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    for (const der of [new Uint8Array(ec), new Uint8Array([1, 2, 3])]) {
      expect(() => sealForIntake(der, 'v', alice)).toThrow(ConfigError);
    }
  });
});

describe('openIntake', () => {
  it('rejects another owner or purpose', async () => {
    const sealed = sealForIntake(intake.publicDer, 'secret', alice);
    for (const context of [
      { ...alice, ownerId: '1002' },
      { ...alice, purpose: 'user-secret' },
    ]) {
      expect(await rejection(openIntake(intake, sealed, context))).toBeInstanceOf(CiphertextRejectedError);
    }
  });

  it('rejects every single-byte change', async () => {
    const bytes = fromText(sealForIntake(intake.publicDer, 'secret value', alice));
    for (let i = 0; i < bytes.length; i++) {
      const copy = Uint8Array.from(bytes);
      copy[i]! ^= 0x01;
      const error = await rejection(openIntake(intake, toText(copy), alice));
      expect(error, `byte ${i}`).toBeInstanceOf(CiphertextRejectedError);
      expect((error as Error).message).not.toContain('secret value');
    }
  });

  it('rejects every truncation', async () => {
    const bytes = fromText(sealForIntake(intake.publicDer, 'secret', alice));
    for (let length = 0; length < bytes.length; length++) {
      const error = await rejection(openIntake(intake, toText(bytes.subarray(0, length)), alice));
      expect(error, `length ${length}`).toBeInstanceOf(CiphertextRejectedError);
    }
  });

  it('rejects malformed text without asking the key service', async () => {
    const sealed = sealForIntake(intake.publicDer, 'secret', alice);
    const bytes = fromText(sealed);
    const badLength = Uint8Array.from(bytes);
    badLength[1] = 0xff; // 255-byte RSA ciphertext: no such key size
    const before = intake.calls;
    for (const bad of [
      '',
      'in1:',
      sealed.slice(4),
      sealed.replace('in1:', 'in2:'),
      `${sealed} `,
      sealed.replace('in1:', 'wd1:'),
      toText(badLength),
      42 as unknown as string,
    ]) {
      expect(await rejection(openIntake(intake, bad, alice))).toBeInstanceOf(CiphertextRejectedError);
    }
    expect(intake.calls).toBe(before);
  });

  it('propagates key service failures', async () => {
    const failing = new FakeIntakeKey();
    failing.failure = new KeyServiceUnavailableError('KMS Decrypt failed: ThrottlingException');
    const sealed = sealForIntake(failing.publicDer, 'secret', alice);
    expect(await rejection(openIntake(failing, sealed, alice))).toBeInstanceOf(KeyServiceUnavailableError);
  });

  it('rejects a key service answer that is not a 32-byte key', async () => {
    const sealed = sealForIntake(intake.publicDer, 'secret', alice);
    const short: IntakeKeyService = { decrypt: async () => new Uint8Array(16) };
    expect(await rejection(openIntake(short, sealed, alice))).toBeInstanceOf(CiphertextRejectedError);
  });
});

describe('parseIntakePublicKey', () => {
  const base64 = Buffer.from(intake.publicDer).toString('base64');

  it('returns the DER of an RSA key of 2048 bits or more', () => {
    expect(Buffer.from(parseIntakePublicKey(base64)).equals(Buffer.from(intake.publicDer))).toBe(true);
    expect(parseIntakePublicKey(`  ${base64}\n`)).toEqual(parseIntakePublicKey(base64));
  });

  it('throws ConfigError for small, non-RSA or malformed keys', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' });
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
    for (const bad of [
      small.toString('base64'),
      ed.toString('base64'),
      '',
      'not base64!',
      base64.slice(0, 40),
      `${base64}==`,
    ]) {
      expect(() => parseIntakePublicKey(bad), bad.slice(0, 12)).toThrow(ConfigError);
    }
  });
});
