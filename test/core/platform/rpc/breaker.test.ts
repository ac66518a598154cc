import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../../core/platform/rpc/breaker.js';

const fail = (b: CircuitBreaker, now: number) => b.failure(b.admit(now), now);

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures, and a success resets the count', () => {
    const b = new CircuitBreaker(3, 1000);
    fail(b, 0);
    fail(b, 0);
    b.success(b.admit(0));
    fail(b, 0);
    fail(b, 0);
    expect(b.state(0)).toBe('closed');
    expect(fail(b, 10)).toBe(true);
    expect(b.state(10)).toBe('open');
    expect(b.available(500)).toBe(false);
    expect(b.availableAt(500)).toBe(1010);
  });

  it('lets exactly one probe through when half-open, and its success closes it', () => {
    const b = new CircuitBreaker(1, 1000);
    fail(b, 0);
    expect(b.state(1000)).toBe('half-open');
    const probe = b.admit(1000);
    expect(probe.probe).toBe(true);
    expect(b.available(1000)).toBe(false);
    expect(b.success(probe)).toBe(true);
    expect(b.state(1001)).toBe('closed');
    expect(b.available(1001)).toBe(true);
  });

  it('re-opens for another period when the probe fails', () => {
    const b = new CircuitBreaker(1, 1000);
    fail(b, 0);
    const probe = b.admit(1500);
    expect(b.failure(probe, 1500)).toBe(true);
    expect(b.state(2499)).toBe('open');
    expect(b.state(2500)).toBe('half-open');
  });

  it('ignores outcomes of requests let through before it opened', () => {
    const b = new CircuitBreaker(1, 1000);
    const early = b.admit(0);
    fail(b, 0);
    expect(b.success(early)).toBe(false);
    expect(b.state(1)).toBe('open');
  });

  it('frees the probe slot on a neutral outcome (429) without changing state', () => {
    const b = new CircuitBreaker(1, 1000);
    fail(b, 0);
    b.neutral(b.admit(1000));
    expect(b.state(1000)).toBe('half-open');
    expect(b.available(1000)).toBe(true);
  });
});
