import { PoisonJobError } from '../../platform/errors.js';
import { encodeBase58 } from './address.js';

/** The most a Solana transaction may weigh on the wire (IPv6 MTU minus headers). */
export const MAX_TRANSACTION_BYTES = 1232;

/**
 * The transaction's id: its first signature (the fee payer's), read from the wire format
 * (a compact-u16 signature count, then 64-byte signatures). A transaction that is not signed,
 * too large, or truncated can never be sent: it is poison.
 */
export function firstSignature(bytes: Uint8Array): string {
  if (bytes.length > MAX_TRANSACTION_BYTES) {
    throw new PoisonJobError('tx.too_large', `transaction is ${bytes.length} bytes (max ${MAX_TRANSACTION_BYTES})`);
  }
  const count = bytes[0] ?? 0;
  // Counts ≥ 128 would need a second length byte; no real transaction has that many signatures.
  if (count === 0 || count >= 0x80 || bytes.length < 1 + 64 * count) {
    throw new PoisonJobError('tx.malformed', 'transaction has no complete signature');
  }
  const signature = bytes.subarray(1, 65);
  if (signature.every((b) => b === 0)) throw new PoisonJobError('tx.unsigned', 'transaction is not signed');
  return encodeBase58(signature);
}
