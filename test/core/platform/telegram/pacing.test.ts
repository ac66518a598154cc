import { describe, expect, it } from 'vitest';
import { TELEGRAM_LIMITS, type TelegramLimits } from '../../../../core/platform/settings.js';
import {
  type Clock,
  containerPacers,
  keepRecent,
  nextChatSlot,
  RATE_HEADROOM,
  SendPacer,
} from '../../../../core/platform/telegram/pacing.js';

const T0 = 1_700_000_000_000;

/**
 * Virtual time: `sleep` waits for a timer, and {@link run} jumps time to each timer in turn,
 * letting everything that was woken run before the next, as real timers would.
 */
class VirtualClock implements Clock {
  readonly sleeps: number[] = [];
  private timers: { at: number; seq: number; wake: () => void }[] = [];
  private seq = 0;
  constructor(public time = T0) {}
  now(): number {
    return this.time;
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((wake) => this.timers.push({ at: this.time + ms, seq: this.seq++, wake }));
  }
  /** Settles `work`, firing timers in time order until none is left. */
  async run<T>(work: Promise<T>): Promise<T> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      const timer = this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq).shift();
      if (!timer) return work;
      this.time = Math.max(this.time, timer.at);
      timer.wake();
    }
  }
}

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

  it('after a 429 halves its rate, then wins it back slot by slot', async () => {
    const clock = new VirtualClock();
    const pacer = new SendPacer(4, clock);
    await clock.run(pacer.take());
    pacer.slowDown(1);
    expect(pacer.perSecond).toBe(2);
    const times = await takeInTurn(pacer, clock, 3);
    expect(times[0]).toBe(T0 + 1000);
    // 500 ms, then 5% of the 250 ms base interval shorter at each slot.
    expect(gaps(times)).toEqual([500, 487.5]);
    await clock.run(takeInTurn(pacer, clock, 30));
    expect(pacer.perSecond).toBe(4);
  });

  it('slows down at most sixteenfold however many 429s come', async () => {
    const pacer = new SendPacer(16, new VirtualClock());
    for (let i = 0; i < 10; i++) pacer.slowDown(1);
    expect(pacer.perSecond).toBe(1);
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

describe('containerPacers', () => {
  it('shares the bot limits, less the headroom, evenly between the containers', async () => {
    const clock = new VirtualClock();
    const pacers = containerPacers(TELEGRAM_LIMITS, 3, clock);
    expect(RATE_HEADROOM).toBeGreaterThan(0.5);
    expect(RATE_HEADROOM).toBeLessThanOrEqual(1);
    const standard = await takeInTurn(pacers.standard, clock, 4);
    for (const gap of gaps(standard)) expect(gap).toBeCloseTo(100 / RATE_HEADROOM, 3);
    const start = clock.now();
    const paid = await takeInTurn(pacers.paid, clock, 4);
    for (const gap of gaps(paid)) expect(gap).toBeCloseTo(3 / RATE_HEADROOM, 3);
    expect(paid[0]).toBe(start);
  });

  it('keeps the two pacers apart: a pause of one does not hold the other', async () => {
    const clock = new VirtualClock();
    const pacers = containerPacers(TELEGRAM_LIMITS, 1, clock);
    pacers.standard.pause(5);
    await clock.run(pacers.paid.take());
    expect(clock.now()).toBe(T0);
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
