import type { Translate } from './i18n.js';
import type { PayoutSettings } from './settings.js';
import { type AmountLimits, type AmountProblem, formatSol } from './solana/index.js';

/** Longest piece of a refused amount echoed back (a huge digit string is cut). */
const ECHO_CHARS = 24;

/** The limits in SOL, as the amount messages and usage lines show them. */
export function limitsInSol(limits: AmountLimits): { min: string; max: string } {
  return { min: formatSol(limits.minLamports), max: formatSol(limits.maxLamports) };
}

/**
 * Why a typed amount was refused, in the user's language, with the limits (minimum, maximum,
 * decimals) in the same answer: no round trip to learn them. The text is escaped by the translator.
 */
export function amountProblemText(t: Translate, problem: AmountProblem, text: string, limits: AmountLimits): string {
  const echo = text.length > ECHO_CHARS ? `${text.slice(0, ECHO_CHARS)}…` : text;
  return t(`amount.${problem}`, { text: echo, ...limitsInSol(limits) });
}

/** What one withdrawal may be, from the stage's settings. */
export function withdrawLimits(settings: Pick<PayoutSettings, 'minLamports' | 'maxLamports'>): AmountLimits {
  return { minLamports: BigInt(settings.minLamports), maxLamports: BigInt(settings.maxLamports) };
}
