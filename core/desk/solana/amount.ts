import { LAMPORTS_PER_SOL } from './format.js';

/** SOL's decimals: 1 lamport = 0.000000001 SOL. */
export const SOL_DECIMALS = 9;

/** Why a typed amount is refused. */
export type AmountProblem = 'not_number' | 'not_positive' | 'too_many_decimals' | 'too_small' | 'too_large';

/** The range an amount must fall in (lamports, both inclusive). */
export interface AmountLimits {
  readonly minLamports: bigint;
  readonly maxLamports: bigint;
}

export type AmountParse = { ok: true; lamports: bigint } | { ok: false; problem: AmountProblem };

/** A sign in front of digits: ASCII hyphen-minus, the minus sign, and their full-width forms (after NFKC). */
const NEGATIVE = /^[-\u2212]\s*[\d.,]/;
const DECIMAL = /^(?=[.,]?\d)(\d*)(?:[.,](\d*))?$/;

/**
 * The one parser of SOL amounts a person types (`/withdraw`, `/deposit`, watch thresholds, Solana
 * Pay's `amount`): `"1.5"`, `"0,25"`, `" 2 "`, full-width `"１．５"` (read as NFKC) to lamports, or
 * the reason it is not one: words, exponents and anything else `not_number`; a sign or zero
 * `not_positive`; below one lamport `too_many_decimals` (trailing zeros do not count); outside the
 * limits `too_small` / `too_large`. No floats: digits go straight to a bigint, and a digit string
 * longer than the maximum's is refused before it is converted.
 */
export function parseAmount(text: string, limits: AmountLimits): AmountParse {
  const normalized = text.normalize('NFKC').trim();
  if (NEGATIVE.test(normalized)) return { ok: false, problem: 'not_positive' };
  const match = DECIMAL.exec(normalized);
  if (!match) return { ok: false, problem: 'not_number' };
  const whole = match[1]!.replace(/^0+(?=\d)/, '') || '0';
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > SOL_DECIMALS) return { ok: false, problem: 'too_many_decimals' };
  const maxWholeDigits = (limits.maxLamports / LAMPORTS_PER_SOL).toString().length;
  if (whole.length > maxWholeDigits) return { ok: false, problem: 'too_large' };
  const lamports = BigInt(whole) * LAMPORTS_PER_SOL + BigInt(fraction.padEnd(SOL_DECIMALS, '0'));
  if (lamports === 0n) return { ok: false, problem: 'not_positive' };
  if (lamports < limits.minLamports) return { ok: false, problem: 'too_small' };
  if (lamports > limits.maxLamports) return { ok: false, problem: 'too_large' };
  return { ok: true, lamports };
}
