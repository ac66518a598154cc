import type { Language } from '../../platform/i18n/index.js';
import type { JobTranslate } from '../i18n.js';
import type { Fiat, MintPrice, PriceTable } from './quote.js';

/** The currencies a user reads values in: USD, and CNY too in 中文. */
export const fiatsFor = (lang: Language): readonly Fiat[] => (lang === 'zh' ? ['usd', 'cny'] : ['usd']);

const FORMATS: Record<Fiat, Intl.NumberFormat> = {
  usd: new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }),
  cny: new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY' }),
};

/** `$1,234.56`; a positive value under a cent is `<$0.01`, never a misleading `$0.00`. */
export function formatFiat(fiat: Fiat, value: number): string {
  if (value > 0 && value < 0.01) return `<${FORMATS[fiat].format(0.01)}`;
  return FORMATS[fiat].format(value);
}

/**
 * The value of `amount` whole tokens at `price` in the user's currencies (`$225.00 / ¥1,620.00`),
 * or `undefined` when the price is in none of them (the source does not know the mint).
 */
export function fiatValue(amount: number, price: MintPrice | undefined, lang: Language): string | undefined {
  const parts = fiatsFor(lang).flatMap((fiat) =>
    price?.[fiat] === undefined ? [] : [formatFiat(fiat, amount * price[fiat])],
  );
  return parts.length > 0 ? parts.join(' / ') : undefined;
}

/** `amount` base units of a token with `decimals`, as whole tokens (a display number, not money arithmetic). */
export const wholeTokens = (amount: bigint | string, decimals: number): number => Number(amount) / 10 ** decimals;

/**
 * Prices for one answer in the reader's language: `table` is `undefined` when the source did not
 * answer (amounts are shown without values, and the answer says so); `shown` counts the values written.
 */
export interface Valuation {
  readonly lang: Language;
  readonly table: PriceTable | undefined;
  shown: number;
}

export const valuationOf = (lang: Language, table: PriceTable | undefined): Valuation => ({ lang, table, shown: 0 });

/** `line ≈ $1.23` when the source knows the mint; `line` unchanged otherwise (or without a valuation). */
export function valued(
  t: JobTranslate,
  line: string,
  amount: number,
  mint: string,
  valuation: Valuation | undefined,
): string {
  const value = valuation && fiatValue(amount, valuation.table?.get(mint), valuation.lang);
  if (!valuation || value === undefined) return line;
  valuation.shown++;
  return `${line} ${t('price.value', { value })}`;
}

/** The closing line about values: indicative when any was shown, unavailable when the source was down. */
export function valuationNote(t: JobTranslate, valuation: Valuation): string | undefined {
  if (valuation.table === undefined) return t('price.unavailable');
  return valuation.shown > 0 ? t('price.indicative') : undefined;
}
