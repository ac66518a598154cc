/**
 * Rate caps for one worker container's share of a provider's limit.
 *
 * A provider cap of `rps` is shared by up to `maxConcurrency` containers that cannot talk to
 * each other, so each gets `rps ÷ maxConcurrency`: `capacity` calls per `windowMs`. The provider
 * counts calls when they reach it, which is some time after we send them and before we see the
 * answer; on a busy machine that can be hundreds of milliseconds after the send (a stalled event
 * loop at either end), so a cap on send times alone lets delayed calls pile up into one of its
 * windows. Each call therefore holds a token from its start until one window after it surely
 * reached the provider (its answer began: the status line came in; or it failed or timed out),
 * and at most `capacity` tokens are held at once. Whatever the
 * delays, two calls `capacity` apart then reach the provider at least a window apart: the
 * containers together never exceed its cap in any window, with no safety margin to tune. (A
 * call given up at its timeout counts as ended then; it could still reach the provider later
 * only if held up for longer than that timeout, seconds, not the milliseconds of a stall.) The
 * price is that a slow answer keeps its token longer, so the rate falls as latency grows
 * (`capacity` per window plus latency).
 *
 * Starts are also paced (`WindowLimiter`), so a window's tokens are not all spent at once.
 *
 * Times are milliseconds on the caller's clock (`now()`), so tests can use a virtual clock.
 */

/** How many calls may reach the provider in any window, and how long the window is. */
export interface RateShape {
  /** Calls per window; at least 1. */
  readonly capacity: number;
  readonly windowMs: number;
}

/**
 * One container's share of `rps` among `maxConcurrency` containers. With a share of `s` ≥ 1
 * request/s: `floor(s)` per second (rounding down, never up, keeps the sum under the cap);
 * below 1 request/s: one request per `1/s` seconds. In both cases the containers together stay
 * within `rps` over any window of `max(1 s, maxConcurrency / rps)`.
 */
export function shareOf(rps: number, maxConcurrency: number): RateShape {
  if (!(rps > 0) || !(maxConcurrency >= 1)) throw new RangeError('rps must be > 0 and maxConcurrency ≥ 1');
  const share = rps / maxConcurrency;
  if (share >= 1) return { capacity: Math.floor(share), windowMs: 1000 };
  return { capacity: 1, windowMs: Math.ceil(1000 / share) };
}

/** A request's place in a limiter's schedule. */
interface Booking {
  /** When it starts (planned; once started, when it did). */
  at: number;
  /** Its place on the paced schedule (GCRA's theoretical time); it never starts before it. */
  due: number;
  /** When its call ended; `undefined` while in flight. */
  endedAt: number | undefined;
  /** Started but never sent: holds no token. */
  cancelled: boolean;
}

/**
 * The schedule of one limiter. Requests book a start in FIFO order; a booking may start once
 * its predecessor has started, its place on the paced schedule has come, and a token is free
 * (fewer than `capacity` calls in flight or ended less than a window ago). A predecessor that
 * has not started yet is taken to start no earlier than now, so a timer firing out of order
 * cannot start a booking before (or together with) the one ahead of it.
 *
 * Pacing (after GCRA, the generic cell rate algorithm): starts are spread one per `intervalMs`
 * (`ceil(windowMs / capacity)`, a whole number of ms) instead of a window's tokens going out
 * at once. Each booking is due one interval after its predecessor was due, so a timer that
 * fires up to `toleranceMs` (a quarter interval) late does not make the rate drift down. A
 * predecessor that started later than that (an idle spell, a stalled event loop) moves the
 * schedule on from its actual start: nothing is caught up, so a stall never releases a clump,
 * and two starts are always at least `intervalMs - toleranceMs` apart.
 *
 * Every booking is checked again when its timer fires (`gate`), so a late timer or a slow
 * answer delays the requests behind it instead of squeezing them together.
 */
export class WindowLimiter {
  /** Time between two starts on the paced schedule. */
  readonly intervalMs: number;
  /** How late a start may come without moving the schedule. */
  readonly toleranceMs: number;
  /** Bookings not started yet, in order. */
  private readonly queue: Booking[] = [];
  /** Started calls that may still hold a token (in flight, or ended less than a window ago). */
  private holders: Booking[] = [];
  /** The booking that started last: the predecessor of the queue's head. */
  private last: Booking | undefined;

  constructor(readonly shape: RateShape) {
    this.intervalMs = Math.ceil(shape.windowMs / shape.capacity);
    this.toleranceMs = Math.floor(this.intervalMs / 4);
  }

  /** The earliest time ≥ `now` at which a new booking could start. */
  readyAt(now: number): number {
    return Math.max(now, this.earliest(this.queue.length, now).at);
  }

  /** Books a start at `at`, which must be ≥ `readyAt(now)`. */
  book(at: number, now: number): Booking {
    const booking: Booking = {
      at,
      due: this.earliest(this.queue.length, now).due,
      endedAt: undefined,
      cancelled: false,
    };
    this.queue.push(booking);
    return booking;
  }

  /** The earliest start `booking` may take at `now` given the bookings ahead of it as they stand. */
  gate(booking: Booking, now: number): number {
    const { at, due } = this.earliest(this.queue.indexOf(booking), now);
    booking.due = due;
    return at;
  }

  /** Starts `booking` (the queue's head: `gate` lets no other through) at `at`; its call is in flight. */
  start(booking: Booking, at: number): void {
    this.queue.splice(this.queue.indexOf(booking), 1);
    booking.at = Math.max(booking.at, at);
    this.last = booking;
    this.holders.push(booking);
  }

  /** Drops a booking that will not be sent: not started, or started but not used. */
  cancel(booking: Booking): void {
    const queued = this.queue.indexOf(booking);
    if (queued >= 0) this.queue.splice(queued, 1);
    booking.cancelled = true;
  }

  /** Records that the call of a started `booking` ended at `at`: its token comes back one window later. */
  end(booking: Booking, at: number): void {
    booking.endedAt ??= Math.max(booking.at, at);
  }

  /**
   * When the booking at `index` in the queue (`queue.length` for a new one) may start at `now`,
   * and when it is due on the paced schedule.
   */
  private earliest(index: number, now: number): { at: number; due: number } {
    const prev = index > 0 ? this.queue[index - 1] : this.last;
    if (!prev) return { at: this.tokenFreeAt(index, now), due: now };
    const prevAt = index > 0 ? Math.max(prev.at, now) : prev.at;
    const due = (prevAt - prev.due > this.toleranceMs ? prevAt : prev.due) + this.intervalMs;
    return { at: Math.max(prevAt, due, this.tokenFreeAt(index, now)), due };
  }

  /**
   * The earliest time, as far as is known at `now`, at which fewer than `capacity` of the calls
   * ahead of the booking at queue `index` hold a token. A call holds one until a window after it
   * ends; one in flight or not started yet ends no earlier than now (or its planned start).
   */
  private tokenFreeAt(index: number, now: number): number {
    const { capacity, windowMs } = this.shape;
    this.holders = this.holders.filter((b) => !b.cancelled && (b.endedAt === undefined || b.endedAt + windowMs > now));
    // Queued calls hold their tokens until at least a window after now: longer than any holder.
    if (index >= capacity) {
      let start = now;
      for (let i = 0; i <= index - capacity; i++) start = Math.max(start, this.queue[i]!.at);
      return start + windowMs;
    }
    const needed = capacity - index;
    if (this.holders.length < needed) return Number.NEGATIVE_INFINITY;
    const until = this.holders.map((b) => (b.endedAt ?? now) + windowMs).sort((a, b) => b - a);
    return until[needed - 1]!;
  }
}

/** The clock the limiters run on. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** When a request can start under all of `limiters` (endpoint cap, method cap). */
export function readyAt(limiters: readonly WindowLimiter[], now: number): number {
  return Math.max(now, ...limiters.map((l) => l.readyAt(now)));
}

/** Tokens of every limiter of one call: say when the call ended, or that it was never sent. */
export interface Permit {
  /** When the call may start (and its tokens were taken). */
  readonly at: number;
  /**
   * The call reached the endpoint by `at` (its answer began, or it failed or timed out): its
   * tokens come back a window later. Only the first call counts.
   */
  end(at: number): void;
  /** The call was not sent after all: its tokens come back at once. */
  cancel(): void;
}

/**
 * Waits for a token of every limiter in `limiters` and takes them; resolves with a permit
 * whose `end` (or `cancel`) must be called, or `undefined` when the start would fall after
 * `deadline` (waiting for a token counts against the request's time budget). Limiters are
 * booked one after the other, each once the earlier ones let the request through: pass the
 * narrowest (a method cap) first, so requests held back by it do not hold up the others'
 * places in the wider one (the endpoint cap).
 */
export async function acquire(
  limiters: readonly WindowLimiter[],
  clock: Clock,
  deadline: number,
): Promise<Permit | undefined> {
  const booked: { limiter: WindowLimiter; booking: Booking }[] = [];
  const abandon = () => {
    for (const { limiter, booking } of booked) limiter.cancel(booking);
    return undefined;
  };
  for (;;) {
    const now = clock.now();
    const gate = Math.max(now, ...booked.map(({ limiter, booking }) => limiter.gate(booking, now)));
    if (gate <= now) {
      const limiter = limiters[booked.length];
      if (!limiter) {
        for (const { limiter, booking } of booked) limiter.start(booking, now);
        return {
          at: now,
          end: (at) => {
            for (const { limiter, booking } of booked) limiter.end(booking, at);
          },
          cancel: () => {
            for (const { limiter, booking } of booked) limiter.cancel(booking);
          },
        };
      }
      const at = limiter.readyAt(now);
      if (at > deadline) return abandon();
      booked.push({ limiter, booking: limiter.book(at, now) });
      continue;
    }
    if (gate > deadline) return abandon();
    for (const { booking } of booked) booking.at = Math.max(booking.at, gate);
    await clock.sleep(gate - now);
  }
}
