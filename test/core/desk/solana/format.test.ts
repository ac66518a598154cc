import { describe, expect, it } from 'vitest';
import { formatSol, formatUnits, shortAddress } from '../../../../core/desk/solana/format.js';

describe('formatUnits', () => {
  it('formats base units exactly, without floats', () => {
    expect(formatUnits(0n, 9)).toBe('0');
    expect(formatUnits(1n, 9)).toBe('0.000000001');
    expect(formatUnits('1234500000', 9)).toBe('1.2345');
    expect(formatUnits(18_446_744_073_709_551_615n, 6)).toBe('18446744073709.551615');
    expect(formatUnits(42n, 0)).toBe('42');
    expect(formatUnits(-1_500_000_000n, 9)).toBe('-1.5');
    expect(formatSol(9_007_199_254_740_993n)).toBe('9007199.254740993');
  });

  it('shortens long addresses only', () => {
    expect(shortAddress('EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v')).toBe('EPjF…Dt1v');
    expect(shortAddress('short')).toBe('short');
  });
});
