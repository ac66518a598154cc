import { ed25519 } from '@noble/curves/ed25519';

/**
 * True when the 32 bytes are a point on ed25519: a key someone can sign for (a wallet). A
 * program-derived address (PDA) is deliberately off the curve. Worker-side only: the curve code
 * would weigh on the webhook's cold start.
 */
export function isOnCurve(bytes: Uint8Array): boolean {
  try {
    ed25519.ExtendedPoint.fromHex(bytes);
    return true;
  } catch {
    return false;
  }
}
