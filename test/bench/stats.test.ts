import { describe, expect, it } from 'vitest';
import { median, pairedRatio, ratioRow } from '../../bench/stats.js';

describe('pairedRatio', () => {
  it('is the median of the rounds’ ratios: a slow spell that hits both sides of a round cancels', () => {
    // Every round the value is 1.05× its baseline; some rounds ran on a machine twice as slow.
    const pairs = [100, 100, 200, 200, 100, 200, 100, 200, 100].map((baseline) => [1.05 * baseline, baseline] as const);
    expect(pairedRatio(pairs)).toBeCloseTo(1.05, 10);
    // Two rounds slowed on the value's side only, two on both: each side's median alone gives 210 ÷ 100.
    const skewed: (readonly [number, number])[] = [
      [105, 100],
      [105, 100],
      [105, 100],
      [210, 100],
      [210, 100],
      [210, 200],
      [210, 200],
    ];
    expect(pairedRatio(skewed)).toBeCloseTo(1.05, 10);
    expect(median(skewed.map(([value]) => value)) / median(skewed.map(([, baseline]) => baseline))).toBe(2.1);
  });

  it('judges the goal by the ratio given, and shows both medians', () => {
    const row = ratioRow('import', 130, 100, 'ms', 1.1, 1.08);
    expect(row).toMatchObject({ value: '130 ms', baseline: '100 ms', ratio: 1.08, goal: '≤ 1.1× ok' });
    expect(ratioRow('import', 130, 100, 'ms', 1.1).goal).toBe('≤ 1.1× MISSED');
  });
});
