import { randomBytes } from 'node:crypto';
import { type AmountLimits, encodeBase58, LAMPORTS_PER_SOL, parseAmount } from '../solana/index.js';

/**
 * Deposits by reference (Solana Pay transfer requests).
 *
 * A user who wants to deposit gets a transfer request whose `reference` is a fresh random
 * 32-byte key, stored as theirs (a *claim*) before it is shown. A wallet paying the request adds
 * the reference to the transfer as a read-only, non-signing account key, so the transfer can be
 * found by `getSignaturesForAddress(reference)` and is credited to the reference's owner only.
 *
 * One fresh reference per claim, never one per user: Solana Pay asks for a reference unique per
 * payment request; a per-user reference would link all of a user's deposits on chain for anyone
 * to see, and would make every scan page through a user's whole history. Per claim, the scanning
 * work is bounded by the claims still open.
 *
 * A reference need not be a keypair: nobody ever signs with it, it only has to be unguessable and
 * unique (32 random bytes, shown as base58 like any account key).
 */

/** Bytes of a reference: the size of a Solana public key. */
export const REFERENCE_BYTES = 32;

/** A fresh reference: 32 random bytes in base58. */
export function newReference(random: (size: number) => Uint8Array = randomBytes): string {
  const bytes = random(REFERENCE_BYTES);
  if (bytes.length !== REFERENCE_BYTES) throw new RangeError(`a reference is ${REFERENCE_BYTES} bytes`);
  return encodeBase58(bytes);
}

/** What a transfer request asks for. */
export interface TransferRequest {
  /** Where the SOL goes: the treasury. */
  recipient: string;
  reference: string;
  /** Omitted: the payer's wallet asks how much. */
  lamports?: bigint;
  label?: string;
  message?: string;
}

/** `1500000000n` → `"1.5"`: decimal SOL, never scientific notation (Solana Pay's `amount`). */
export function decimalSol(lamports: bigint): string {
  const whole = lamports / LAMPORTS_PER_SOL;
  const fraction = (lamports % LAMPORTS_PER_SOL).toString().padStart(9, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/**
 * The Solana Pay transfer request URL:
 * `solana:<recipient>?amount=<decimal SOL>&reference=<base58>&label=<urlencoded>&message=<urlencoded>`.
 */
export function transferRequestUrl(request: TransferRequest): string {
  const params: string[] = [];
  if (request.lamports !== undefined) params.push(`amount=${decimalSol(request.lamports)}`);
  params.push(`reference=${request.reference}`);
  if (request.label) params.push(`label=${encodeURIComponent(request.label)}`);
  if (request.message) params.push(`message=${encodeURIComponent(request.message)}`);
  return `solana:${request.recipient}?${params.join('&')}`;
}

/** A transfer request read back from its URL (what a wallet does with it). */
export function parseTransferRequest(url: string): TransferRequest | undefined {
  const match = /^solana:([1-9A-HJ-NP-Za-km-z]{32,44})(?:\?(.*))?$/.exec(url.trim());
  if (!match) return undefined;
  const query = new URLSearchParams(match[2] ?? '');
  const reference = query.get('reference');
  if (!reference || !/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(reference)) return undefined;
  const amount = query.get('amount');
  let lamports: bigint | undefined;
  if (amount !== null) {
    const parsed = parseAmount(amount, DEPOSIT_LIMITS);
    if (!parsed.ok) return undefined;
    lamports = parsed.lamports;
  }
  return {
    recipient: match[1]!,
    reference,
    ...(lamports === undefined ? {} : { lamports }),
    ...(query.get('label') ? { label: query.get('label')! } : {}),
    ...(query.get('message') ? { message: query.get('message')! } : {}),
  };
}

/** Largest amount a request may ask for (SOL): far beyond any real deposit, well inside a u64 of lamports. */
export const MAX_REQUEST_SOL = 1_000_000n;

/** What a deposit request may ask for: from one lamport to {@link MAX_REQUEST_SOL}. */
export const DEPOSIT_LIMITS: AmountLimits = { minLamports: 1n, maxLamports: MAX_REQUEST_SOL * LAMPORTS_PER_SOL };
