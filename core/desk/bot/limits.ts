import { Composer, type Telegram } from 'telegraf';
import { OutboxTelegram } from '../../platform/context.js';
import { ConfigError } from '../../platform/errors.js';
import type { ConversationKey } from '../i18n.js';
import type { BotContext, RateLimitState } from './context.js';

/** A token bucket: it holds at most `burst` tokens and gains one every `refillMs`. */
export interface BucketSpec {
  readonly burst: number;
  readonly refillMs: number;
}

/**
 * Messages and button presses a user may send in one chat: 20 at once, then one every 3 s
 * (20 a minute), well above what a person types or taps, well below what a script sends.
 */
export const MESSAGE_BUCKET: BucketSpec = { burst: 20, refillMs: 3_000 };

/**
 * Jobs a user's turns may queue (chain queries, deposit scans, vault operations: the work that
 * costs RPC calls and KMS requests): 15 at once, then one every 4 s (15 a minute). Tighter than
 * messages, so it is this bucket that stops someone who only sends job-making commands.
 */
export const JOB_BUCKET: BucketSpec = { burst: 15, refillMs: 4_000 };

/**
 * A bucket counted at a time that lies further in the future than this is not trusted and
 * starts full: times come from Telegram's message dates and, for button presses (which carry
 * none), from the clock here, so they may disagree by a little, never by this much.
 */
const MAX_CLOCK_SKEW_MS = 60_000;

export interface RateLimitOptions {
  /** Default {@link MESSAGE_BUCKET}. */
  messages?: BucketSpec;
  /** Default {@link JOB_BUCKET}. */
  jobs?: BucketSpec;
  /** Users never limited (the admins, say). Default: nobody. */
  exemptUserIds?: ReadonlySet<number>;
  /** The clock (ms) for updates that carry no date of their own: button presses. Default `Date.now`. */
  now?: () => number;
}

/** The buckets as counted for this update. */
interface Buckets {
  at: number;
  messages: number;
  jobs: number;
  noticeAt?: number;
}

type CallArgs = Parameters<Telegram['callApi']>;

/**
 * Abuse control: a token bucket per (chat, user) for what they send, and one for the jobs their
 * turns queue. The buckets live in the session, which is loaded and saved on every update anyway:
 * no extra call, and concurrent updates of one user cannot both spend the same token (the
 * session is saved under optimistic locking, and the loser runs its turn again).
 *
 * What counts as sending: any message in a private chat, a command addressed to the bot in a group
 * (`/cmd` or `/cmd@this_bot`), and any button press. Group chatter, commands for other bots,
 * edits and membership changes cost nothing and are never answered here: a bot added to a group
 * speaks only when spoken to. Time is the message's date; a button press has none, so the clock.
 *
 * Out of message tokens, the update goes no further. A button press is still answered (with the
 * reason, as a toast: every press is answered and a toast adds nothing to the chat); a message
 * gets one "slow down" reply in the user's language, and further refused messages get no reply
 * until a whole bucket's refill time (a minute by default) has passed: a flood never turns into
 * a flood of replies.
 *
 * Jobs are counted once the turn has run. If it queued more than the job bucket holds, the turn
 * is undone as a whole (its session changes, jobs and Bot API calls are dropped, nothing is left
 * half done, such as a "checking…" reply with no check behind it) and the user is told, as above.
 *
 * Never held back: the message that answers a pending `/setsecret` (it must be deleted from the
 * chat and stored; a refusal would leave a secret on screen), though it is counted; and users in
 * `exemptUserIds`, meant for the admins: confirming a digest of thirty deposits is fast work done
 * on purpose, and an admin is already trusted with the treasury. (Admin ids come from config, so
 * the bot passes them; called with no options, nobody is exempt.)
 *
 * Mount it after middleware that must see every update (the user directory) and before every
 * feature. It holds a turn's calls back by wrapping the per-turn {@link OutboxTelegram} of the
 * context; with any other client (none in this codebase) the job budget is not enforced.
 */
export function rateLimit(options: RateLimitOptions = {}): Composer<BotContext> {
  const messages = checkedBucket('messages', options.messages ?? MESSAGE_BUCKET);
  const jobs = checkedBucket('jobs', options.jobs ?? JOB_BUCKET);
  const exempt = options.exemptUserIds ?? new Set<number>();
  const clock = options.now ?? Date.now;
  // A second "slow down" only once the bucket could have refilled from empty.
  const noticeEveryMs = messages.burst * messages.refillMs;

  /** The stored buckets brought up to `at`; none, or untrustworthy, means full. */
  function refill(stored: RateLimitState | undefined, at: number): Buckets {
    if (stored === undefined || stored.at - at > MAX_CLOCK_SKEW_MS) {
      return { at, messages: messages.burst, jobs: jobs.burst };
    }
    const elapsed = Math.max(0, at - stored.at);
    const now = Math.max(at, stored.at);
    const noticeAt = stored.noticeAt;
    return {
      at: now,
      messages: Math.min(messages.burst, stored.messages + elapsed / messages.refillMs),
      jobs: Math.min(jobs.burst, stored.jobs + elapsed / jobs.refillMs),
      ...(noticeAt !== undefined && noticeAt <= now && now - noticeAt < noticeEveryMs ? { noticeAt } : {}),
    };
  }

  /**
   * Says no: a toast for a button, one message per window for a message, nothing for the rest.
   * `kept` is what to store; `now` is when the notice, if any, goes out.
   */
  function refuse(ctx: BotContext, kept: Buckets, now: number, key: ConversationKey, wait: number, answer: boolean) {
    // Whole ms first, so float noise cannot add a second.
    const text = ctx.t(key, { seconds: Math.max(1, Math.ceil(Math.round(wait) / 1000)) });
    if (ctx.callbackQuery) {
      save(ctx, kept);
      return ctx.answerCbQuery(text);
    }
    if (!answer || kept.noticeAt !== undefined) {
      save(ctx, kept);
      return;
    }
    save(ctx, { ...kept, noticeAt: now });
    return ctx.reply(text);
  }

  const limiter = new Composer<BotContext>();
  limiter.use(async (ctx, next) => {
    const userId = ctx.from?.id;
    if (userId === undefined || exempt.has(userId)) return next();
    const action = isAction(ctx);
    const mustPass = isSecretValue(ctx);
    const stored = ctx.session.limits;
    let buckets = refill(stored, dateOf(ctx, clock));
    if (action) {
      if (buckets.messages < 1 && !mustPass) {
        // Nothing was spent: the stored count stays as it was (counting it again would only add rounding).
        const kept = stored ? { ...stored, noticeAt: buckets.noticeAt } : buckets;
        const wait = (1 - buckets.messages) * messages.refillMs;
        return refuse(ctx, kept, buckets.at, 'limit.slow_down', wait, true);
      }
      buckets = { ...buckets, messages: Math.max(0, buckets.messages - 1) };
    }

    const before = { session: ctx.session, jobs: ctx.jobs.length };
    const hold = holdCalls(ctx.telegram);
    try {
      await next();
    } finally {
      hold?.release();
    }
    const queued = ctx.jobs.length - before.jobs;
    if (queued > 0 && hold) {
      // A turn that queues more than a full bucket may still run, once the bucket is full.
      const cost = Math.min(queued, jobs.burst);
      if (buckets.jobs < cost && !mustPass) {
        ctx.session = before.session;
        ctx.jobs.splice(before.jobs);
        return refuse(ctx, buckets, buckets.at, 'limit.jobs', (cost - buckets.jobs) * jobs.refillMs, action);
      }
      buckets = { ...buckets, jobs: Math.max(0, buckets.jobs - queued) };
    }
    if (action || queued > 0) save(ctx, buckets);
    hold?.commit();
  });
  return limiter;
}

function checkedBucket(name: string, spec: BucketSpec): BucketSpec {
  const { burst, refillMs } = spec;
  // The session schema caps stored tokens at 1,000.
  if (!Number.isInteger(burst) || burst < 1 || burst > 1000 || !Number.isFinite(refillMs) || refillMs <= 0) {
    throw new ConfigError(`rate limit ${name}: burst must be an integer in 1..1000 and refillMs positive`);
  }
  return spec;
}

/** Tokens are kept to 3 decimals, rounded down (never a token for free; the 1e-6 absorbs float noise). */
function save(ctx: BotContext, buckets: Buckets): void {
  const down = (tokens: number) => Math.floor(tokens * 1000 + 1e-6) / 1000;
  const limits: RateLimitState = {
    at: Math.round(buckets.at),
    messages: down(buckets.messages),
    jobs: down(buckets.jobs),
    ...(buckets.noticeAt !== undefined ? { noticeAt: Math.round(buckets.noticeAt) } : {}),
  };
  ctx.session = { ...ctx.session, limits };
}

/** Something the user sent to the bot: any message in private, a command for us in a group, a button. */
function isAction(ctx: BotContext): boolean {
  if (ctx.callbackQuery) return true;
  const message = ctx.message;
  if (message === undefined) return false;
  if (ctx.chat?.type === 'private') return true;
  if (!('text' in message)) return false;
  const first = message.entities?.[0];
  if (first?.type !== 'bot_command' || first.offset !== 0) return false;
  // The same test as telegraf's `command()`: no @username, or ours (case-insensitively).
  const to = message.text.slice(0, first.length).split('@')[1];
  return to === undefined || to.toLowerCase() === ctx.me.toLowerCase();
}

/**
 * The message that answers a pending `/setsecret`: plain text in the private chat, which the
 * secret middleware deletes and stores, ending the prompt (a command ends it too, but is not a
 * value and is counted as usual: `/setsecret` sent over and over is limited like anything else).
 */
function isSecretValue(ctx: BotContext): boolean {
  const message = ctx.message;
  if (message === undefined || ctx.chat?.type !== 'private' || ctx.session.secretPrompt === undefined) return false;
  if (!('text' in message)) return false;
  const first = message.entities?.[0];
  return !(first?.type === 'bot_command' && first.offset === 0);
}

/** When the update happened (ms): the message's date, an edit's date, else the clock. */
function dateOf(ctx: BotContext, clock: () => number): number {
  const update = ctx.update;
  if ('message' in update) return update.message.date * 1000;
  if ('edited_message' in update) return (update.edited_message.edit_date ?? update.edited_message.date) * 1000;
  if ('my_chat_member' in update) return update.my_chat_member.date * 1000;
  return clock();
}

/**
 * Holds the Bot API calls made while the turn runs, to pass them on (`commit`) or drop them.
 * Only the turn's own outbox client is wrapped: it belongs to this update alone.
 */
function holdCalls(telegram: Telegram): { release(): void; commit(): void } | undefined {
  if (!(telegram instanceof OutboxTelegram)) return undefined;
  const outbox = telegram.callApi;
  const held: CallArgs[] = [];
  telegram.callApi = ((...args: CallArgs) => {
    held.push(args);
    return Promise.resolve(true);
  }) as Telegram['callApi'];
  return {
    release: () => {
      telegram.callApi = outbox;
    },
    commit: () => {
      for (const args of held.splice(0)) void (outbox as (...call: CallArgs) => Promise<unknown>)(...args);
    },
  };
}
