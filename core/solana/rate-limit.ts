/**
 * Rate caps for one worker container's share of a provider's limit.
 *
 * A provider cap of `rps` is shared by up to `maxConcurrency` containers that cannot talk to
 * each other, so each gets `rps ÷ maxConcurrency`. The limiter is a token bucket whose tokens
 * come back one window after they are spent (a sliding-window log): at most `capacity` requests
 * start in any window of `windowMs`. Unlike a refill-per-interval bucket, whose burst can put up
 * to twice the rate into one second, this bound holds for every window, so the containers
 * together never exceed the provider's per-second cap. The burst is one window's worth of tokens.
 *
 * Times are milliseconds on the caller's clock (`now()`), so tests can use a virtual clock.
 */

/** How many requests may start in any window, and how long the window is. */
export interface RateShape {
  /** Requests that may start in any window; at least 1. */
  readonly capacity: number;
  readonly windowMs: number;
}

/**
 * Slack added to every window: the provider counts arrivals, not our send times, and a request
 * can be delayed on the way (a new TLS connection, a busy event loop: measured up to ~70 ms on a
 * loaded 2-core machine) and then arrive bunched with later ones. A token therefore comes back
 * 1.1 windows after it was spent: a delay of up to 100 ms cannot push a provider's 1-second count
 * over its cap, at the price of using at most ~91% of it.
 */
export const WINDOW_SLACK_MS = 100;

/**
 * One container's share of `rps` among `maxConcurrency` containers. With a share of `s` ≥ 1
 * request/s: `floor(s)` per second (rounding down, never up, keeps the sum under the cap);
 * below 1 request/s: one request per `1/s` seconds. In both cases the containers together stay
 * within `rps` over any window of `max(1 s, maxConcurrency / rps)`.
 */
export function shareOf(rps: number, maxConcurrency: number): RateShape {
  if (!(rps > 0) || !(maxConcurrency >= 1)) throw new RangeError('rps must be > 0 and maxConcurrency ≥ 1');
  const share = rps / maxConcurrency;
  if (share >= 1) return { capacity: Math.floor(share), windowMs: 1000 + WINDOW_SLACK_MS };
  return { capacity: 1, windowMs: Math.ceil(1000 / share) + WINDOW_SLACK_MS };
}

/** A request's place in a limiter's schedule. */
export interface Booking {
  /** Sequence number within its limiter. */
  readonly seq: number;
  /** When it starts (or started); moves later if a predecessor started late. */
  at: number;
  started: boolean;
}

/**
 * The schedule of one limiter. Requests book a start time in FIFO order; a booking may start
 * once its predecessor has and the booking `capacity` places earlier is a full window old.
 * Bookings are checked again at start time (`gate`), so a timer that fires late delays the
 * requests behind it instead of squeezing them into the window.
 */
export class WindowLimiter {
  private readonly entries: Booking[] = [];
  private base = 0;
  private next = 0;

  constructor(readonly shape: RateShape) {}

  /** The earliest time ≥ `now` at which a new booking could start. */
  readyAt(now: number): number {
    const n = this.entries.length;
    const last = this.entries[n - 1]?.at ?? Number.NEGATIVE_INFINITY;
    const back = this.entries[n - this.shape.capacity];
    return Math.max(now, last, back ? back.at + this.shape.windowMs : Number.NEGATIVE_INFINITY);
  }

  /** Books a start at `at`, which must be ≥ `readyAt(now)`. */
  book(at: number): Booking {
    const booking: Booking = { seq: this.next++, at, started: false };
    this.entries.push(booking);
    return booking;
  }

  /** The earliest start `booking` may take given its predecessors as they stand now. */
  gate(booking: Booking): number {
    const i = booking.seq - this.base;
    const prev = this.entries[i - 1];
    const back = i - this.shape.capacity >= 0 ? this.entries[i - this.shape.capacity] : undefined;
    return Math.max(
      prev?.at ?? Number.NEGATIVE_INFINITY,
      back ? back.at + this.shape.windowMs : Number.NEGATIVE_INFINITY,
    );
  }

  /**
   * Records that `booking` started at `at` (or, for an abandoned booking, that its token is
   * spent anyway: conservative, the window never gets more than `capacity`).
   */
  start(booking: Booking, at: number): void {
    booking.at = Math.max(booking.at, at);
    booking.started = true;
    // A booking is needed until the one `capacity` places after it has started.
    while (this.entries.length > this.shape.capacity && this.entries[this.shape.capacity]?.started) {
      this.entries.shift();
      this.base++;
    }
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

/**
 * Waits for a token of every limiter in `limiters` and takes them; resolves with the start
 * time, or `undefined` when the start would fall after `deadline` (waiting for a token counts
 * against the request's time budget). Limiters are booked one after the other, each once the
 * earlier ones let the request through: pass the narrowest (a method cap) first, so requests
 * held back by it do not hold up the others' places in the wider one (the endpoint cap).
 */
export async function acquire(
  limiters: readonly WindowLimiter[],
  clock: Clock,
  deadline: number,
): Promise<number | undefined> {
  const booked: { limiter: WindowLimiter; booking: Booking }[] = [];
  const abandon = () => {
    for (const { limiter, booking } of booked) limiter.start(booking, booking.at);
    return undefined;
  };
  for (;;) {
    const now = clock.now();
    const gate = Math.max(now, ...booked.map(({ limiter, booking }) => limiter.gate(booking)));
    if (gate <= now) {
      const limiter = limiters[booked.length];
      if (!limiter) {
        for (const { limiter, booking } of booked) limiter.start(booking, now);
        return now;
      }
      const at = limiter.readyAt(now);
      if (at > deadline) return abandon();
      booked.push({ limiter, booking: limiter.book(at) });
      continue;
    }
    if (gate > deadline) return abandon();
    for (const { booking } of booked) booking.at = Math.max(booking.at, gate);
    await clock.sleep(gate - now);
  }
}
