import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, ValidationError } from '../../../../core/platform/errors.js';
import {
  decodeEnvelope,
  encodeEnvelope,
  envelopeFromText,
  envelopeToText,
} from '../../../../core/platform/keys/envelope.js';
import {
  CiphertextRejectedError,
  KeyServiceUnavailableError,
  WrongContextError,
} from '../../../../core/platform/keys/errors.js';
import type { DataKey, DataKeySource, EncryptionContext } from '../../../../core/platform/keys/ports.js';
import { createEnvelopeVault, type EnvelopeVaultOptions } from '../../../../core/platform/keys/vault.js';
import { rejection } from '../../../helpers/rejection.js';

/**
 * An in-memory key service: data keys wrapped with AES-GCM under a master key, the context as
 * AAD (like KMS) unless `bindContext` is false, so a test can show what the vault alone catches.
 */
class FakeDataKeys implements DataKeySource {
  private readonly master = randomBytes(32);
  generated = 0;
  decrypted = 0;
  /** When set, every call fails with it (after counting). */
  failure: Error | undefined;
  /** When set, every call waits for it before answering. */
  gate: Promise<void> | undefined;
  /** Every plaintext data key handed out, to check the vault zeroes them. */
  readonly handedOut: Uint8Array[] = [];

  constructor(private readonly bindContext = true) {}

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    this.generated++;
    await this.gate;
    if (this.failure) throw this.failure;
    const plaintext = new Uint8Array(randomBytes(32));
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.master, iv);
    cipher.setAAD(this.aad(context));
    const encrypted = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    this.handedOut.push(plaintext);
    return { plaintext, encrypted: new Uint8Array(encrypted) };
  }

  async decryptDataKey(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    this.decrypted++;
    await this.gate;
    if (this.failure) throw this.failure;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.master, encrypted.subarray(0, 12));
      decipher.setAAD(this.aad(context));
      decipher.setAuthTag(encrypted.subarray(encrypted.length - 16));
      const plaintext = new Uint8Array(
        Buffer.concat([decipher.update(encrypted.subarray(12, encrypted.length - 16)), decipher.final()]),
      );
      this.handedOut.push(plaintext);
      return plaintext;
    } catch (error) {
      throw new CiphertextRejectedError('fake KMS Decrypt rejected the ciphertext', { cause: error });
    }
  }

  private aad(context: EncryptionContext): Buffer {
    return this.bindContext ? Buffer.from(JSON.stringify([context.purpose, context.ownerId])) : Buffer.alloc(0);
  }
}

const alice = { purpose: 'user-secret', ownerId: '1001' };
const bob = { purpose: 'user-secret', ownerId: '1002' };
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

function setup(options: EnvelopeVaultOptions = {}, bindContext = true) {
  const source = new FakeDataKeys(bindContext);
  let time = 1_000_000;
  const now = () => time;
  const vault = createEnvelopeVault(source, { now, ...options });
  return {
    source,
    vault,
    now,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

/** The envelope re-encoded with its header naming `context` (ciphertext, tag and data key unchanged). */
function withHeaderContext(envelope: string, context: EncryptionContext): string {
  const decoded = decodeEnvelope(envelopeFromText(envelope));
  return envelopeToText(encodeEnvelope({ ...decoded, context }));
}

describe('createEnvelopeVault', () => {
  it('opens what it sealed, for the context it was sealed for', async () => {
    const { vault } = setup();
    for (const plaintext of ['seed phrase words', '', 'ключ 🔑', 'x'.repeat(64 * 1024)]) {
      const envelope = await vault.seal(text(plaintext), alice);
      expect(envelope.startsWith('wd1:')).toBe(true);
      expect(str(await vault.open(envelope, alice))).toBe(plaintext);
    }
  });

  it('opens with another vault over the same key service', async () => {
    const { source, vault } = setup();
    const envelope = await vault.seal(text('hello'), alice);
    const other = createEnvelopeVault(source);
    expect(str(await other.open(envelope, alice))).toBe('hello');
  });

  it('makes a different envelope each time for the same plaintext', async () => {
    const { vault } = setup();
    const a = await vault.seal(text('same'), alice);
    const b = await vault.seal(text('same'), alice);
    expect(a).not.toBe(b);
  });

  it('refuses plaintexts over 64 KiB and invalid contexts', async () => {
    const { vault, source } = setup();
    const tooLarge = await rejection(vault.seal(new Uint8Array(64 * 1024 + 1), alice));
    expect(tooLarge).toBeInstanceOf(ValidationError);
    expect((tooLarge as ValidationError).code).toBe('vault.too_large');
    const badContext = await rejection(vault.seal(text('x'), { purpose: '', ownerId: '1' }));
    expect((badContext as ValidationError).code).toBe('vault.invalid_context');
    expect(source.generated).toBe(0);
  });

  it('refuses options that are not positive integers', () => {
    const source = new FakeDataKeys();
    for (const bad of [{ maxUses: 0 }, { maxAgeMs: -1 }, { maxEntries: 1.5 }, { maxUses: Number.NaN }]) {
      expect(() => createEnvelopeVault(source, bad)).toThrow(ConfigError);
    }
  });

  it('zeroes the plaintext data keys the key service handed over', async () => {
    const { vault, source } = setup();
    const envelope = await vault.seal(text('x'), alice);
    await createEnvelopeVault(source).open(envelope, alice);
    expect(source.handedOut).toHaveLength(2);
    for (const key of source.handedOut) expect(key.every((b) => b === 0)).toBe(true);
  });
});

describe('createEnvelopeVault › context', () => {
  it('throws WrongContextError for another owner or purpose without asking the key service', async () => {
    const { vault, source } = setup();
    const envelope = await vault.seal(text('secret'), alice);
    for (const context of [bob, { purpose: 'api-key', ownerId: alice.ownerId }]) {
      const error = await rejection(vault.open(envelope, context));
      expect(error).toBeInstanceOf(WrongContextError);
      expect((error as WrongContextError).code).toBe('vault.wrong_context');
    }
    expect(source.decrypted).toBe(0);
  });

  it('rejects a header rewritten to name the opener, even when the key service ignores the context', async () => {
    // bindContext false: only the GCM AAD (the header) can catch the swap.
    const { vault, source } = setup({}, false);
    const forged = withHeaderContext(await vault.seal(text('secret'), alice), bob);
    const error = await rejection(vault.open(forged, bob));
    expect(error).toBeInstanceOf(CiphertextRejectedError);
    expect(source.decrypted).toBe(1);
  });

  it('rejects a header rewritten to name the opener when the key service binds the context', async () => {
    const { vault } = setup();
    const forged = withHeaderContext(await vault.seal(text('secret'), alice), bob);
    expect(await rejection(vault.open(forged, bob))).toBeInstanceOf(CiphertextRejectedError);
  });

  it('never opens an envelope for another context with a key cached for the first', async () => {
    // A key service that ignores the context decrypts Alice's data key for anyone; craft a valid
    // envelope for Bob under it. The vault must still ask the key service for Bob's context.
    const { vault, source } = setup({}, false);
    const aliceEnvelope = await vault.seal(text('for alice'), alice);
    const decoded = decodeEnvelope(envelopeFromText(aliceEnvelope));
    const key = await source.decryptDataKey(decoded.encryptedDataKey, bob);
    const bobEnvelope = (() => {
      const iv = randomBytes(12);
      const header = encodeEnvelope({
        context: bob,
        encryptedDataKey: decoded.encryptedDataKey,
        iv,
        ciphertext: new Uint8Array(),
        tag: new Uint8Array(16),
      }).subarray(0, -16);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(header);
      const body = Buffer.concat([cipher.update(text('for bob')), cipher.final(), cipher.getAuthTag()]);
      return envelopeToText(Buffer.concat([header, body]));
    })();
    const opener = createEnvelopeVault(source);
    expect(str(await opener.open(aliceEnvelope, alice))).toBe('for alice');
    const before = opener.stats().kmsCalls;
    expect(str(await opener.open(bobEnvelope, bob))).toBe('for bob');
    expect(opener.stats().kmsCalls).toBe(before + 1);
  });
});

describe('createEnvelopeVault › tampering', () => {
  it('rejects every single-byte change of the header', async () => {
    const { vault } = setup();
    const envelope = await vault.seal(text('secret value'), alice);
    const bytes = envelopeFromText(envelope);
    const headerLength = decodeEnvelope(bytes).header.length;
    const messages: string[] = [];
    for (let i = 0; i < headerLength; i++) {
      for (const mask of [0x01, 0x80]) {
        const copy = Uint8Array.from(bytes);
        copy[i]! ^= mask;
        const forged = envelopeToText(copy);
        const error = await rejection(vault.open(forged, alice));
        expect(error instanceof CiphertextRejectedError || error instanceof WrongContextError, `byte ${i}`).toBe(true);
        messages.push((error as Error).message);
        // A flip inside the context makes a header naming another context: opening for that
        // context must fail authentication.
        let named: EncryptionContext | undefined;
        try {
          named = decodeEnvelope(copy).context;
        } catch {
          named = undefined;
        }
        if (named && (named.ownerId !== alice.ownerId || named.purpose !== alice.purpose)) {
          expect(await rejection(vault.open(forged, named)), `byte ${i}`).toBeInstanceOf(CiphertextRejectedError);
        }
      }
    }
    expect(messages.some((m) => m.includes('secret value'))).toBe(false);
  });

  it('rejects every single-byte change of the ciphertext and tag', async () => {
    const { vault } = setup();
    const envelope = await vault.seal(text('secret value'), alice);
    const bytes = envelopeFromText(envelope);
    for (let i = decodeEnvelope(bytes).header.length; i < bytes.length; i++) {
      const copy = Uint8Array.from(bytes);
      copy[i]! ^= 0x01;
      expect(await rejection(vault.open(envelopeToText(copy), alice)), `byte ${i}`).toBeInstanceOf(
        CiphertextRejectedError,
      );
    }
  });

  it('rejects every truncation', async () => {
    const { vault } = setup();
    const bytes = envelopeFromText(await vault.seal(text('secret value'), alice));
    for (let length = 0; length < bytes.length; length++) {
      const error = await rejection(vault.open(envelopeToText(bytes.subarray(0, length)), alice));
      expect(error, `length ${length}`).toBeInstanceOf(CiphertextRejectedError);
    }
  });

  it('rejects text that is not an envelope', async () => {
    const { vault } = setup();
    const envelope = await vault.seal(text('x'), alice);
    for (const bad of ['', 'wd1:', envelope.slice(4), `${envelope}=`, envelope.replace('wd1:', 'wd0:')]) {
      expect(await rejection(vault.open(bad, alice))).toBeInstanceOf(CiphertextRejectedError);
    }
  });
});

describe('createEnvelopeVault › cache', () => {
  it('opens 1,000 envelopes of 50 owners with at most 50 data key decrypts', async () => {
    const { vault: sealer, source } = setup();
    const envelopes: [string, EncryptionContext, string][] = [];
    for (let owner = 0; owner < 50; owner++) {
      const context = { purpose: 'user-secret', ownerId: String(5000 + owner) };
      for (let n = 0; n < 20; n++) {
        envelopes.push([await sealer.seal(text(`${owner}/${n}`), context), context, `${owner}/${n}`]);
      }
    }
    expect(source.generated).toBe(50);
    const opener = createEnvelopeVault(source);
    // Interleaved owners, in two passes, half of them concurrently.
    const order = envelopes.map((_, i) => ((i % 50) * 20 + Math.floor(i / 50)) % envelopes.length);
    await Promise.all(
      order.slice(0, 500).map(async (i) => {
        const [envelope, context, plaintext] = envelopes[i]!;
        expect(str(await opener.open(envelope, context))).toBe(plaintext);
      }),
    );
    for (const i of order.slice(500)) {
      const [envelope, context, plaintext] = envelopes[i]!;
      expect(str(await opener.open(envelope, context))).toBe(plaintext);
    }
    expect(source.decrypted).toBeLessThanOrEqual(50);
    expect(opener.stats()).toEqual({ kmsCalls: source.decrypted, hits: 1000 - source.decrypted, misses: 50 });
  });

  it('generates a new data key for sealing after maxUses seals or maxAgeMs', async () => {
    const { vault, source, advance } = setup({ maxUses: 3, maxAgeMs: 60_000 });
    const keyOf = (envelope: string) =>
      Buffer.from(decodeEnvelope(envelopeFromText(envelope)).encryptedDataKey).toString('hex');
    const first = [await vault.seal(text('1'), alice), await vault.seal(text('2'), alice)];
    advance(59_999);
    first.push(await vault.seal(text('3'), alice));
    expect(source.generated).toBe(1);
    expect(new Set(first.map(keyOf)).size).toBe(1);
    const fourth = await vault.seal(text('4'), alice);
    expect(source.generated).toBe(2);
    expect(keyOf(fourth)).not.toBe(keyOf(first[0]!));
    advance(60_000);
    await vault.seal(text('5'), alice);
    expect(source.generated).toBe(3);
    await vault.seal(text('6'), bob);
    expect(source.generated).toBe(4);
  });

  it('decrypts a data key again after maxUses opens or maxAgeMs', async () => {
    const { vault, source, advance, now } = setup();
    const envelope = await vault.seal(text('x'), alice);
    const opener = createEnvelopeVault(source, { maxUses: 3, maxAgeMs: 60_000, now });
    for (let i = 0; i < 3; i++) await opener.open(envelope, alice);
    expect(source.decrypted).toBe(1);
    await opener.open(envelope, alice);
    expect(source.decrypted).toBe(2);
    advance(59_999);
    await opener.open(envelope, alice);
    expect(source.decrypted).toBe(2);
    advance(1);
    await opener.open(envelope, alice);
    expect(source.decrypted).toBe(3);
  });

  it('shares one call among concurrent opens of one envelope and concurrent seals of one context', async () => {
    const { vault, source } = setup();
    const gate = deferred();
    source.gate = gate.promise;
    const seals = Array.from({ length: 20 }, (_, i) => vault.seal(text(`v${i}`), alice));
    await Promise.resolve();
    gate.release();
    const envelopes = await Promise.all(seals);
    expect(source.generated).toBe(1);

    const opener = createEnvelopeVault(source);
    const gate2 = deferred();
    source.gate = gate2.promise;
    const opens = envelopes.map((envelope) => opener.open(envelope, alice));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(source.decrypted).toBe(1);
    gate2.release();
    expect((await Promise.all(opens)).map(str)).toEqual(envelopes.map((_, i) => `v${i}`));
    expect(source.decrypted).toBe(1);
    expect(opener.stats()).toEqual({ kmsCalls: 1, hits: 19, misses: 1 });
  });

  it('keeps at most maxEntries keys, evicting the least recently used', async () => {
    const { vault, source } = setup();
    const owners = ['1', '2', '3'].map((ownerId) => ({ purpose: 'user-secret', ownerId }));
    const envelopes = await Promise.all(owners.map((context) => vault.seal(text(context.ownerId), context)));
    const opener = createEnvelopeVault(source, { maxEntries: 2 });
    const open = (i: number) => opener.open(envelopes[i]!, owners[i]!);
    await open(0);
    await open(1);
    await open(2); // evicts 0
    expect(source.decrypted).toBe(3);
    await open(1); // hit; 2 is now least recently used
    await open(2);
    expect(source.decrypted).toBe(3);
    await open(0); // evicted: a new call, which evicts 1
    expect(source.decrypted).toBe(4);
    await open(2);
    expect(source.decrypted).toBe(4);
    await open(1);
    expect(source.decrypted).toBe(5);
  });

  it('bounds sealing keys by maxEntries too', async () => {
    const { vault, source } = setup({ maxEntries: 1 });
    await vault.seal(text('a'), alice);
    await vault.seal(text('b'), bob);
    await vault.seal(text('c'), alice);
    expect(source.generated).toBe(3);
  });

  it('gives every waiter the right key even when it is evicted before they resume', async () => {
    const { vault, source } = setup();
    const a = await vault.seal(text('a'), alice);
    const b = await vault.seal(text('b'), bob);
    const opener = createEnvelopeVault(source, { maxEntries: 1 });
    const gate = deferred();
    source.gate = gate.promise;
    const opens = [opener.open(a, alice), opener.open(a, alice), opener.open(b, bob), opener.open(b, bob)];
    await new Promise((resolve) => setTimeout(resolve, 5));
    gate.release();
    expect((await Promise.all(opens)).map(str)).toEqual(['a', 'a', 'b', 'b']);
  });
});

describe('createEnvelopeVault › key service failures', () => {
  it('propagates KeyServiceUnavailableError and caches nothing', async () => {
    const { vault, source } = setup();
    const envelope = await vault.seal(text('x'), alice);
    const opener = createEnvelopeVault(source);
    source.failure = new KeyServiceUnavailableError('KMS Decrypt failed: KMSInternalException');
    const results = await Promise.all([1, 2, 3].map(() => rejection(opener.open(envelope, alice))));
    for (const error of results) expect(error).toBeInstanceOf(KeyServiceUnavailableError);
    expect(source.decrypted).toBe(1);
    const sealError = await rejection(vault.seal(text('y'), bob));
    expect(sealError).toBeInstanceOf(KeyServiceUnavailableError);

    source.failure = undefined;
    expect(str(await opener.open(envelope, alice))).toBe('x');
    expect(source.decrypted).toBe(2);
    await vault.seal(text('y'), bob);
    expect(source.generated).toBe(3);
  });

  it('propagates a rejection of the data key without caching it', async () => {
    const { vault } = setup();
    const other = new FakeDataKeys();
    const envelope = await createEnvelopeVault(other).seal(text('x'), alice);
    const error = await rejection(vault.open(envelope, alice));
    expect(error).toBeInstanceOf(CiphertextRejectedError);
    expect(vault.stats().kmsCalls).toBe(1);
    expect(await rejection(vault.open(envelope, alice))).toBeInstanceOf(CiphertextRejectedError);
    expect(vault.stats().kmsCalls).toBe(2);
  });

  it('names no context field value or key byte in its errors', async () => {
    const { vault } = setup();
    const envelope = await vault.seal(text('secret'), alice);
    const error = (await rejection(vault.open(envelope, bob))) as Error;
    expect(error.message).not.toContain(alice.ownerId);
    expect(error.message).not.toContain(bob.ownerId);
  });
});
