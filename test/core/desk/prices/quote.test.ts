import { describe, expect, it } from 'vitest';
import {
  fiatValue,
  formatFiat,
  PRICED_MINTS,
  parseTokenPrices,
  tokenPriceUrl,
  WSOL_MINT,
} from '../../../../core/desk/prices/index.js';

const USDC = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';

describe('parseTokenPrices', () => {
  it('keeps the asked mints’ USD and CNY prices, matching keys without regard to case', () => {
    const table = parseTokenPrices(
      {
        [WSOL_MINT.toLowerCase()]: { usd: 150.5, cny: 1083, eur: 140, last_updated_at: 1 },
        DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263: { usd: 3 },
      },
      [WSOL_MINT, USDC],
    );
    expect([...(table ?? [])]).toEqual([[WSOL_MINT, { usd: 150.5, cny: 1083 }]]);
  });

  it.each([
    ['a list', [1, 2]],
    ['a string price', { [USDC]: { usd: '1' } }],
    ['a zero price', { [USDC]: { usd: 0 } }],
    ['a negative price', { [USDC]: { usd: -1 } }],
    ['an error body', { status: { error_code: 429 } }],
    ['null', null],
  ])('refuses %s', (_, raw) => {
    expect(parseTokenPrices(raw, [USDC])).toBeUndefined();
  });

  it('asks for every well-known mint and both currencies, keeping the URL’s own query', () => {
    const url = new URL(tokenPriceUrl('https://pro-api.example/token_price/solana?x_cg_pro_api_key=k', PRICED_MINTS));
    expect(url.searchParams.get('x_cg_pro_api_key')).toBe('k');
    expect(url.searchParams.get('contract_addresses')?.split(',')).toContain(WSOL_MINT);
    expect(url.searchParams.get('vs_currencies')).toBe('usd,cny');
  });
});

describe('values', () => {
  it('reads USD in English, USD and CNY in 中文, nothing for an unknown price', () => {
    expect(fiatValue(1.5, { usd: 150, cny: 1080 }, 'en')).toBe('$225.00');
    expect(fiatValue(1.5, { usd: 150, cny: 1080 }, 'zh')).toBe('$225.00 / ¥1,620.00');
    expect(fiatValue(2, { cny: 7.2 }, 'en')).toBeUndefined();
    expect(fiatValue(2, undefined, 'zh')).toBeUndefined();
  });

  it('never rounds a small positive value down to zero', () => {
    expect(formatFiat('usd', 0.001)).toBe('<$0.01');
    expect(formatFiat('usd', 0)).toBe('$0.00');
    expect(formatFiat('usd', 1234567.891)).toBe('$1,234,567.89');
  });
});
