import { createHash } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * A 16-character base32 id (80 bits of SHA-256) of `input`: the same input always gives the same
 * id, short enough for callback data (`po:ok:<id>` is 22 bytes of Telegram's 64).
 */
export function shortId(input: string): string {
  const digest = createHash('sha256').update(input).digest();
  let out = '';
  for (let bit = 0; out.length < 16; bit += 5) {
    const byte = bit >> 3;
    const pair = (digest[byte]! << 8) | digest[byte + 1]!;
    out += BASE32[(pair >> (11 - (bit & 7))) & 31];
  }
  return out;
}

/** What `shortId` returns. */
export const SHORT_ID = /^[a-z2-7]{16}$/;
