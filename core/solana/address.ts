import { ed25519 } from '@noble/curves/ed25519';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Why a string is not a usable Solana address. */
export type AddressProblem = 'not_base58' | 'wrong_length' | 'off_curve';

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

/** True when the 32 bytes are a point on ed25519: a key a wallet can sign for (a PDA is not). */
export function isOnCurve(bytes: Uint8Array): boolean {
  try {
    ed25519.ExtendedPoint.fromHex(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a user-supplied Solana address: base58, 32 bytes, and (for a wallet the user owns)
 * on the ed25519 curve. Cheap and dependency-light, so the webhook can run it before a job.
 */
export function checkAddress(input: string, options: { wallet: boolean }): AddressCheck {
  const text = input.trim();
  if (text.length < 32 || text.length > 44)
    return { ok: false, problem: text.length === 0 ? 'not_base58' : 'wrong_length' };
  const bytes = decodeBase58(text);
  if (!bytes) return { ok: false, problem: 'not_base58' };
  if (bytes.length !== 32) return { ok: false, problem: 'wrong_length' };
  if (options.wallet && !isOnCurve(bytes)) return { ok: false, problem: 'off_curve' };
  return { ok: true, address: text, bytes };
}
