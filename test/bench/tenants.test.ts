import { describe, expect, it } from 'vitest';
import { busiestSecond } from '../../bench/tenants.js';

describe('busiestSecond', () => {
  it('counts the most calls within any one second, over a sliding window', () => {
    expect(busiestSecond([])).toBe(0);
    expect(busiestSecond([5])).toBe(1);
    // 0.5 s to 1.4 s holds three calls, though no calendar second does.
    expect(busiestSecond([0, 500, 900, 1_400, 2_600])).toBe(3);
    // A call exactly 1 s after another falls in the next second.
    expect(busiestSecond([0, 1_000, 2_000])).toBe(1);
    expect(busiestSecond(Array.from({ length: 30 }, (_, i) => 1_000 + i * 33))).toBe(30);
  });
});
