import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TELEGRAM_LIMITS, type TelegramLimits } from '../../../../core/platform/settings.js';
import {
  containerPacers,
  keepRecent,
  nextChatSlot,
  SendPacer,
  SendWindow,
  sendWindow,
} from '../../../../core/platform/telegram/pacing.js';
import { T0, VirtualClock } from '../../../helpers/notify-fakes.js';

/** Takes `n` slots one after another; returns the time each was given. */
function takeInTurn(pacer: SendPacer, clock: VirtualClock, n: number): Promise<number[]> {
  return clock.run(
    (async () => {
      const times: number[] = [];
      for (let k = 0; k < n; k++) {
        await pacer.take();
        times.push(clock.now());
      }
      return times;
    })(),
  );
}

const gaps = (times: readonly number[]) => times.slice(1).map((t, k) => t - times[k]!);

describe('SendPacer', () => {
  it('gives the first slot at once and the next ones exactly 1000/rate ms apart', async () => {
    const clock = new VirtualClock();
    const times = await takeInTurn(new SendPacer(4, clock), clock, 10);
    expect(times[0]).toBe(T0);
    expect(gaps(times)).toEqual(Array(9).fill(250));
  });

  it('spaces fractional rates evenly, without drift', async () => {
    const clock = new VirtualClock();
    const times = await takeInTurn(new SendPacer(30 / 7, clock), clock, 31);
    for (const gap of gaps(times)) expect(gap).toBeCloseTo(7000 / 30, 3);
    expect(times[30]! - times[0]!).toBeCloseTo(7000, 1);
  });

  it('gives concurrent takers distinct slots, one interval apart', async () => {
    const clock = new VirtualClock();
    const pacer = new SendPacer(10, clock);
    const times = await clock.run(Promise.all(Array.from({ length: 8 }, () => pacer.take().then(() => clock.now()))));
    expect(times).toEqual(Array.from({ length: 8 }, (_, k) => T0 + 100 * k));
    expect(clock.sleeps).toEqual([100, 200, 300, 400, 500, 600, 700]);
  });

  it('does not wait when the caller is already later than its slot', async () => {
    const clock = new VirtualClock();
    const pacer = new SendPacer(2, clock);
    await clock.run(pacer.take());
    clock.time += 700;
    await clock.run(pacer.take());
    expect(clock.now()).toBe(T0 + 700);
    expect(clock.sleeps).toEqual([]);
  });

  it('saves no burst over an idle stretch: after it, slots are spaced again', async () => {
    const clock = new VirtualClock();
    const pacer = new SendPacer(5, clock);
    await clock.run(pacer.take());
    clock.time += 60_000;
    const start = clock.now();
    const times = await takeInTurn(pacer, clock, 4);
    expect(times).toEqual([start, start + 200, start + 400, start + 600]);
  });

  it('gives no slot before a pause ends, then spaces slots from there', async () => {
    const clock = new VirtualClock();
    const pacer = new SendPacer(4, clock);
    await clock.run(pacer.take());
    pacer.pause(3);
    const times = await takeInTurn(pacer, clock, 3);
    expect(times).toEqual([T0 + 3000, T0 + 3250, T0 + 3500]);
  });

  it('does not shorten a wait already longer than the pause', async () => {
    const clock = new VirtualClock();
    const pacer = new SendPacer(0.1, clock);
    await clock.run(pacer.take());
    pacer.pause(2);
    await clock.run(pacer.take());
    expect(clock.now()).toBe(T0 + 10_000);
  });

  it('holds back takers already waiting for a slot until the pause ends', async () => {
    const clock = new VirtualClock();
    const pacer = new SendPacer(10, clock);
    const at = () => clock.now();
    const waiting = [pacer.take().then(at), pacer.take().then(at), pacer.take().then(at)];
    pacer.pause(1);
    const later = await clock.run(pacer.take().then(at));
    const [first, ...others] = await clock.run(Promise.all(waiting));
    expect(first).toBe(T0);
    for (const time of [...others, later]) expect(time).toBeGreaterThanOrEqual(T0 + 1000);
    const all = [first!, ...others, later].sort((a, b) => a - b);
    expect(gaps(all).slice(1)).toEqual([100, 100]);
  });
});

/** Takes `n` tokens one after another, each call answered `latencyMs` after its start; returns the starts. */
function sendInTurn(window: SendWindow, clock: VirtualClock, n: number, latencyMs = 0): Promise<number[]> {
  return clock.run(
    (async () => {
      const starts: number[] = [];
      for (let k = 0; k < n; k++) {
        const release = await window.take();
        starts.push(clock.now());
        void clock.sleep(latencyMs).then(() => release(true));
      }
      return starts;
    })(),
  );
}

describe('SendWindow', () => {
  it('spreads its tokens half an even share apart, then gives each again a window after its call was answered', async () => {
    const clock = new VirtualClock();
    const starts = await sendInTurn(new SendWindow(4, 1000, clock), clock, 9, 30);
    expect(starts.map((t) => t - T0)).toEqual([0, 125, 250, 375, 1030, 1155, 1280, 1405, 2060]);
  });

  it('holds a token while its call is in flight, however long it takes', async () => {
    const clock = new VirtualClock();
    const window = new SendWindow(1, 1000, clock);
    const release = await clock.run(window.take());
    let second: number | undefined;
    const next = window.take().then((r) => {
      second = clock.now();
      return r;
    });
    await clock.run(clock.sleep(5_000));
    expect(second).toBeUndefined();
    release(true);
    await clock.run(next);
    expect(second).toBe(T0 + 6_000);
  });

  it('gives the token of a message Telegram refused (not counted) back at once', async () => {
    const clock = new VirtualClock();
    const window = new SendWindow(1, 1000, clock);
    const release = await clock.run(window.take());
    clock.time += 40;
    release(false);
    await clock.run(window.take());
    expect(clock.now()).toBe(T0 + 500);
    // A second release of the same token changes nothing.
    release(true);
    expect(window.tokens).toBe(1);
  });

  it('catches up after an idle stretch with the tokens that came back, never more than its capacity', async () => {
    const clock = new VirtualClock();
    const window = new SendWindow(6, 1000, clock);
    await sendInTurn(window, clock, 6, 10);
    clock.time = T0 + 5_000;
    const starts = await sendInTurn(window, clock, 8, 10);
    expect(starts.map((t) => t - T0)).toEqual(
      [5000, 5083, 5167, 5250, 5333, 5417, 6010, 6093].map((t) => expect.closeTo(t, 0)),
    );
  });

  it('gives no token before a pause ends, not even to takers already waiting', async () => {
    const clock = new VirtualClock();
    const window = new SendWindow(10, 1000, clock);
    const at = (release: unknown) => (release ? clock.now() : 0);
    await clock.run(window.take());
    const waiting = [window.take().then(at), window.take().then(at)];
    window.pause(1);
    expect(await clock.run(Promise.all(waiting))).toEqual([T0 + 1000, T0 + 1050]);
  });

  it('after a 429 uses half its tokens, at least one, then wins them back start by start', async () => {
    const clock = new VirtualClock();
    const window = new SendWindow(8, 1000, clock);
    window.slowDown(1);
    expect(window.tokens).toBe(4);
    const starts = await sendInTurn(window, clock, 6, 0);
    expect(starts[0]).toBe(T0 + 1000);
    expect(window.tokens).toBe(6);
    await sendInTurn(window, clock, 10, 0);
    expect(window.tokens).toBe(8);
    for (let i = 0; i < 10; i++) window.slowDown(0);
    expect(window.tokens).toBe(1);
    // Below one token (a sixteenth of the rate at the slowest), the token is held beyond a window:
    // 1 / 0.9 s once the first start won back 5% of the capacity.
    const slowest = await sendInTurn(window, clock, 2, 0);
    expect(slowest[1]! - slowest[0]!).toBeCloseTo(1000 / 0.9, 3);
  });

  it('refuses a capacity that is not a whole number of at least one', () => {
    expect(() => new SendWindow(0, 1000)).toThrow(RangeError);
    expect(() => new SendWindow(1.5, 1000)).toThrow(RangeError);
  });
});

describe('sendWindow and containerPacers', () => {
  it('gives each container a whole share of the limit, rounded down, or one send per longer window', () => {
    expect([sendWindow(30, 5), sendWindow(30, 10), sendWindow(30, 7)].map((w) => [w.capacity, w.windowMs])).toEqual([
      [6, 1000],
      [3, 1000],
      [4, 1000],
    ]);
    const slow = sendWindow(30, 40);
    expect([slow.capacity, slow.windowMs]).toEqual([1, 1334]);
    const pacers = containerPacers(TELEGRAM_LIMITS, 5);
    expect([pacers.standard.capacity, pacers.paid.capacity]).toEqual([6, 200]);
  });

  it('keeps the two windows apart: a pause of one does not hold the other', async () => {
    const clock = new VirtualClock();
    const pacers = containerPacers(TELEGRAM_LIMITS, 1, clock);
    pacers.standard.pause(5);
    await clock.run(pacers.paid.take());
    expect(clock.now()).toBe(T0);
  });

  /**
   * Containers that cannot talk to each other, each with its share of 30 msg/s, send batches with
   * idle stretches between them; each call reaches "Telegram" at any moment between its start and
   * its answer (network, stalled event loops), and some are refused (a blocked user: not counted).
   * Whatever the delays, no second at Telegram counts more than 30 messages.
   */
  it('never lets the containers together put more than the limit into any one second at Telegram', async () => {
    const call = fc.record({
      latencyMs: fc.integer({ min: 0, max: 150 }),
      /** Where in its latency the call reaches Telegram, 0 (at once) to 1 (as it is answered). */
      reach: fc.double({ min: 0, max: 1, noNaN: true }),
      refused: fc.boolean(),
    });
    const batch = fc.record({
      idleMs: fc.integer({ min: 0, max: 200 }),
      calls: fc.array(call, { minLength: 4, maxLength: 10 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.array(batch, { minLength: 3, maxLength: 8 }), { minLength: 7, maxLength: 7 }),
        async (containers, work) => {
          const clock = new VirtualClock();
          const counted: number[] = [];
          const container = async (window: SendWindow, batches: (typeof work)[number]) => {
            for (const { idleMs, calls } of batches) {
              await clock.sleep(idleMs);
              await Promise.all(
                calls.map(async ({ latencyMs, reach, refused }) => {
                  const release = await window.take();
                  const start = clock.now();
                  await clock.sleep(latencyMs);
                  if (!refused) counted.push(start + reach * latencyMs);
                  release(!refused);
                }),
              );
            }
          };
          await clock.run(
            Promise.all(
              work.slice(0, containers).map((batches) => container(sendWindow(30, containers, clock), batches)),
            ),
          );
          counted.sort((a, b) => a - b);
          for (let k = 30; k < counted.length; k++) expect(counted[k]! - counted[k - 30]!).toBeGreaterThanOrEqual(1000);
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** Small limits so windows stay readable. */
const LIMITS: TelegramLimits = { ...TELEGRAM_LIMITS, groupMessagesPerMinute: 3, privateChatMessagesPerSecond: 1 };

describe('nextChatSlot', () => {
  it('sends to a chat with no recent message at once', () => {
    expect(nextChatSlot([], 'private', T0, LIMITS)).toBe(T0);
    expect(nextChatSlot([], 'group', T0, LIMITS)).toBe(T0);
  });

  it('keeps one second and a 50 ms margin after the last message in a private chat', () => {
    const last = T0 - 400;
    expect(nextChatSlot([T0 - 5_000, last], 'private', T0, LIMITS)).toBe(last + 1_050);
    expect(nextChatSlot([last], 'private', last + 1_049, LIMITS)).toBe(last + 1_050);
    expect(nextChatSlot([last], 'private', last + 1_050, LIMITS)).toBe(last + 1_050);
    expect(nextChatSlot([last], 'private', last + 1_051, LIMITS)).toBe(last + 1_051);
  });

  it('queues after a slot already reserved in the future of a private chat', () => {
    expect(nextChatSlot([T0 + 2_000], 'private', T0, LIMITS)).toBe(T0 + 3_050);
  });

  it('follows the private rate it is given', () => {
    expect(nextChatSlot([T0], 'private', T0, { ...LIMITS, privateChatMessagesPerSecond: 4 })).toBe(T0 + 300);
  });

  it('sends to a group at once while it had fewer than its limit in the last minute', () => {
    expect(nextChatSlot([T0 - 2, T0 - 1], 'group', T0, LIMITS)).toBe(T0);
  });

  it('waits in a full group until a minute and 50 ms after the oldest of the last limit-many', () => {
    const recent = [T0 - 50_000, T0 - 30_000, T0 - 10_000];
    expect(nextChatSlot(recent, 'group', T0, LIMITS)).toBe(T0 + 10_050);
    expect(nextChatSlot(recent, 'group', T0 + 10_049, LIMITS)).toBe(T0 + 10_050);
    expect(nextChatSlot(recent, 'group', T0 + 10_050, LIMITS)).toBe(T0 + 10_050);
    expect(nextChatSlot(recent, 'group', T0 + 10_051, LIMITS)).toBe(T0 + 10_051);
    expect(nextChatSlot([T0 - 90_000, ...recent], 'group', T0, LIMITS)).toBe(T0 + 10_050);
  });

  it('uses 20 messages a minute for groups by default', () => {
    const recent = Array.from({ length: 20 }, (_, k) => T0 - 59_000 + k * 100);
    expect(nextChatSlot(recent.slice(1), 'group', T0, TELEGRAM_LIMITS)).toBe(T0);
    expect(nextChatSlot(recent, 'group', T0, TELEGRAM_LIMITS)).toBe(T0 + 1_050);
  });

  it('never lets a chat exceed its limit when every send reserves its slot', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (const kind of ['private', 'group'] as const) {
      let recent: number[] = [];
      let now = T0;
      const slots: number[] = [];
      for (let n = 0; n < 400; n++) {
        // Senders arrive in bursts and lulls, some before earlier reservations are due.
        now += random() < 0.7 ? Math.floor(random() * 300) : Math.floor(random() * 90_000);
        const slot = nextChatSlot(recent, kind, now, TELEGRAM_LIMITS);
        expect(slot).toBeGreaterThanOrEqual(now);
        slots.push(slot);
        recent = keepRecent([...recent, slot], now, TELEGRAM_LIMITS);
      }
      const sorted = [...slots].sort((a, b) => a - b);
      if (kind === 'private') for (const gap of gaps(sorted)) expect(gap).toBeGreaterThanOrEqual(1_050);
      else for (let k = 20; k < sorted.length; k++) expect(sorted[k]! - sorted[k - 20]!).toBeGreaterThan(60_000);
    }
  });
});

describe('keepRecent', () => {
  it('keeps the times of the last 61 seconds, dropping older ones', () => {
    const now = T0;
    expect(keepRecent([now - 61_001, now - 61_000, now - 60_999, now - 5], now, LIMITS)).toEqual([
      now - 60_999,
      now - 5,
    ]);
  });

  it('keeps reservations in the future', () => {
    expect(keepRecent([T0 - 1, T0 + 4_000], T0, LIMITS)).toEqual([T0 - 1, T0 + 4_000]);
  });

  it('keeps at most a group limit of the latest times', () => {
    const recent = [T0 - 5, T0 - 4, T0 - 3, T0 - 2, T0 - 1];
    expect(keepRecent(recent, T0, LIMITS)).toEqual([T0 - 3, T0 - 2, T0 - 1]);
    const many = Array.from({ length: 30 }, (_, k) => T0 - 30 + k);
    expect(keepRecent(many, T0, TELEGRAM_LIMITS)).toEqual(many.slice(10));
  });

  it('returns nothing for nothing', () => {
    expect(keepRecent([], T0, LIMITS)).toEqual([]);
  });
});
