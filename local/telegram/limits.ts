/**
 * Telegram's flood limits as an {@link AdmissionPolicy} for the local peer.
 *
 * What is limited: calls that create messages in a chat ({@link MESSAGE_METHODS}; of those the peer implements
 * `sendMessage` and `sendPhoto`). Each call counts as one message. Edits, deletions, `answerCallbackQuery`, chat actions and
 * every other method are never limited: Telegram's published limits are about messages sent.
 *
 * Every bot (token) has its own windows and buckets, as on Telegram: one bot flooding never makes another
 * bot's call wait. The limits (numbers from `TELEGRAM_LIMITS` in core/platform/settings.ts), each per bot:
 * - overall: at most `messagesPerSecond` messages in any sliding 1-second window;
 * - per private chat: a token bucket refilled at `privateChatMessagesPerSecond` holding `privateChatBurst` tokens
 *   (real Telegram lets a few messages through at once in one chat, then answers 429);
 * - per group, supergroup or channel: at most `groupMessagesPerMinute` in any sliding 60-second window;
 * - `allow_paid_broadcast: true` moves a message from the overall window to a separate window of
 *   `paidMessagesPerSecond` ("ignoring broadcasting limits" for a fee, as the Bot API puts it); the per-chat
 *   limits still apply to it, and it does not use up the free overall budget.
 *
 * Beyond a limit the call is answered like Telegram: 429 `Too Many Requests: retry after N` with
 * `parameters.retry_after = N`, N being the whole seconds (at least 1) until that same call would be admitted.
 * A refused call is not counted. An admitted call holds its place while it runs and gives it back when it fails
 * (403 blocked, 400 chat not found...): only messages really sent count, as on Telegram.
 */
import { TELEGRAM_LIMITS, type TelegramLimits } from '../../core/platform/settings.js';
import type { AdmissionPolicy, AdmissionRequest } from './admission.js';
import { type BotApiError, tooManyRequests } from './errors.js';
import { readBool } from './validate.js';

/** Methods that create messages, by canonical name; each call counts as one message. */
export const MESSAGE_METHODS: ReadonlySet<string> = new Set([
  'sendMessage',
  'sendPhoto',
  'sendDocument',
  'sendVideo',
  'sendAudio',
  'sendVoice',
  'sendAnimation',
  'sendVideoNote',
  'sendSticker',
  'sendLocation',
  'sendVenue',
  'sendContact',
  'sendPoll',
  'sendDice',
  'sendInvoice',
  'sendMediaGroup',
  'sendPaidMedia',
  'copyMessage',
  'copyMessages',
  'forwardMessage',
  'forwardMessages',
]);

/** The limits a 429 can come from. */
export type LimitName = 'global' | 'paid' | 'privateChat' | 'group';

/** Options of {@link telegramLimits} besides the limits themselves. */
export interface TelegramLimitsOptions {
  /** Messages a private chat takes at once before its 1/s refill governs (the bucket's size; default 3). */
  privateChatBurst?: number;
  /**
   * The clock in ms; by default the request's `now` (`Date.now()` at admission). Tests pass a fake clock
   * to step time instead of sleeping.
   */
  now?: () => number;
}

/** Counters a benchmark reads, summed over every bot. */
export interface TelegramLimitStats {
  /** Message calls that passed every limit and were sent (these count against the limits). */
  admitted: number;
  /** Of `admitted`, those sent with `allow_paid_broadcast`. */
  paidAdmitted: number;
  /** 429s answered. */
  tooManyRequests: number;
  /** 429s by the limit exceeded (a call over two limits counts under both). */
  tooManyRequestsBy: Record<LimitName, number>;
  /** Message calls that passed the limits but then failed (blocked user, bad request): given back, not counted. */
  released: number;
}

/** A rate-limiting admission policy that also reports what it did. */
export interface TelegramLimiter extends AdmissionPolicy {
  /** The limits in force. */
  readonly limits: TelegramLimits;
  /** The private-chat bucket size in force. */
  readonly privateChatBurst: number;
  /** A snapshot of the counters. */
  stats(): TelegramLimitStats;
  /** Forgets every window, bucket and counter (between benchmark phases). */
  reset(): void;
}

const SECOND = 1_000;
const MINUTE = 60_000;
const DEFAULT_PRIVATE_CHAT_BURST = 3;

/** Send times within a sliding window; `limit` of them at most. */
class SlidingWindow {
  private readonly times: number[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly limit: number,
  ) {}

  /** Ms until one more send fits, 0 when it fits now. */
  waitMs(now: number): number {
    while (this.times.length > 0 && this.times[0]! <= now - this.windowMs) this.times.shift();
    if (this.times.length < this.limit) return 0;
    // The send that has to leave the window before one more fits.
    return this.times[this.times.length - this.limit]! + this.windowMs - now;
  }

  take(now: number): void {
    this.times.push(now);
  }

  /** Gives back a send taken at `at` (its call failed). */
  release(at: number): void {
    const index = this.times.lastIndexOf(at);
    if (index >= 0) this.times.splice(index, 1);
  }

  get empty(): boolean {
    return this.times.length === 0;
  }
}

/** A token bucket: `capacity` tokens, refilled at `perSecond`. */
class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / SECOND) * this.perSecond);
      this.updatedAt = now;
    }
  }

  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.perSecond) * SECOND;
  }

  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }

  release(now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.capacity, this.tokens + 1);
  }

  /** True when the bucket is full again, i.e. indistinguishable from a new one. */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity;
  }
}

/** One bot's windows and buckets. */
interface BotWindows {
  global: SlidingWindow;
  paid: SlidingWindow;
  privateChats: Map<number, TokenBucket>;
  groups: Map<number, SlidingWindow>;
}

/** What an admitted message call holds until it settles. */
interface Held {
  bot: BotWindows;
  at: number;
  paid: boolean;
  privateChat?: TokenBucket;
  group?: SlidingWindow;
}

const emptyBy = (): Record<LimitName, number> => ({ global: 0, paid: 0, privateChat: 0, group: 0 });

/** Idle per-chat state is dropped once there are this many chats, so 10,000-chat broadcasts stay small. */
const SWEEP_AT = 4_096;

/**
 * Telegram's flood limits for the local peer (see the module comment for exactly what is counted).
 * Pass it as `admission` to `startTelegramPeer`; read `stats()` for admitted messages and 429s.
 */
export function telegramLimits(
  limits: TelegramLimits = TELEGRAM_LIMITS,
  options: TelegramLimitsOptions = {},
): TelegramLimiter {
  const burst = options.privateChatBurst ?? DEFAULT_PRIVATE_CHAT_BURST;
  if (!(burst >= 1)) throw new Error(`privateChatBurst must be at least 1, got ${burst}`);
  for (const key of [
    'messagesPerSecond',
    'privateChatMessagesPerSecond',
    'groupMessagesPerMinute',
    'paidMessagesPerSecond',
  ] as const) {
    if (!(limits[key] > 0)) throw new Error(`${key} must be positive, got ${limits[key]}`);
  }

  const newBot = (): BotWindows => ({
    global: new SlidingWindow(SECOND, limits.messagesPerSecond),
    paid: new SlidingWindow(SECOND, limits.paidMessagesPerSecond),
    privateChats: new Map(),
    groups: new Map(),
  });
  /** By token. */
  let bots = new Map<string, BotWindows>();
  let held = new WeakMap<AdmissionRequest, Held>();
  let stats = { admitted: 0, paidAdmitted: 0, tooManyRequests: 0, released: 0, tooManyRequestsBy: emptyBy() };

  const clock = (request: AdmissionRequest): number => options.now?.() ?? request.now;

  const sweep = ({ privateChats, groups }: BotWindows, now: number): void => {
    if (privateChats.size >= SWEEP_AT) {
      for (const [id, bucket] of privateChats) if (bucket.full(now)) privateChats.delete(id);
    }
    if (groups.size >= SWEEP_AT) {
      for (const [id, window] of groups) if (window.waitMs(now) === 0 && window.empty) groups.delete(id);
    }
  };

  return {
    limits,
    privateChatBurst: burst,

    admit(request: AdmissionRequest): BotApiError | undefined {
      if (!MESSAGE_METHODS.has(request.method)) return undefined;
      const now = clock(request);
      const bot = bots.get(request.token) ?? newBot();
      bots.set(request.token, bot);
      const { global, paid, privateChats, groups } = bot;
      const isPaid = readBool(request.params, 'allow_paid_broadcast');
      const waits: Array<[LimitName, number]> = [isPaid ? ['paid', paid.waitMs(now)] : ['global', global.waitMs(now)]];

      let privateChat: TokenBucket | undefined;
      let group: SlidingWindow | undefined;
      if (request.chatId !== undefined && request.chatType === 'private') {
        privateChat =
          privateChats.get(request.chatId) ?? new TokenBucket(burst, limits.privateChatMessagesPerSecond, now);
        waits.push(['privateChat', privateChat.waitMs(now)]);
      } else if (request.chatId !== undefined && request.chatType !== undefined) {
        group = groups.get(request.chatId) ?? new SlidingWindow(MINUTE, limits.groupMessagesPerMinute);
        waits.push(['group', group.waitMs(now)]);
      }

      const over = waits.filter(([, ms]) => ms > 0);
      if (over.length > 0) {
        stats.tooManyRequests += 1;
        for (const [name] of over) stats.tooManyRequestsBy[name] += 1;
        const longest = Math.max(...over.map(([, ms]) => ms));
        return tooManyRequests(Math.max(1, Math.ceil(longest / SECOND)));
      }

      sweep(bot, now);
      (isPaid ? paid : global).take(now);
      if (privateChat !== undefined) {
        privateChat.take(now);
        privateChats.set(request.chatId!, privateChat);
      }
      if (group !== undefined) {
        group.take(now);
        groups.set(request.chatId!, group);
      }
      held.set(request, {
        bot,
        at: now,
        paid: isPaid,
        ...(privateChat !== undefined && { privateChat }),
        ...(group !== undefined && { group }),
      });
      return undefined;
    },

    settled(request: AdmissionRequest, ok: boolean): void {
      const hold = held.get(request);
      if (hold === undefined) return;
      held.delete(request);
      if (ok) {
        stats.admitted += 1;
        if (hold.paid) stats.paidAdmitted += 1;
        return;
      }
      stats.released += 1;
      (hold.paid ? hold.bot.paid : hold.bot.global).release(hold.at);
      hold.privateChat?.release(clock(request));
      hold.group?.release(hold.at);
    },

    stats(): TelegramLimitStats {
      return { ...stats, tooManyRequestsBy: { ...stats.tooManyRequestsBy } };
    },

    reset(): void {
      bots = new Map();
      held = new WeakMap();
      stats = { admitted: 0, paidAdmitted: 0, tooManyRequests: 0, released: 0, tooManyRequestsBy: emptyBy() };
    },
  };
}
