/**
 * Secrets of every kind the detector (core/desk/assistant/secrets.ts) must catch, as fixed examples and as
 * fast-check arbitraries, with the disguises an attacker would use: zero-width and other invisible
 * characters inside, fullwidth (NFKC-equivalent) characters in place of ASCII ones. Keys are real
 * Ed25519 keypairs (made with @noble/curves, so the detector's node:crypto check is cross-checked).
 */
import { ed25519 } from '@noble/curves/ed25519';
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist as english } from '@scure/bip39/wordlists/english';
import { wordlist as chinese } from '@scure/bip39/wordlists/simplified-chinese';
import fc from 'fast-check';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Bitcoin-style base58, as Solana writes keys, addresses and signatures. */
export function base58(bytes: Uint8Array): string {
  let n = 0n;
  for (const byte of bytes) n = n * 256n + BigInt(byte);
  let out = '';
  for (; n > 0n; n /= 58n) out = ALPHABET[Number(n % 58n)] + out;
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** A Solana secret key: the 32-byte seed, then its Ed25519 public key. */
export function keypair(seed: Uint8Array): Uint8Array {
  return Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Every way a key is written; `split` puts the separator in the middle of a hex key. */
export const ENCODINGS = {
  base58: (bytes: Uint8Array) => base58(bytes),
  base64: (bytes: Uint8Array) => Buffer.from(bytes).toString('base64'),
  base64NoPadding: (bytes: Uint8Array) => Buffer.from(bytes).toString('base64').replace(/=+$/, ''),
  base64url: (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url'),
  hex: (bytes: Uint8Array) => hex(bytes),
  hex0x: (bytes: Uint8Array) => `0x${hex(bytes).toUpperCase()}`,
  hexSplit: (bytes: Uint8Array) =>
    `${hex(bytes).slice(0, hex(bytes).length / 2)}\n${hex(bytes).slice(hex(bytes).length / 2)}`,
  hexQuarters: (bytes: Uint8Array) => (hex(bytes).match(/.{1,16}/g) ?? []).join(' '),
  array: (bytes: Uint8Array) => JSON.stringify([...bytes]),
  arraySpaced: (bytes: Uint8Array) => `[${[...bytes].join(', ')}]`,
} as const;
export type Encoding = keyof typeof ENCODINGS;

/** A fixed keypair (seed 1, 2, …, 32) in base58: the shape `solana-keygen` users paste. */
export const KEYPAIR = keypair(Uint8Array.from({ length: 32 }, (_, i) => i + 1));
export const KEYPAIR_BASE58 = base58(KEYPAIR);

/** A BIP-39 phrase for `entropy` (16–32 bytes, a multiple of 4), as a list of words. */
export function mnemonic(entropy: Uint8Array, language: 'english' | 'chinese'): string[] {
  return entropyToMnemonic(entropy, language === 'english' ? english : chinese).split(' ');
}

/** Invisible code points an attacker can put inside a secret. */
export const INVISIBLES = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u180e', '\ufe0f'];

/** The fullwidth form of a printable ASCII character (NFKC maps it back). */
export const fullwidth = (char: string) =>
  char >= '!' && char <= '~' ? String.fromCodePoint(char.codePointAt(0)! - 0x21 + 0xff01) : char;

/** Removes what the detector's normalization removes, for comparing texts. */
export const plain = (text: string) =>
  text.normalize('NFKC').replace(/[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Mn}\p{Me}]/gu, '');

// ─── arbitraries ────────────────────────────────────────────────────────────────────────────────

export interface GeneratedSecret {
  /** What it is, for failure messages. */
  readonly label: string;
  /** The secret as written, before any disguise. */
  readonly value: string;
  /** The part of `value` that must not survive a redaction (default: all of it). */
  readonly core?: string;
}

const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
const urlSafe = (min: number, max: number) =>
  fc.string({
    unit: fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789_-'),
    minLength: min,
    maxLength: max,
  });
const alnum = (length: number) =>
  fc.string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'),
    minLength: length,
    maxLength: length,
  });
const upperDigits = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'), minLength: length, maxLength: length });

const WORD_SEPARATORS = [' ', '  ', ', ', ',', '\n', '. ', '-', ' - ', ' | ', '、', '，', '\t', ';'];

/**
 * A phrase's entropy as wallets draw it: uniform bytes (fast-check's default bias towards small
 * values makes "phrases" of the list's commonest characters that no wallet ever makes, and that
 * read as everyday Chinese), or all zero, as BIP-39's own test vectors ("abandon … about", "的的…在").
 */
const entropy = fc
  .constantFrom(16, 20, 24, 28, 32)
  .chain((n) =>
    fc.oneof(
      { weight: 9, arbitrary: fc.noBias(fc.uint8Array({ minLength: n, maxLength: n })) },
      { weight: 1, arbitrary: fc.constant(new Uint8Array(n)) },
    ),
  );

const phrase = fc
  .record({
    bytes: entropy,
    language: fc.constantFrom('english', 'chinese') as fc.Arbitrary<'english' | 'chinese'>,
    separator: fc.constantFrom(...WORD_SEPARATORS, ''),
    numbered: fc.boolean(),
    upper: fc.boolean(),
  })
  .map(({ bytes, language, separator, numbered, upper }): GeneratedSecret => {
    const words = mnemonic(bytes, language);
    // English words need something between them; Chinese ones may come with nothing at all.
    const sep = separator === '' && language === 'english' ? ' ' : separator;
    const written = words.map((w, i) => `${numbered ? `${i + 1}. ` : ''}${upper ? w.toUpperCase() : w}`);
    return { label: `${language} phrase of ${words.length} words, ${JSON.stringify(sep)}`, value: written.join(sep) };
  });

/** A real keypair in any encoding (64 bytes), or its 32-byte seed in an encoding that flags a seed. */
const key = fc
  .record({
    seed,
    encoding: fc.constantFrom(...(Object.keys(ENCODINGS) as Encoding[])),
    seedOnly: fc.boolean(),
  })
  .map(({ seed, encoding, seedOnly }): GeneratedSecret => {
    // Base58 of 32 bytes is an address and base64 of 32 bytes needs a random look: keypairs there.
    const half = seedOnly && !encoding.startsWith('base');
    return {
      label: `${half ? 'seed' : 'keypair'} in ${encoding}`,
      value: ENCODINGS[encoding](half ? seed : keypair(seed)),
    };
  });

const token = fc.oneof(
  urlSafe(20, 60).map((rest) => ({ label: 'sk- key', value: `sk-${rest}` })),
  urlSafe(40, 60).map((rest) => ({ label: 'sk-proj- key', value: `sk-proj-${rest}` })),
  fc
    .tuple(fc.constantFrom('ghp', 'gho', 'ghu', 'ghs', 'ghr'), alnum(36))
    .map(([prefix, rest]) => ({ label: `${prefix}_ token`, value: `${prefix}_${rest}` })),
  alnum(60).map((rest) => ({ label: 'github_pat_ token', value: `github_pat_11${rest}` })),
  fc
    .tuple(fc.integer({ min: 100_000, max: 999_999_999_999 }), urlSafe(35, 35))
    .map(([id, rest]) => ({ label: 'bot token', value: `${id}:${rest}` })),
  upperDigits(16).map((rest) => ({ label: 'AWS access key id', value: `AKIA${rest}` })),
  fc.tuple(upperDigits(16), alnum(38)).map(([id, rest]) => ({
    label: 'AWS key pair',
    value: `ASIA${id}/Ab1${rest.slice(3)}+/`,
    core: `Ab1${rest.slice(3)}+/`,
  })),
  alnum(40).map((rest) => ({
    label: 'AWS secret key',
    value: `aws_secret_access_key=Zz9${rest.slice(3)}`,
    core: `Zz9${rest.slice(3)}`,
  })),
  fc
    .string({ unit: fc.constantFrom(...ALPHABET), minLength: 107, maxLength: 107 })
    .chain((body) =>
      fc.constantFrom('xprv', 'tprv', 'yprv', 'zprv').map((p) => ({ label: `${p} key`, value: `${p}${body}` })),
    ),
  fc
    .string({ unit: fc.constantFrom(...ALPHABET), minLength: 40, maxLength: 200 })
    .map((body) => ({ label: 'PEM key', value: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----` })),
);

/** Any secret the detector must catch. */
export const anySecret: fc.Arbitrary<GeneratedSecret> = fc.oneof(key, phrase, token);

/**
 * `secret` disguised: some characters made fullwidth, some invisible characters slipped in
 * (never inside a PEM's dashes, which a person would not read as a header either way).
 */
export function disguised(secret: fc.Arbitrary<GeneratedSecret>): fc.Arbitrary<GeneratedSecret> {
  return secret.chain((s) =>
    fc
      .tuple(
        fc.array(fc.nat({ max: s.value.length - 1 }), { maxLength: 4 }),
        fc.array(fc.tuple(fc.nat({ max: s.value.length }), fc.constantFrom(...INVISIBLES)), { maxLength: 4 }),
      )
      .map(([wide, hidden]) => {
        const chars = [...s.value];
        for (const at of wide) if (at < chars.length && !s.value.startsWith('-----')) chars[at] = fullwidth(chars[at]!);
        for (const [at, mark] of hidden.sort((a, b) => b[0] - a[0])) chars.splice(Math.min(at, chars.length), 0, mark);
        return { ...s, label: `${s.label} (disguised)`, value: chars.join('') };
      }),
  );
}

/** Everyday text around a secret: any graphemes, without letters or digits touching the secret. */
export const aroundText = fc.string({ unit: 'grapheme', maxLength: 40 });
