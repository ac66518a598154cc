import type { TelegramLimits } from '../settings.js';

export type Clock = { now(): number; sleep(ms: number): Promise<void> };

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Starts spaced evenly: a slot every `1000 / perSecond` ms (GCRA), so no stall can release a
 * burst; concurrent takers get distinct slots. A container's share of a provider's rate (the
 * assistant's, see `assistantPacer`). After a 429 the whole container holds back for
 * `retry_after` ({@link pause}).
 */
export class SendPacer {
  private next = 0;
  private pausedUntil = 0;
  private readonly intervalMs: number;

  constructor(
    perSecond: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.intervalMs = 1000 / perSecond;
  }

  /** Waits for this container's next send slot (a slot that a pause overtook is taken again after it). */
  async take(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const slot = Math.max(now, this.next);
      this.next = slot + this.intervalMs;
      if (slot > now) await this.clock.sleep(slot - now);
      if (this.clock.now() >= this.pausedUntil) return;
    }
  }

  /** No slot is given before `seconds` from now (Telegram said to wait), not even to takers already waiting. */
  pause(seconds: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + seconds * 1000);
    this.next = Math.max(this.next, this.pausedUntil);
  }
}

/** How much of its capacity a slowed-down {@link SendWindow} wins back with every start. */
const RECOVERY = 0.05;
/** The slowest a slowed-down {@link SendWindow} goes: this fraction of its capacity per window. */
const MAX_SLOWDOWN = 16;

/**
 * Gives back the token of a send when its call ended: `counted` says whether Telegram may have
 * counted the message (sent, or no answer); a refusal (429, 403, 400) counts for nothing.
 */
export type ReleaseSend = (counted: boolean) => void;

/** A taken token: held from the start of the call until {@link ReleaseSend} (and a window after). */
interface Hold {
  until: number;
}

/**
 * One container's share of a bot-wide message limit: at most `capacity` messages reach Telegram in
 * any `windowMs`, whatever the delays on the way, with no safety margin to tune.
 *
 * Telegram counts a message when the call reaches it, somewhere between our start of the call and
 * its answer. Spacing starts (as {@link SendPacer} does) keeps arrivals apart only as long as the
 * network and both event loops add the same delay to every call; on a busy machine they do not, and
 * a call held up for a few ms lands in the window of the calls after it (a 429, and a pause of at
 * least a second). So each message holds a token from its start until one window after its answer
 * ({@link ReleaseSend}): two sends `capacity` apart then reach Telegram at least a window apart,
 * and the shares of all containers (`capacity` each, adding up to the bot limit at most) keep the
 * limit in every window. A message Telegram refused (429, 403, 400) was not sent and gives its
 * token back at once. The price is the call's latency: a token comes back every window plus one
 * round trip.
 *
 * Starts are spread at least half an even share apart (`windowMs / capacity / 2`), so a share is
 * not spent in one burst, yet tokens idle while the container was between batches are caught up.
 * Takers are served in order. After a 429 the whole container holds back for `retry_after`
 * ({@link pause}); with {@link slowDown} it also halves the tokens it uses, then wins them back a
 * little with every start (AIMD), so that senders Telegram counts beyond ours (the webhook's
 * replies) make containers settle under what is left instead of meeting a 429 every second.
 */
export class SendWindow {
  private holds: Hold[] = [];
  private lastStart = Number.NEGATIVE_INFINITY;
  private pausedUntil = 0;
  private allowed: number;
  private readonly spacingMs: number;
  /** Takers in line: each starts looking for a token once the one before it got one. */
  private line: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  /** Wakes the taker at the head of the line when a token comes back early. */
  private wake: (() => void) | undefined;

  constructor(
    readonly capacity: number,
    readonly windowMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(Number.isInteger(capacity) && capacity >= 1) || !(windowMs > 0)) {
      throw new RangeError('capacity must be a whole number ≥ 1 and windowMs > 0');
    }
    this.allowed = capacity;
    this.spacingMs = windowMs / capacity / 2;
  }

  /** Tokens this container uses now (below `capacity` after a {@link slowDown}). */
  get tokens(): number {
    return Math.max(1, Math.floor(this.allowed));
  }

  /** Waits for a token; release it with the answer of the call it was taken for. */
  take(): Promise<ReleaseSend> {
    const now = this.clock.now();
    if (this.waiting === 0 && this.readyAt(now) <= now) return Promise.resolve(this.start(now));
    this.waiting++;
    const taken = this.line.then(async () => {
      try {
        return await this.acquire();
      } finally {
        this.waiting--;
      }
    });
    this.line = taken;
    return taken;
  }

  /**
   * A 429: {@link pause} for `seconds`, and send at half the rate, down to `capacity ÷ MAX_SLOWDOWN`
   * per window: half the tokens, and below one token, its hold stretched beyond a window.
   */
  slowDown(seconds: number): void {
    this.allowed = Math.max(this.capacity / MAX_SLOWDOWN, this.allowed / 2);
    this.pause(seconds);
  }

  /** No token is given before `seconds` from now (Telegram said to wait), not even to takers already waiting. */
  pause(seconds: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + seconds * 1000);
  }

  private async acquire(): Promise<ReleaseSend> {
    for (;;) {
      const now = this.clock.now();
      const at = this.readyAt(now);
      if (at <= now) return this.start(now);
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      await (at === Number.POSITIVE_INFINITY ? woken : Promise.race([woken, this.clock.sleep(at - now)]));
      this.wake = undefined;
    }
  }

  /** The earliest start for the next taker as known at `now` (infinite while it waits on calls in flight). */
  private readyAt(now: number): number {
    this.holds = this.holds.filter((hold) => hold.until > now);
    const at = Math.max(now, this.lastStart + this.spacingMs, this.pausedUntil);
    const excess = this.holds.length - this.tokens;
    if (excess < 0) return at;
    // The hold whose end frees a token: the (excess + 1)th to end.
    const ends = this.holds.map((hold) => hold.until).sort((a, b) => a - b);
    return Math.max(at, ends[excess]!);
  }

  private start(now: number): ReleaseSend {
    const hold: Hold = { until: Number.POSITIVE_INFINITY };
    this.holds.push(hold);
    this.lastStart = now;
    this.allowed = Math.min(this.capacity, this.allowed + this.capacity * RECOVERY);
    return (counted) => {
      if (hold.until !== Number.POSITIVE_INFINITY) return;
      hold.until = this.clock.now() + (counted ? this.windowMs / Math.min(1, this.allowed) : 0);
      this.wake?.();
    };
  }
}

/** The two send windows of a container: ordinary sends, and paid broadcasts (their own, higher limit). */
export interface Pacers {
  readonly standard: SendWindow;
  readonly paid: SendWindow;
}

/**
 * One container's share of `perSecond` among `maxConcurrency` containers: `floor(perSecond ÷
 * maxConcurrency)` a second (rounding down keeps the sum within the limit), or one per
 * `maxConcurrency ÷ perSecond` seconds when that share is below one.
 */
export function sendWindow(perSecond: number, maxConcurrency: number, clock: Clock = systemClock): SendWindow {
  const share = perSecond / maxConcurrency;
  return share >= 1
    ? new SendWindow(Math.floor(share), 1000, clock)
    : new SendWindow(1, Math.ceil(1000 / share), clock);
}

export function containerPacers(limits: TelegramLimits, maxConcurrency: number, clock: Clock = systemClock): Pacers {
  return {
    standard: sendWindow(limits.messagesPerSecond, maxConcurrency, clock),
    paid: sendWindow(limits.paidMessagesPerSecond, maxConcurrency, clock),
  };
}

/** A little margin on per-chat windows, so clock skew between containers cannot cross a limit. */
const CHAT_MARGIN_MS = 50;

/**
 * The earliest time a new message may go to a chat, given the times of its recent messages
 * (ascending): one per `1 / privateChatMessagesPerSecond` s in a private chat, at most
 * `groupMessagesPerMinute` in any minute in a group or channel.
 */
export function nextChatSlot(
  recent: readonly number[],
  kind: 'private' | 'group',
  now: number,
  limits: TelegramLimits,
): number {
  if (kind === 'private') {
    const last = recent.at(-1);
    const gap = 1000 / limits.privateChatMessagesPerSecond + CHAT_MARGIN_MS;
    return last === undefined ? now : Math.max(now, last + gap);
  }
  const perMinute = limits.groupMessagesPerMinute;
  if (recent.length < perMinute) return now;
  return Math.max(now, recent[recent.length - perMinute]! + 60_000 + CHAT_MARGIN_MS);
}

/** The send times worth keeping for {@link nextChatSlot}: the last minute's, at most a limit's worth. */
export function keepRecent(recent: readonly number[], now: number, limits: TelegramLimits): number[] {
  return recent.filter((at) => at > now - 61_000).slice(-limits.groupMessagesPerMinute);
}
