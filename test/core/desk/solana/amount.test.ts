import { describe, expect, it } from 'vitest';
import { amountProblemText } from '../../../../core/desk/amounts.js';
import { conversationTranslator } from '../../../../core/desk/i18n.js';
import { parseAmount } from '../../../../core/desk/solana/amount.js';

// The withdrawal limits of the default stage: 0.01 to 10 SOL.
const LIMITS = { minLamports: 10_000_000n, maxLamports: 10_000_000_000n };

describe('parseAmount', () => {
  it.each([
    ['1.5', 1_500_000_000n],
    ['1,5', 1_500_000_000n],
    ['  2 \t', 2_000_000_000n],
    ['\u00a00.25\u3000', 250_000_000n],
    ['１．５', 1_500_000_000n],
    ['１，５', 1_500_000_000n],
    ['.5', 500_000_000n],
    ['10.', 10_000_000_000n],
    ['0.010000000000', 10_000_000n],
    ['000010', 10_000_000_000n],
  ])('reads %j as %s lamports', (text, lamports) => {
    expect(parseAmount(text, LIMITS)).toEqual({ ok: true, lamports });
  });

  it.each([
    ['abc', 'not_number'],
    ['1e30', 'not_number'],
    ['1e3', 'not_number'],
    ['', 'not_number'],
    ['   ', 'not_number'],
    ['.', 'not_number'],
    ['1.2.3', 'not_number'],
    ['+1', 'not_number'],
    ['1 000', 'not_number'],
    ['0x10', 'not_number'],
    ['Infinity', 'not_number'],
    ['NaN', 'not_number'],
    ['١٢', 'not_number'],
    ['-1', 'not_positive'],
    ['−1', 'not_positive'],
    ['－１', 'not_positive'],
    ['0', 'not_positive'],
    ['0,000', 'not_positive'],
    ['0.0000000001', 'too_many_decimals'],
    ['1.0000000001', 'too_many_decimals'],
    ['0.001', 'too_small'],
    ['0.009999999', 'too_small'],
    ['10.000000001', 'too_large'],
    ['11', 'too_large'],
    ['9'.repeat(5000), 'too_large'],
    [`${'9'.repeat(400)}.5`, 'too_large'],
  ])('refuses %j: %s', (text, problem) => {
    expect(parseAmount(text, LIMITS)).toEqual({ ok: false, problem });
  });

  it('takes the limits inclusively', () => {
    expect(parseAmount('0.01', LIMITS)).toEqual({ ok: true, lamports: LIMITS.minLamports });
    expect(parseAmount('10', LIMITS)).toEqual({ ok: true, lamports: LIMITS.maxLamports });
  });
});

describe('amountProblemText', () => {
  const problems = ['not_number', 'not_positive', 'too_many_decimals', 'too_small', 'too_large'] as const;

  it.each(problems)('states the limits and decimals in the first answer (%s), in both languages', (problem) => {
    for (const lang of ['en', 'zh'] as const) {
      const text = amountProblemText(conversationTranslator(lang), problem, '42', LIMITS);
      expect(text).toContain('0.01');
      expect(text).toContain('10');
      expect(text).toMatch(/9|0\.000000001/);
    }
  });

  it('gives each problem its own reason', () => {
    const t = conversationTranslator('en');
    const texts = new Set(problems.map((problem) => amountProblemText(t, problem, 'x', LIMITS)));
    expect(texts.size).toBe(problems.length);
  });

  it('escapes what was typed and cuts a huge digit string', () => {
    const t = conversationTranslator('en');
    expect(amountProblemText(t, 'not_number', '<b>1</b>', LIMITS)).toContain('&lt;b&gt;1&lt;/b&gt;');
    const huge = amountProblemText(t, 'too_large', '9'.repeat(5000), LIMITS);
    expect(huge.length).toBeLessThan(300);
    expect(huge).toContain('…');
  });
});
