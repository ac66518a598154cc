import { describe, expect, it } from 'vitest';
import { acquire, type Clock, shareOf, WINDOW_SLACK_MS, WindowLimiter } from '../../../core/solana/rate-limit.js';

/** Virtual time: `sleep` resolves when `run` advances the clock to it, timers in order. */
class VirtualClock implements Clock {
  time = 0;
  /** Extra delay added to the next sleeps, one entry each (a timer firing late). */
  lateness: number[] = [];
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  now = (): number => this.time;

  sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.timers.push({ at: this.time + Math.max(0, ms) + (this.lateness.shift() ?? 0), seq: this.seq++, resolve });
    });

  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const result = work.finally(() => {
      done = true;
    });
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) continue;
      this.time = Math.max(this.time, next.at);
      next.resolve();
    }
    return result;
  }
}

/** The largest number of starts in any window [t, t + windowMs). */
function maxInWindow(starts: readonly number[], windowMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe('shareOf', () => {
  it('gives each container floor(rps ÷ maxConcurrency) per second', () => {
    expect(shareOf(10, 5)).toEqual({ capacity: 2, windowMs: 1000 + WINDOW_SLACK_MS });
    expect(shareOf(10, 4)).toEqual({ capacity: 2, windowMs: 1000 + WINDOW_SLACK_MS });
    expect(shareOf(100, 1)).toEqual({ capacity: 100, windowMs: 1000 + WINDOW_SLACK_MS });
  });

  it('gives one request per longer window when the share is below one per second', () => {
    expect(shareOf(2, 5)).toEqual({ capacity: 1, windowMs: 2500 + WINDOW_SLACK_MS });
  });

  it('refuses a cap that is not positive', () => {
    expect(() => shareOf(0, 5)).toThrow(RangeError);
  });
});

describe('acquire', () => {
  it('never starts more than the capacity in any window, in FIFO order, with 50 concurrent callers', async () => {
    const clock = new VirtualClock();
    const limiter = new WindowLimiter({ capacity: 3, windowMs: 1000 });
    const starts = await clock.run(
      Promise.all(Array.from({ length: 50 }, () => acquire([limiter], clock, Number.POSITIVE_INFINITY))),
    );
    const times = starts.map((t) => t!);
    expect(maxInWindow(times, 1000)).toBe(3);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.at(-1)).toBe(16_000);
  });

  it('holds a request to both the endpoint cap and its method cap', async () => {
    const clock = new VirtualClock();
    const endpoint = new WindowLimiter({ capacity: 4, windowMs: 1000 });
    const method = new WindowLimiter({ capacity: 1, windowMs: 1000 });
    const slow = Array.from({ length: 3 }, () => acquire([method, endpoint], clock, Number.POSITIVE_INFINITY));
    const fast = Array.from({ length: 6 }, () => acquire([endpoint], clock, Number.POSITIVE_INFINITY));
    const [slowStarts, fastStarts] = await clock.run(Promise.all([Promise.all(slow), Promise.all(fast)]));
    expect(slowStarts).toEqual([0, 1000, 2000]);
    // The method-capped requests do not hold up the others' places under the endpoint cap.
    expect(fastStarts).toEqual([0, 0, 0, 1000, 1000, 1000]);
    const all = [...slowStarts, ...fastStarts].map((t) => t!);
    expect(maxInWindow(all, 1000)).toBeLessThanOrEqual(4);
  });

  it('takes no token and gives up when the start would fall after the deadline', async () => {
    const clock = new VirtualClock();
    const limiter = new WindowLimiter({ capacity: 1, windowMs: 1000 });
    expect(await acquire([limiter], clock, 100)).toBe(0);
    expect(await acquire([limiter], clock, 500)).toBeUndefined();
    expect(await clock.run(acquire([limiter], clock, 5000))).toBe(1000);
  });

  it('delays the requests behind a timer that fired late instead of squeezing them into a window', async () => {
    const clock = new VirtualClock();
    const limiter = new WindowLimiter({ capacity: 1, windowMs: 1000 });
    clock.lateness = [300];
    const starts = await clock.run(
      Promise.all(Array.from({ length: 3 }, () => acquire([limiter], clock, Number.POSITIVE_INFINITY))),
    );
    expect(starts).toEqual([0, 1300, 2300]);
  });
});
