const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Why a string is not a usable Solana address. */
export type AddressProblem = 'not_base58' | 'wrong_length';

export type AddressCheck = { ok: true; address: string; bytes: Uint8Array } | { ok: false; problem: AddressProblem };

/** Decodes base58 (Bitcoin alphabet); undefined when a character is outside it. */
export function decodeBase58(text: string): Uint8Array | undefined {
  const bytes: number[] = [];
  for (const char of text) {
    let carry = INDEX.get(char);
    if (carry === undefined) return undefined;
    for (let i = 0; i < bytes.length; i++) {
      carry += bytes[i]! * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  for (const char of text) {
    if (char !== '1') break;
    bytes.push(0);
  }
  return Uint8Array.from(bytes.reverse());
}

/** Encodes bytes as base58 (Bitcoin alphabet), as Solana writes addresses and signatures. */
export function encodeBase58(bytes: Uint8Array): string {
  const digits: number[] = [];
  for (const byte of bytes) {
    let carry = byte;
    for (let i = 0; i < digits.length; i++) {
      carry += digits[i]! << 8;
      digits[i] = carry % 58;
      carry = (carry / 58) | 0;
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = (carry / 58) | 0;
    }
  }
  let zeros = '';
  for (const byte of bytes) {
    if (byte !== 0) break;
    zeros += '1';
  }
  return (
    zeros +
    digits
      .reverse()
      .map((d) => ALPHABET[d])
      .join('')
  );
}

/**
 * Checks the syntax of a user-supplied Solana address: base58 and exactly 32 bytes. It has no
 * curve arithmetic, so the webhook can run it on every message without weighing its cold start;
 * whether a wallet can sign for the address is `core/desk/solana/curve.ts`'s question.
 */
export function checkAddress(input: string): AddressCheck {
  const text = input.trim();
  if (text.length < 32 || text.length > 44)
    return { ok: false, problem: text.length === 0 ? 'not_base58' : 'wrong_length' };
  const bytes = decodeBase58(text);
  if (!bytes) return { ok: false, problem: 'not_base58' };
  if (bytes.length !== 32) return { ok: false, problem: 'wrong_length' };
  return { ok: true, address: text, bytes };
}
