import { describe, expect, it } from 'vitest';
import { LocalRpcCache } from '../../../../core/platform/rpc/local-cache.js';

describe('LocalRpcCache', () => {
  it('answers a value until its time has come, then forgets it', () => {
    const cache = new LocalRpcCache(100);
    cache.set('a', '"x"', 1_000);
    expect(cache.get('a', 999)).toBe('"x"');
    expect(cache.get('a', 1_000)).toBeUndefined();
    expect(cache.get('a', 0)).toBeUndefined();
  });

  it('drops the least recently stored values past its size, and never keeps one larger than itself', () => {
    const cache = new LocalRpcCache(10);
    cache.set('a', '1234', 1_000);
    cache.set('b', '1234', 1_000);
    cache.set('a', '12345', 1_000);
    // a was stored again after b: b goes first.
    cache.set('c', '12', 1_000);
    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('a', 0)).toBe('12345');
    expect(cache.get('c', 0)).toBe('12');
    cache.set('big', '12345678901', 1_000);
    expect(cache.get('big', 0)).toBeUndefined();
    expect(cache.get('a', 0)).toBe('12345');
  });

  it('refuses a size that is not positive', () => {
    expect(() => new LocalRpcCache(0)).toThrow(RangeError);
  });
});
