import type { TelegramLimits } from '../settings.js';

export type Clock = { now(): number; sleep(ms: number): Promise<void> };

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * One container's share of the bot's message rate, sent evenly: a slot every
 * `1000 / perSecond` ms (GCRA), so the shares of all concurrent containers add up to the bot
 * limit at most and no stall can release a burst. The share is the bot limit divided by the
 * notify consumer's maximum concurrency; SQS never runs more containers than that.
 *
 * After a 429 the whole container holds back for `retry_after` ({@link pause}); with
 * {@link slowDown} it also halves its rate, then wins it back a little with every slot it gives
 * (AIMD), so containers that together overrun what Telegram admits settle under it instead of
 * meeting a 429 every second.
 */
export class SendPacer {
  private next = 0;
  private pausedUntil = 0;
  private readonly baseIntervalMs: number;
  private intervalMs: number;

  constructor(
    perSecond: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.baseIntervalMs = 1000 / perSecond;
    this.intervalMs = this.baseIntervalMs;
  }

  /** Slots a second this pacer gives now (below its share after a {@link slowDown}). */
  get perSecond(): number {
    return 1000 / this.intervalMs;
  }

  /** Waits for this container's next send slot (a slot that a pause overtook is taken again after it). */
  async take(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const slot = Math.max(now, this.next);
      this.next = slot + this.intervalMs;
      this.intervalMs = Math.max(this.baseIntervalMs, this.intervalMs - this.baseIntervalMs * RECOVERY);
      if (slot > now) await this.clock.sleep(slot - now);
      if (this.clock.now() >= this.pausedUntil) return;
    }
  }

  /** A 429: {@link pause} for `seconds`, and send at half the rate (at least one slot every `MAX_SLOWDOWN` base intervals). */
  slowDown(seconds: number): void {
    this.intervalMs = Math.min(this.intervalMs * 2, this.baseIntervalMs * MAX_SLOWDOWN);
    this.pause(seconds);
  }

  /** No slot is given before `seconds` from now (Telegram said to wait), not even to takers already waiting. */
  pause(seconds: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + seconds * 1000);
    this.next = Math.max(this.next, this.pausedUntil);
  }
}

/** How much of its base interval a pacer wins back per slot given after a slow-down. */
const RECOVERY = 0.05;
/** The slowest a slowed-down pacer goes, in base intervals. */
const MAX_SLOWDOWN = 16;

/** The two pacers of a container: ordinary sends, and paid broadcasts (their own, higher limit). */
export interface Pacers {
  readonly standard: SendPacer;
  readonly paid: SendPacer;
}

/**
 * The share of a limit the sender aims at: sends leave each container evenly spaced, but reach
 * Telegram with network and scheduling jitter, and a few that bunch up must not cross the limit.
 */
export const RATE_HEADROOM = 0.98;

export function containerPacers(limits: TelegramLimits, maxConcurrency: number, clock: Clock = systemClock): Pacers {
  return {
    standard: new SendPacer((RATE_HEADROOM * limits.messagesPerSecond) / maxConcurrency, clock),
    paid: new SendPacer((RATE_HEADROOM * limits.paidMessagesPerSecond) / maxConcurrency, clock),
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
