import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../core/platform/errors.js';
import {
  canonicalContext,
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  encodeEnvelopeHeader,
  envelopeFromText,
  envelopeToText,
  MAX_ENCRYPTED_DATA_KEY_BYTES,
} from '../../../../core/platform/keys/envelope.js';
import { CiphertextRejectedError } from '../../../../core/platform/keys/errors.js';

const context = { purpose: 'user-secret', ownerId: '123456789' };

function sample(overrides: Partial<Envelope> = {}): Envelope {
  return {
    context,
    encryptedDataKey: randomBytes(184),
    iv: randomBytes(12),
    ciphertext: randomBytes(40),
    tag: randomBytes(16),
    ...overrides,
  };
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('canonicalContext', () => {
  it('encodes each field with a length byte, so shifting a boundary changes the form', () => {
    const a = canonicalContext({ purpose: 'ab', ownerId: 'c' });
    const b = canonicalContext({ purpose: 'a', ownerId: 'bc' });
    expect([...a]).toEqual([2, 0x61, 0x62, 1, 0x63]);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('encodes non-ASCII fields as UTF-8', () => {
    expect([...canonicalContext({ purpose: 'é', ownerId: '1' })]).toEqual([2, 0xc3, 0xa9, 1, 0x31]);
  });

  it('refuses empty, over-long and ill-formed fields', () => {
    for (const bad of [
      { purpose: '', ownerId: '1' },
      { purpose: 'p', ownerId: '' },
      { purpose: 'p', ownerId: 'x'.repeat(256) },
      { purpose: 'é'.repeat(128), ownerId: '1' },
      { purpose: 'p', ownerId: '\uD800' },
      { purpose: 'p', ownerId: 7 as unknown as string },
    ]) {
      const error = thrown(() => canonicalContext(bad));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe('vault.invalid_context');
    }
    expect(canonicalContext({ purpose: 'p', ownerId: 'x'.repeat(255) })).toHaveLength(258);
  });
});

describe('encodeEnvelope', () => {
  it('round-trips through decodeEnvelope and the text form', () => {
    const envelope = sample();
    const bytes = encodeEnvelope(envelope);
    const text = envelopeToText(bytes);
    expect(text.startsWith('wd1:')).toBe(true);
    const decoded = decodeEnvelope(envelopeFromText(text));
    expect(decoded.context).toEqual(context);
    expect(Buffer.from(decoded.encryptedDataKey).equals(Buffer.from(envelope.encryptedDataKey))).toBe(true);
    expect(Buffer.from(decoded.iv).equals(Buffer.from(envelope.iv))).toBe(true);
    expect(Buffer.from(decoded.ciphertext).equals(Buffer.from(envelope.ciphertext))).toBe(true);
    expect(Buffer.from(decoded.tag).equals(Buffer.from(envelope.tag))).toBe(true);
    const header = encodeEnvelopeHeader(context, envelope.encryptedDataKey, envelope.iv);
    expect(Buffer.from(decoded.header).equals(Buffer.from(header))).toBe(true);
    expect(Buffer.from(bytes.subarray(0, header.length)).equals(Buffer.from(header))).toBe(true);
  });

  it('starts with the magic and version 1', () => {
    expect([...encodeEnvelope(sample()).subarray(0, 4)]).toEqual([0x57, 0x44, 0x45, 1]);
  });

  it('accepts an empty ciphertext', () => {
    expect(decodeEnvelope(encodeEnvelope(sample({ ciphertext: new Uint8Array() }))).ciphertext).toHaveLength(0);
  });

  it('refuses fields out of bounds', () => {
    for (const bad of [
      sample({ iv: randomBytes(11) }),
      sample({ tag: randomBytes(15) }),
      sample({ encryptedDataKey: new Uint8Array() }),
      sample({ encryptedDataKey: randomBytes(MAX_ENCRYPTED_DATA_KEY_BYTES + 1) }),
      sample({ ciphertext: randomBytes(64 * 1024 + 1) }),
    ]) {
      expect(thrown(() => encodeEnvelope(bad))).toBeInstanceOf(CiphertextRejectedError);
    }
  });
});

describe('decodeEnvelope', () => {
  it('rejects every truncation as CiphertextRejectedError', () => {
    const bytes = encodeEnvelope(sample({ ciphertext: randomBytes(3) }));
    const header = decodeEnvelope(bytes).header.length;
    // Cutting only ciphertext bytes still decodes (GCM catches that); cutting into the header or tag cannot.
    for (let length = 0; length < header + 16; length++) {
      expect(
        thrown(() => decodeEnvelope(bytes.subarray(0, length))),
        `length ${length}`,
      ).toBeInstanceOf(CiphertextRejectedError);
    }
  });

  it('rejects a wrong magic, an unknown version and zero-length fields', () => {
    const bytes = encodeEnvelope(sample());
    const variants: [number, number][] = [
      [0, 0x58],
      [3, 2],
      [3, 0],
      [4, 0], // purpose length 0
    ];
    for (const [at, value] of variants) {
      const copy = Uint8Array.from(bytes);
      copy[at] = value;
      expect(
        thrown(() => decodeEnvelope(copy)),
        `byte ${at}`,
      ).toBeInstanceOf(CiphertextRejectedError);
    }
    const ownerLengthAt = 4 + 1 + context.purpose.length;
    const noOwner = Uint8Array.from(bytes);
    noOwner[ownerLengthAt] = 0;
    expect(thrown(() => decodeEnvelope(noOwner))).toBeInstanceOf(CiphertextRejectedError);
  });

  it('rejects a context that is not UTF-8', () => {
    const bytes = Uint8Array.from(encodeEnvelope(sample()));
    bytes[5] = 0xff; // first byte of the purpose
    expect(thrown(() => decodeEnvelope(bytes))).toBeInstanceOf(CiphertextRejectedError);
  });

  it('rejects data key lengths of zero and above the KMS maximum', () => {
    const bytes = encodeEnvelope(sample());
    const at = 4 + 2 + context.purpose.length + context.ownerId.length;
    for (const [hi, lo] of [
      [0, 0],
      [0x18, 0x01], // 6145
      [0xff, 0xff],
    ] as const) {
      const copy = Uint8Array.from(bytes);
      copy[at] = hi;
      copy[at + 1] = lo;
      expect(thrown(() => decodeEnvelope(copy))).toBeInstanceOf(CiphertextRejectedError);
    }
  });

  it('throws nothing but CiphertextRejectedError on random bytes', () => {
    const valid = encodeEnvelope(sample());
    for (let i = 0; i < 2000; i++) {
      const input = i % 2 === 0 ? randomBytes(i % 300) : Buffer.concat([valid.subarray(0, 4), randomBytes(i % 300)]);
      try {
        decodeEnvelope(input);
      } catch (error) {
        expect(error).toBeInstanceOf(CiphertextRejectedError);
      }
    }
  });
});

describe('envelopeFromText', () => {
  const text = envelopeToText(encodeEnvelope(sample()));

  it('rejects text without the wd1: prefix or with another version', () => {
    for (const bad of [text.slice(4), `WD1:${text.slice(4)}`, `wd2:${text.slice(4)}`, ` ${text}`, '', 'wd1']) {
      expect(
        thrown(() => envelopeFromText(bad)),
        bad.slice(0, 8),
      ).toBeInstanceOf(CiphertextRejectedError);
    }
  });

  it('rejects anything but canonical padded base64', () => {
    const body = Buffer.from('hello!!').toString('base64'); // aGVsbG8hIQ==
    expect(Buffer.from(envelopeFromText(`wd1:${body}`)).toString()).toBe('hello!!');
    for (const bad of [
      `wd1:${body} `,
      `wd1:${body.replace(/=+$/, '')}`,
      `wd1:aGVsbG8hIR==`, // stray bits in the padding
      `wd1:${Buffer.from([0xfb, 0xff]).toString('base64url')}`,
      `wd1:aGVs\nbG8h`,
      'wd1:====',
    ]) {
      expect(
        thrown(() => envelopeFromText(bad)),
        bad,
      ).toBeInstanceOf(CiphertextRejectedError);
    }
  });

  it('rejects a non-string', () => {
    expect(thrown(() => envelopeFromText(42 as unknown as string))).toBeInstanceOf(CiphertextRejectedError);
  });
});
