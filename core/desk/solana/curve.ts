/**
 * Ed25519 curve membership without a curve library, so that the webhook can tell a
 * program-derived address (PDA) at once without carrying curve arithmetic into its cold start.
 * Only point decompression's existence test is needed (RFC 8032 §5.1.3): `x² = (y² − 1) / (d·y² + 1)`
 * has a solution mod p exactly when that ratio is zero or a quadratic residue (Euler's criterion).
 * Canonical encodings only (y < p, and x = 0 with the sign bit set is refused), as web3.js's
 * `PublicKey.isOnCurve` decides; the tests check agreement with @noble/curves on random and edge inputs.
 */
const P = 2n ** 255n - 19n;
/** d = −121665 / 121666 mod p. */
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = base % P;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

/**
 * True when the 32 bytes are a point on ed25519: a key someone can sign for (a wallet). A
 * program-derived address (PDA) is deliberately off the curve.
 */
export function isOnCurve(bytes: Uint8Array): boolean {
  if (bytes.length !== 32) return false;
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? bytes[i]! & 0x7f : bytes[i]!);
  const xOdd = (bytes[31]! & 0x80) !== 0;
  if (y >= P) return false;
  const y2 = (y * y) % P;
  const u = (y2 - 1n + P) % P;
  const v = (D * y2 + 1n) % P;
  const ratio = (u * modPow(v, P - 2n)) % P;
  if (ratio === 0n) return !xOdd;
  return modPow(ratio, (P - 1n) / 2n) === 1n;
}
