import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findSecret, redactSecrets } from '../../../../core/desk/assistant/secrets.js';
import {
  anySecret,
  aroundText,
  base58,
  disguised,
  ENCODINGS,
  fullwidth,
  KEYPAIR,
  KEYPAIR_BASE58,
  keypair,
  mnemonic,
  plain,
} from '../../../helpers/secrets.js';

const bytes = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 131 + seed * 7 + 1) % 256);
const hex = (data: Uint8Array) => Buffer.from(data).toString('hex');

const SEED = KEYPAIR.subarray(0, 32);
/** 64 bytes that are not a keypair: what a transaction signature is. */
const SIGNATURE = base58(bytes(64, 2));
const ADDRESS = base58(bytes(32, 3));
const HEX_SEED = hex(bytes(32, 5));
const SK_KEY = `sk-${'aB3_x-'.repeat(6)}`;
const BOT_TOKEN = `123456789:${'AbC-d_9'.repeat(6)}`;
const PEM = `-----BEGIN OPENSSH PRIVATE KEY-----\n${'b3BlbnNzaC1rZXktdjE'.repeat(4)}\n-----END OPENSSH PRIVATE KEY-----`;
const ENTROPY = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
const PHRASE_WORDS = mnemonic(ENTROPY, 'english');
const PHRASE = PHRASE_WORDS.join(' ');
const CHINESE_WORDS = mnemonic(
  Uint8Array.from({ length: 16 }, (_, i) => 255 - i * 13),
  'chinese',
);
const ZWSP = '\u200b';

describe('findSecret', () => {
  // The attacks of the money-safety issue, each as it was tried.
  it.each([
    ['a 64-byte key in base64', ENCODINGS.base64(KEYPAIR)],
    ['a 64-byte key in url-safe base64 without padding', ENCODINGS.base64url(KEYPAIR)],
    ['a base58 key with a zero-width space inside', `${KEYPAIR_BASE58.slice(0, 40)}${ZWSP}${KEYPAIR_BASE58.slice(40)}`],
    ['a base58 key in fullwidth characters', [...KEYPAIR_BASE58].map(fullwidth).join('')],
    ['a hex key split in two by a space', `${hex(SEED).slice(0, 32)} ${hex(SEED).slice(32)}`],
    ['a hex key split in two lines', `key:\n${hex(SEED).slice(0, 30)}\n${hex(SEED).slice(30)}\nthanks`],
    ['a hex keypair split in four lines', hex(KEYPAIR).match(/.{32}/g)!.join('\n')],
    ['a keypair as a JSON array', JSON.stringify([...KEYPAIR])],
    ['a seed as a JSON array of 32', `[${[...SEED].join(', ')}]`],
    [
      'a keypair in base64 wrapped over two lines',
      `${ENCODINGS.base64(KEYPAIR).slice(0, 64)}\n${ENCODINGS.base64(KEYPAIR).slice(64)}`,
    ],
    ['a base58 keypair', `please import (${KEYPAIR_BASE58}) for me`],
    ['a base58 keypair next to transaction words', `sign the tx with ${KEYPAIR_BASE58}`],
    ['key_<base58>', `key_${KEYPAIR_BASE58}`],
    ['64 hex digits', HEX_SEED],
    ['64 hex digits with 0x, upper case', `0x${HEX_SEED.toUpperCase()}`],
    ['128 hex digits', hex(bytes(64, 7))],
    ['a 32-byte seed in base64 (not base58)', 'my key: q8Yp0lI+7w9ZxR2mN4vT6uJ1kL3oP5sD8fG0hA2bC4e='],
    ['a 32-byte seed in plain-looking base64 called a seed', 'seed: q8Yp0lI7w9ZxR2mN4vT6uJ1kL3oP5sD8fG0hA2bC4eQ'],
    ['any 64 bytes in base64 that is not base58', Buffer.from(bytes(64, 8)).toString('base64')],
    [
      'an xprv key',
      'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LN8Ferb6sTfHPqA4vgXBoRxdyzsMtmQEHf',
    ],
    ['a zprv key', `zprv${'A'.repeat(107)}`],
    ['a PEM private key', PEM],
    ['a cut PEM private key', '-----BEGIN PRIVATE KEY-----\nMIIEvQ'],
  ])('flags %s as a private key', (_, text) => {
    expect(findSecret(text)).toBe('private-key');
  });

  it.each([
    ['an sk- key', `my deepseek key: ${SK_KEY}`],
    ['an sk-proj- key', `sk-proj-${'A1b2C3d4'.repeat(4)}`],
    ['an sk- key in fullwidth with a zero-width joiner', `ｓｋ－${'ＡｂＣ１２'.repeat(3)}\u200d${'xyz789'.repeat(2)}`],
    ['a Telegram bot token', `token=${BOT_TOKEN}`],
    ['a ghp_ token', `ghp_${'aB3dE5gH7j'.repeat(3)}K9mN1p`],
    ['a gho_ token', `gho_${'Zz09'.repeat(9)}`],
    ['a github_pat_ token', `github_pat_11ABCDEFG0${'aB3dE5gH7j'.repeat(6)}`],
    ['an AWS access key id', 'id AKIAIOSFODNN7EXAMPLE'],
    ['an AWS secret key with its name', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['an AWS id/secret pair', 'AKIAIOSFODNN7EXAMPLE/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
  ])('flags %s as an API key', (_, text) => {
    expect(findSecret(text)).toBe('api-key');
  });

  it.each([
    ['12 words', PHRASE],
    ['24 words in upper case, padded', `  ${mnemonic(bytes(32, 1), 'english').join(' ').toUpperCase()}\n`],
    ['15 words over lines', mnemonic(bytes(20, 1), 'english').join('\n')],
    ['12 words separated by commas', PHRASE_WORDS.join(',')],
    ['12 words separated by dots, dashes and double spaces', PHRASE_WORDS.join('.-  ')],
    ['12 words separated by CJK punctuation', PHRASE_WORDS.join('、')],
    ['numbered "1. word"', PHRASE_WORDS.map((w, i) => `${i + 1}. ${w}`).join(' ')],
    ['numbered "1) word" lines', PHRASE_WORDS.map((w, i) => `${i + 1}) ${w}`).join('\n')],
    ['a phrase inside longer text', `my seed is ${PHRASE} ok?`],
    ['a phrase with zero-width spaces between letters', PHRASE.replace(/a/g, `a${ZWSP}`)],
    ['a phrase in fullwidth letters', [...PHRASE].map(fullwidth).join('')],
    ['13 words (a phrase and one more list word)', `${PHRASE} zoo`],
    ['a phrase with a typo in its last word (checksum not required)', PHRASE.replace(/\w+$/, 'zoo')],
    ['the all-zero phrase, few distinct words but a valid checksum', `${'abandon '.repeat(11)}about`],
    ['the all-zero phrase in Chinese, written together', '的的的的的的的的的的的在'],
    ['the all-zero phrase in Chinese, inside a sentence', '我的助记词是的的的的的的的的的的的在，帮我恢复'],
    ['24 words of the all-zero entropy, comma-separated', [...Array(23).fill('abandon'), 'art'].join(',')],
    [
      'a test vector with 8 distinct words',
      'letter advice cage absurd amount doctor acoustic avoid letter advice cage above',
    ],
    ['Chinese words separated by spaces', CHINESE_WORDS.join(' ')],
    ['Chinese words with no separators at all', CHINESE_WORDS.join('')],
    ['Chinese words with no separators inside a sentence', `我的助记词是${CHINESE_WORDS.join('')}，帮我恢复钱包`],
    ['Chinese words separated by CJK commas', CHINESE_WORDS.join('，')],
    [
      '24 Chinese words in groups of four',
      mnemonic(bytes(32, 9), 'chinese')
        .join('')
        .replace(/(.{4})/g, '$1 '),
    ],
  ])('flags a recovery phrase: %s', (_, text) => {
    expect(findSecret(text)).toBe('seed-phrase');
  });

  it('leaves a repeated word alone when no window of a phrase length has a valid checksum', () => {
    expect(findSecret(`${'abandon '.repeat(11)}abandon`)).toBeUndefined();
  });

  it.each([
    ['a balance question', 'what is my balance?'],
    ['a staking question', 'how do I stake 2 SOL on jito?'],
    ['Chinese text', '我的钱包余额是多少？怎么质押 SOL？'],
    ['a long Chinese question', '请问这个机器人可以帮我查询交易记录吗我想知道上个月的所有转账情况还有手续费是多少'],
    ['a 12-word sentence with short words', 'how do i move my tokens from phantom to this wallet right now'],
    ['11 words', PHRASE_WORDS.slice(1).join(' ')],
    ['12 words, one with a digit', PHRASE.replace(/^(\w\w)\w/, '$11')],
    ['an address', ADDRESS],
    ['an address linked with "private key" near it', `how do I export the private key of ${ADDRESS}?`],
    ['a list of addresses, one per line', Array.from({ length: 12 }, (_, i) => base58(bytes(32, i + 20))).join('\n')],
    ['two addresses side by side', `${base58(keypair(bytes(32, 4)).subarray(32))} ${ADDRESS}`],
    ['a sentence with two addresses', `send 1 SOL from ${ADDRESS} to ${base58(bytes(32, 9))}`],
    ['a bare transaction signature', SIGNATURE],
    ['a signature in an explorer link', `https://solscan.io/tx/${SIGNATURE}`],
    ['a signature with 签名', `签名：${SIGNATURE}`],
    ['a signature written with a zero-width space', `${SIGNATURE.slice(0, 9)}${ZWSP}${SIGNATURE.slice(9)}`],
    ['79 or 91 base58 characters', `${'A'.repeat(79)} ${'B'.repeat(91)}`],
    ['80 base58 characters that are not a keypair', 'A'.repeat(80)],
    ['63, 65 or 66 hex digits', `${'a'.repeat(63)} ${'b'.repeat(65)} ${'c'.repeat(66)}`],
    ['amounts of 8 digits in a row', Array.from({ length: 8 }, (_, i) => `${i + 1}0000000`).join(', ')],
    ['a git commit hash', 'fixed in 3f786850e387550fdab836ed7e6dc881de23001b'],
    ['an array of 63 bytes', JSON.stringify([...bytes(63, 1)])],
    ['an array of 64 numbers over 255', JSON.stringify([...bytes(63, 1), 256])],
    ['a public key PEM', '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA'],
    ['an xpub', `xpub${'A'.repeat(107)}`],
    ['a word ending in sk-', `task-${'a'.repeat(30)}`],
    ['one list word said many times', 'word '.repeat(70)],
    ['a mistyped address (an O for a 0)', `/withdraw 1 So1111111111111111111111111111111111111111O`],
    ['a short sk- value', 'sk-1234'],
    ['a time and a short id', 'meet at 12:30, order 1234567:abc'],
    ['40 characters with no AWS context', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
  ])('does not flag %s', (_, text) => {
    expect(findSecret(text)).toBeUndefined();
  });

  it('tells a keypair from a signature by the Ed25519 check, not by the words around it', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (seed, signature) => {
          expect(findSecret(`is tx ${base58(keypair(seed))} confirmed?`)).toBe('private-key');
          expect(findSecret(`here: ${base58(signature)}`)).toBeUndefined();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never flags a random Solana address, alone or in a question', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        const address = base58(key);
        expect(findSecret(address)).toBeUndefined();
        expect(findSecret(`what is the private key of ${address}?`)).toBeUndefined();
        expect(redactSecrets(`send to ${address}`)).toBe(`send to ${address}`);
      }),
      { numRuns: 200 },
    );
  });

  it('flags a message with more than 8 signature-sized tokens without checking each (bounded work)', () => {
    const signatures = Array.from({ length: 9 }, (_, i) => base58(bytes(64, i + 30)));
    expect(findSecret(signatures.slice(0, 8).join('\n'))).toBeUndefined();
    expect(findSecret(signatures.join('\n'))).toBe('private-key');
  });

  it('leaves everyday English and the bot’s own texts alone', () => {
    const texts = [
      readFileSync('README.md', 'utf8'),
      readFileSync('core/desk/i18n.ts', 'utf8'),
      readFileSync('core/desk/assistant/prompt.ts', 'utf8'),
    ];
    for (const paragraph of texts.flatMap((t) => t.split(/\n\s*\n/))) expect(findSecret(paragraph)).toBeUndefined();
  });

  it('checks a 4,096-character message in linear time: within a small multiple of reading its words', () => {
    const texts = {
      english: readFileSync('README.md', 'utf8').slice(0, 4096),
      chinese: '我的钱包余额是多少？怎么质押SOL？请问这个机器人可以帮我查询交易记录吗。'.repeat(120).slice(0, 4096),
      // Runs of list words with few distinct ones: each may hide a phrase whose checksum holds.
      'two list words repeated': 'abandon zoo '.repeat(400).slice(0, 4096),
      'one list word repeated': 'word '.repeat(900).slice(0, 4096),
    };
    const time = (work: () => unknown) => {
      for (let i = 0; i < 10; i++) work();
      const start = performance.now();
      for (let i = 0; i < 50; i++) work();
      return performance.now() - start;
    };
    for (const [name, text] of Object.entries(texts)) {
      // The baseline, measured in the same run: normalizing the text and listing its words.
      const words = time(() => [...text.normalize('NFKC').matchAll(/[A-Za-z]+|\p{Script=Han}/gu)].length);
      // Measured 2–12× on an idle machine; an accidental quadratic pass is hundreds.
      expect(time(() => findSecret(text)) / words, name).toBeLessThan(60);
    }
  });
});

describe('redactSecrets', () => {
  it('hides every kind of secret in mixed text and keeps the rest, fullwidth punctuation included', () => {
    const input = [
      `key ${KEYPAIR_BASE58}, array ${JSON.stringify([...KEYPAIR])};`,
      `hex 0x${HEX_SEED} and ${SK_KEY} and ${BOT_TOKEN}.`,
      PEM,
      `address ${ADDRESS}，amount 1.5 SOL，phrase: ${PHRASE}`,
    ].join('\n');
    expect(redactSecrets(input)).toBe(
      [
        'key [hidden], array [hidden];',
        'hex [hidden] and [hidden] and [hidden].',
        '[hidden]',
        // "phrase" is a BIP-39 word too: hidden with the words after it.
        `address ${ADDRESS}，amount 1.5 SOL，[hidden]`,
      ].join('\n'),
    );
  });

  it('hides a disguised key with its invisible characters and keeps the text around as it was', () => {
    const key = `${KEYPAIR_BASE58.slice(0, 10)}${ZWSP}${[...KEYPAIR_BASE58.slice(10)].map(fullwidth).join('')}`;
    expect(redactSecrets(`（私钥）${key}！`)).toBe('（私钥）[hidden]！');
  });

  it('hides a PEM key that was cut off through the end of the text', () => {
    expect(redactSecrets('here:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI')).toBe('here:\n[hidden]');
  });

  it('leaves transaction signatures and ordinary text alone', () => {
    const answer = `**Staking** 2 SOL on Jito: open https://jito.network, then \`stake\`. 交易 ${SIGNATURE} 费约 0.000005 SOL。`;
    expect(redactSecrets(answer)).toBe(answer);
  });
});

/** The first keypair (from seeds 0, 1, 2, …) whose base64 has none of the marks base58 lacks. */
function keypairInBase58LookingBase64(): string {
  for (let n = 0; ; n++) {
    const seed = Uint8Array.from({ length: 32 }, (_, i) => (n >> (8 * (i % 4))) & 255);
    const value = ENCODINGS.base64url(keypair(seed));
    if (/^[1-9A-HJ-NP-Za-km-z]+$/.test(value)) return value;
  }
}

describe('findSecret and redactSecrets on generated secrets', () => {
  it('catch a keypair whose base64 is also valid base58 (found by the property below)', () => {
    const value = keypairInBase58LookingBase64();
    expect(findSecret(value)).toBe('private-key');
    expect(redactSecrets(`mine: ${value} ok?`)).toBe('mine: [hidden] ok?');
  });

  it('catch every generated secret, disguised, wherever it sits in random text', () => {
    fc.assert(
      fc.property(aroundText, disguised(anySecret), aroundText, (before, secret, after) => {
        const message = `${before} ${secret.value} ${after}`;
        expect(findSecret(message), secret.label).toBeDefined();
        const redacted = redactSecrets(message);
        expect(redacted, secret.label).toContain('[hidden]');
        expect(plain(redacted).includes(plain(secret.core ?? secret.value)), secret.label).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
