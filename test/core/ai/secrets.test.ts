import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findSecret, redactSecrets } from '../../../core/ai/secrets.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Bitcoin-style base58, as Solana writes keys, addresses and signatures. */
function base58(bytes: Uint8Array): string {
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

const bytes = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 131 + seed * 7 + 1) % 256);
const hex = (data: Uint8Array) => Buffer.from(data).toString('hex');

// Obviously fake values of each shape (never printed on success).
const SECRET_KEY = base58(bytes(64, 1));
const SIGNATURE = base58(bytes(64, 2));
const ADDRESS = base58(bytes(32, 3));
const KEYGEN = JSON.stringify([...bytes(64, 4)]);
const HEX_SEED = hex(bytes(32, 5));
const SK_KEY = `sk-${'aB3_x-'.repeat(6)}`;
const BOT_TOKEN = `123456789:${'AbC-d_9'.repeat(6)}`;
const PEM = `-----BEGIN OPENSSH PRIVATE KEY-----\n${'b3BlbnNzaC1rZXktdjE'.repeat(4)}\n-----END OPENSSH PRIVATE KEY-----`;
const PHRASE_WORDS = 'abandon ability able about above absent absorb abstract absurd abuse access accident'.split(' ');
const PHRASE = PHRASE_WORDS.join(' ');

describe('findSecret', () => {
  it.each([
    ['a base58 secret key', SECRET_KEY],
    ['a base58 secret key inside a sentence', `please import (${SECRET_KEY}) for me`],
    ['an 80-character base58 token', 'A'.repeat(80)],
    ['a 90-character base58 token', 'z'.repeat(90)],
    ['a solana-keygen array', KEYGEN],
    ['a pretty-printed keygen array', `my id.json:\n${JSON.stringify([...bytes(64, 6)], null, 2)}`],
    ['64 hex digits', HEX_SEED],
    ['64 hex digits with 0x, upper case', `0x${HEX_SEED.toUpperCase()}`],
    ['128 hex digits', hex(bytes(64, 7))],
    ['a PEM private key', PEM],
    ['a cut PEM private key', '-----BEGIN PRIVATE KEY-----\nMIIEvQ'],
  ])('flags %s as a private key', (_, text) => {
    expect(findSecret(text)).toBe('private-key');
  });

  it.each([
    ['an sk- key', `my deepseek key: ${SK_KEY}`],
    ['an sk-proj- key', `sk-proj-${'A1b2C3d4'.repeat(4)}`],
    ['a Telegram bot token', `token=${BOT_TOKEN}`],
  ])('flags %s as an API key', (_, text) => {
    expect(findSecret(text)).toBe('api-key');
  });

  it.each([
    ['12 words', PHRASE],
    ['24 words in upper case, padded', `  ${[...PHRASE_WORDS, ...PHRASE_WORDS].join(' ').toUpperCase()}\n`],
    ['15 words over lines', [...PHRASE_WORDS, 'act', 'zoo', 'wrong'].join('\n')],
    ['numbered "1. word"', PHRASE_WORDS.map((w, i) => `${i + 1}. ${w}`).join(' ')],
    ['numbered "1) word" lines', PHRASE_WORDS.map((w, i) => `${i + 1}) ${w}`).join('\n')],
    ['numbered "1.word"', PHRASE_WORDS.map((w, i) => `${i + 1}.${w}`).join(' ')],
  ])('flags a recovery phrase of %s', (_, text) => {
    expect(findSecret(text)).toBe('seed-phrase');
  });

  it.each([
    ['a balance question', 'what is my balance?'],
    ['a staking question', 'how do I stake 2 SOL on jito?'],
    ['Chinese text', '我的钱包余额是多少？怎么质押 SOL？'],
    ['a 12-word sentence with short words', 'how do i move my tokens from phantom to this wallet right now'],
    [
      '12 words with punctuation',
      'abandon, ability able about above absent absorb abstract absurd abuse access accident',
    ],
    ['11 words', PHRASE_WORDS.slice(1).join(' ')],
    ['12 words and a number', `${PHRASE} 2024`],
    ['12 words, one with a digit', PHRASE.replace('able', 'ab1e')],
    ['13 words', [...PHRASE_WORDS, 'zoo'].join(' ')],
    ['a phrase inside longer text', `my seed is ${PHRASE} ok?`],
    ['a 12-word phrase with a 9-letter word', [...PHRASE_WORDS.slice(1), 'abundance'].join(' ')],
    ['an address', ADDRESS],
    ['a sentence with two addresses', `send 1 SOL from ${ADDRESS} to ${base58(bytes(32, 9))}`],
    ['a signature with "tx"', `what happened to tx ${SIGNATURE}?`],
    ['a signature in an explorer link', `https://solscan.io/tx/${SIGNATURE}`],
    ['a signature with "Transaction"', `Transaction ${SIGNATURE} failed`],
    ['a signature with 交易', `这笔交易 ${SIGNATURE} 成功了吗`],
    ['a signature with 签名', `签名：${SIGNATURE}`],
    ['79 or 91 base58 characters', `${'A'.repeat(79)} ${'B'.repeat(91)}`],
    ['base58 run inside a longer token', `${'A'.repeat(85)}0`],
    ['63, 65 or 66 hex digits', `${'a'.repeat(63)} ${'b'.repeat(65)} ${'c'.repeat(66)}`],
    ['an array of 63 bytes', JSON.stringify([...bytes(63, 1)])],
    ['an array of 64 numbers over 255', JSON.stringify([...bytes(63, 1), 256])],
    ['a public key PEM', '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA'],
    ['a word ending in sk-', `task-${'a'.repeat(30)}`],
    ['a short sk- value', 'sk-1234'],
    ['a time and a short id', 'meet at 12:30, order 1234567:abc'],
  ])('does not flag %s', (_, text) => {
    expect(findSecret(text)).toBeUndefined();
  });

  it('flags bare 87- and 88-character base58 tokens that could be signatures', () => {
    const long = base58(Uint8Array.from({ length: 64 }, (_, i) => 255 - i));
    expect([SIGNATURE.length, long.length]).toEqual([87, 88]);
    expect(findSecret(`here: ${SIGNATURE}`)).toBe('private-key');
    expect(findSecret(long)).toBe('private-key');
    expect(findSecret(`tx ${long}`)).toBeUndefined();
  });

  it('still flags a key that is not signature-sized next to transaction words', () => {
    expect(findSecret(`sign the tx with ${'A'.repeat(82)}`)).toBe('private-key');
    expect(findSecret(`tx ${HEX_SEED}`)).toBe('private-key');
  });

  it('never flags a random Solana address, alone or in a question', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        const address = base58(key);
        expect(findSecret(address)).toBeUndefined();
        expect(findSecret(`what is the balance of ${address}?`)).toBeUndefined();
        expect(redactSecrets(`send to ${address}`)).toBe(`send to ${address}`);
      }),
      { numRuns: 200 },
    );
  });

  it('never flags a random transaction signature asked about as a transaction', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (signature) => {
        expect(findSecret(`is tx ${base58(signature)} confirmed?`)).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});

const base58Char = fc.constantFrom(...ALPHABET);
const urlSafeChar = fc.constantFrom(...'ABCxyz0189_-');
/** Every shape of secret token, generated. */
const secretToken = fc.oneof(
  fc.uint8Array({ minLength: 64, maxLength: 64 }).map(base58),
  fc.string({ unit: base58Char, minLength: 80, maxLength: 90 }),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map(hex),
  fc.tuple(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.boolean()).map(([b, up]) => {
    const digits = hex(b);
    return `0x${up ? digits.toUpperCase() : digits}`;
  }),
  fc
    .tuple(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.constantFrom(',', ', ', ',\n  ', ' , '))
    .map(([b, comma]) => `[${[...b].join(comma)}]`),
  fc.string({ unit: urlSafeChar, minLength: 20, maxLength: 60 }).map((rest) => `sk-${rest}`),
  fc
    .tuple(
      fc.integer({ min: 100_000, max: 999_999_999_999 }),
      fc.string({ unit: urlSafeChar, minLength: 30, maxLength: 46 }),
    )
    .map(([id, rest]) => `${id}:${rest}`),
  fc
    .string({ unit: base58Char, minLength: 40, maxLength: 200 })
    .map((body) => `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`),
);
const text = fc.string({ unit: 'grapheme', maxLength: 40 });

describe('redactSecrets', () => {
  it('hides every kind of secret token in mixed text and keeps the rest', () => {
    const input = [
      `key ${SECRET_KEY}, array ${KEYGEN};`,
      `hex 0x${HEX_SEED} and ${SK_KEY} and ${BOT_TOKEN}.`,
      PEM,
      `address ${ADDRESS}, amount 1.5 SOL, phrase: ${PHRASE}`,
    ].join('\n');
    expect(redactSecrets(input)).toBe(
      [
        'key [hidden], array [hidden];',
        'hex [hidden] and [hidden] and [hidden].',
        '[hidden]',
        `address ${ADDRESS}, amount 1.5 SOL, phrase: ${PHRASE}`,
      ].join('\n'),
    );
  });

  it('hides a PEM key that was cut off through the end of the text', () => {
    expect(redactSecrets('here:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI')).toBe('here:\n[hidden]');
  });

  it('hides transaction signatures too, since they look like keys', () => {
    expect(redactSecrets(`tx ${SIGNATURE} is confirmed`)).toBe('tx [hidden] is confirmed');
  });

  it('leaves ordinary text alone', () => {
    const answer = '**Staking** 2 SOL on Jito: open https://jito.network, then `stake`. 交易费约 0.000005 SOL。';
    expect(redactSecrets(answer)).toBe(answer);
  });

  it('never lets a generated secret token through, wherever it sits in random text', () => {
    fc.assert(
      fc.property(text, secretToken, text, (before, secret, after) => {
        const message = `${before} ${secret} ${after}`;
        const redacted = redactSecrets(message);
        expect(redacted.includes(secret)).toBe(false);
        expect(redacted).toContain('[hidden]');
      }),
      { numRuns: 300 },
    );
  });

  it('flags every generated secret token in random text (unless it reads as a transaction)', () => {
    fc.assert(
      fc.property(text, secretToken, text, (before, secret, after) => {
        fc.pre(!/tx|sig|transaction|solscan|explorer|交易|签名/i.test(before + after));
        expect(findSecret(`${before} ${secret} ${after}`)).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });
});
