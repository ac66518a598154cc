import { describe, expect, it } from 'vitest';
import { acquire, shareOf, WindowLimiter } from '../../../../core/platform/rpc/rate-limit.js';
import { maxInWindow, seeded, VirtualClock } from '../../../helpers/virtual-clock.js';

/**
 * One call through `limiters`: its start, or `undefined` when it gave up at `deadline`. Its
 * answer comes `latencyMs` after the start (at once by default; `Infinity`: never).
 */
async function call(
  limiters: readonly WindowLimiter[],
  clock: VirtualClock,
  { deadline = Number.POSITIVE_INFINITY, latencyMs = 0 } = {},
): Promise<number | undefined> {
  const permit = await acquire(limiters, clock, deadline);
  if (!permit) return undefined;
  if (latencyMs === 0) permit.end(permit.at);
  else if (Number.isFinite(latencyMs)) void clock.sleep(latencyMs).then(() => permit.end(clock.now()));
  return permit.at;
}

/** Starts of `n` concurrent calls answered at once. */
async function concurrent(limiters: readonly WindowLimiter[], clock: VirtualClock, n: number): Promise<number[]> {
  const starts = await clock.run(Promise.all(Array.from({ length: n }, () => call(limiters, clock))));
  return starts.map((t) => t!);
}

describe('shareOf', () => {
  it('gives each container floor(rps ÷ maxConcurrency) per second', () => {
    expect(shareOf(10, 5)).toEqual({ capacity: 2, windowMs: 1000 });
    expect(shareOf(10, 4)).toEqual({ capacity: 2, windowMs: 1000 });
    expect(shareOf(150, 5)).toEqual({ capacity: 30, windowMs: 1000 });
  });

  it('gives one request per longer window when the share is below one per second', () => {
    expect(shareOf(2, 5)).toEqual({ capacity: 1, windowMs: 2500 });
  });

  it('refuses a cap that is not positive', () => {
    expect(() => shareOf(0, 5)).toThrow(RangeError);
  });
});

describe('WindowLimiter pacing', () => {
  it('spreads 50 concurrent callers one interval apart, in FIFO order, never more than the capacity in any window', async () => {
    const limiter = new WindowLimiter({ capacity: 3, windowMs: 1000 });
    // 1000 / 3 rounded up: three intervals (1002 ms) never fall short of the window.
    expect(limiter.intervalMs).toBe(334);
    const starts = await concurrent([limiter], new VirtualClock(), 50);
    expect(starts).toEqual(Array.from({ length: 50 }, (_, i) => i * 334));
    expect(maxInWindow(starts, 1000)).toBe(3);
  });

  it('keeps to its schedule when timers fire late by less than the tolerance', async () => {
    const clock = new VirtualClock();
    const limiter = new WindowLimiter({ capacity: 4, windowMs: 1000 });
    expect(limiter.toleranceMs).toBe(62);
    clock.lateness = [40, 40, 40, 40];
    // Each start is 40 ms late, but the schedule stays on its 250 ms grid: the rate does not drift down.
    expect(await concurrent([limiter], clock, 5)).toEqual([0, 290, 540, 790, 1040]);
  });

  it('moves the schedule on after a stall instead of releasing the requests that queued up behind it', async () => {
    const clock = new VirtualClock();
    const limiter = new WindowLimiter({ capacity: 4, windowMs: 1000 });
    // The timers of the second and third request both fire at 700 ms (a stalled event loop).
    clock.lateness = [450, 200];
    expect(await concurrent([limiter], clock, 5)).toEqual([0, 700, 950, 1200, 1450]);
  });

  it('keeps starts an interval less the tolerance apart and within the capacity per window, whatever the lateness', async () => {
    const clock = new VirtualClock();
    const limiter = new WindowLimiter(shareOf(150, 5));
    expect([limiter.intervalMs, limiter.toleranceMs]).toEqual([34, 8]);
    const random = seeded(42);
    // Mostly a few ms late, sometimes a stall of up to 150 ms; timers may fire out of order.
    clock.lateness = Array.from({ length: 3_000 }, () => (random() < 0.1 ? random() * 150 : random() * 5));
    const starts = await concurrent([limiter], clock, 300);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(34 - 8);
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(30);
  });

  it('loses no rate to timers that fire late within the tolerance', async () => {
    const clock = new VirtualClock();
    const limiter = new WindowLimiter(shareOf(150, 5));
    const random = seeded(7);
    // Up to 8 ms late: the tolerance, a quarter of the 34 ms interval.
    clock.lateness = Array.from({ length: 3_000 }, () => random() * 8);
    // One caller after the other, each asking as soon as the one before it started: every sleep
    // begins at a late start, so lateness would add up if the schedule followed the actual starts.
    const starts: number[] = [];
    await clock.run(
      (async () => {
        for (let i = 0; i < 300; i++) starts.push((await call([limiter], clock))!);
      })(),
    );
    expect(starts.at(-1)! - 299 * 34).toBeGreaterThanOrEqual(0);
    expect(starts.at(-1)! - 299 * 34).toBeLessThanOrEqual(8);
  });
});

describe('WindowLimiter tokens', () => {
  it('holds a token until a window after the call ended, so no window can take more than the capacity however late calls arrive', async () => {
    const clock = new VirtualClock();
    const limiter = new WindowLimiter({ capacity: 2, windowMs: 1000 });
    const starts = (
      await clock.run(Promise.all(Array.from({ length: 6 }, () => call([limiter], clock, { latencyMs: 300 }))))
    ).map((t) => t!);
    // Two calls per window plus latency (1300 ms), paced 500 ms apart.
    expect(starts).toEqual([0, 500, 1300, 1800, 2600, 3100]);
    // Each call may reach the provider anywhere between its start and its answer 300 ms later:
    // the call two places on starts a full window after that answer.
    for (let i = 2; i < starts.length; i++) expect(starts[i]! - (starts[i - 2]! + 300)).toBeGreaterThanOrEqual(1000);
  });

  it('keeps the token of a call in flight until it ends, giving up at the deadline meanwhile', async () => {
    const clock = new VirtualClock();
    const limiter = new WindowLimiter({ capacity: 1, windowMs: 1000 });
    const [first, gaveUp, next] = await clock.run(
      Promise.all([
        call([limiter], clock, { latencyMs: 5_000 }),
        call([limiter], clock, { deadline: 3_000 }),
        call([limiter], clock),
      ]),
    );
    expect(first).toBe(0);
    expect(gaveUp).toBeUndefined();
    // One window after the first call's answer; the abandoned booking took nothing.
    expect(next).toBe(6_000);
  });

  it('gives back the token of a call that was not sent', async () => {
    const clock = new VirtualClock();
    const limiter = new WindowLimiter({ capacity: 1, windowMs: 1000 });
    const unsent = await acquire([limiter], clock, Number.POSITIVE_INFINITY);
    expect(unsent?.at).toBe(0);
    unsent!.cancel();
    // Still paced one interval on, but not held up by a call that never ends.
    expect(await clock.run(call([limiter], clock, { deadline: 5_000 }))).toBe(1000);
  });
});

describe('acquire', () => {
  it('holds a request to both the endpoint cap and its method cap', async () => {
    const clock = new VirtualClock();
    const endpoint = new WindowLimiter({ capacity: 4, windowMs: 1000 });
    const method = new WindowLimiter({ capacity: 1, windowMs: 1000 });
    const slow = Array.from({ length: 3 }, () => call([method, endpoint], clock));
    const fast = Array.from({ length: 6 }, () => call([endpoint], clock));
    const [slowStarts, fastStarts] = await clock.run(Promise.all([Promise.all(slow), Promise.all(fast)]));
    // The method-capped requests do not hold up the others' places under the endpoint cap: the
    // fast ones take the endpoint's paced slots (one per 250 ms) from the first onwards...
    expect(fastStarts).toEqual([250, 500, 750, 1000, 1250, 1500]);
    // ...and a slow one books its endpoint slot once its method slot has come (at 1000 ms), so it
    // gets the next free one (1750 ms); its successor's method slot is one window after that.
    expect(slowStarts).toEqual([0, 1750, 2750]);
    const all = [...slowStarts, ...fastStarts].map((t) => t!);
    expect(maxInWindow(all, 1000)).toBeLessThanOrEqual(4);
  });

  it('takes no token and gives up when the start would fall after the deadline', async () => {
    const clock = new VirtualClock();
    const limiter = new WindowLimiter({ capacity: 1, windowMs: 1000 });
    expect(await call([limiter], clock, { deadline: 100 })).toBe(0);
    expect(await call([limiter], clock, { deadline: 500 })).toBeUndefined();
    expect(await clock.run(call([limiter], clock, { deadline: 5000 }))).toBe(1000);
  });

  it('delays the requests behind a timer that fired late instead of squeezing them into a window', async () => {
    const clock = new VirtualClock();
    const limiter = new WindowLimiter({ capacity: 1, windowMs: 1000 });
    clock.lateness = [300];
    expect(await concurrent([limiter], clock, 3)).toEqual([0, 1300, 2300]);
  });
});
