/**
 * Encodings the Solana JSON-RPC API speaks: base58 (keys, signatures, blockhashes, instruction data),
 * base64 (transactions, account data) and JSON whose integers may exceed 2^53 (lamports, `rentEpoch`).
 */

// One base58 implementation for the project: the one core uses for user-supplied addresses.
export { decodeBase58 as base58Decode, encodeBase58 as base58Encode } from '../../core/desk/solana/address.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 decoding; `undefined` for anything Solana's decoder would reject. */
export function base64Decode(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export const base64Encode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

const BIGINT_MARK = '\u0000bigint:';
const BIGINT_PATTERN = /"\\u0000bigint:(-?\d+)"/g;

/**
 * `JSON.stringify` that writes bigints as plain JSON integers with every digit kept
 * (`18446744073709551615`, not `18446744073709552000`), as Solana's Rust serializer does.
 */
export function stringifyJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? `${BIGINT_MARK}${item.toString()}` : item,
  );
  return text.replace(BIGINT_PATTERN, '$1');
}
