import { describeError, TransientError } from '../errors.js';
import { JobDeferredError, type JobProgress } from '../jobs/index.js';
import type { Logger } from '../log.js';
import { countMetric } from '../metrics.js';
import { TELEGRAM_LIMITS, type TelegramLimits } from '../settings.js';
import type { UserDirectory } from '../users/index.js';
import { chatKind, MESSAGE_METHODS, type TelegramCall, targetChat } from './calls.js';
import {
  type ChatGateway,
  TelegramForbiddenError,
  TelegramRateLimitedError,
  TelegramRejectedError,
} from './gateway.js';
import { type Clock, keepRecent, nextChatSlot, type Pacers, type ReleaseSend, systemClock } from './pacing.js';

/**
 * The recent send times of each chat, shared by every sender (and by the webhook, for the reply
 * it carries in its response) so that the per-chat limits hold across concurrent containers.
 * `save` is conditional on the version loaded: two senders can never take the same slot.
 * `through`: the newest update whose replies, queued by the webhook, have all taken their slot
 * here (the webhook lets no later reply of that chat overtake them).
 */
export interface ChatPaceStore {
  /** The chat's recent send times (ascending), `through`, and the version to save against. */
  load(chat: number | string): Promise<{ recent: number[]; version: number; through?: number }>;
  /** Saves `recent` and `through` if nobody saved since `version`; false if somebody did (load again). */
  save(chat: number | string, recent: number[], version: number, through?: number): Promise<boolean>;
}

export interface SenderDeps {
  gateway: ChatGateway;
  /** How many calls of each job were made, so a redelivered job never repeats one. */
  progress: JobProgress;
  pace: ChatPaceStore;
  pacers: Pacers;
  directory: Pick<UserDirectory, 'setActive'>;
  limits?: TelegramLimits;
  clock?: Clock;
  /**
   * Longest in-process wait for a chat's next slot, and for a 429's `retry_after` (summed over
   * one call's retries); beyond it the job comes back at that time. Waiting here instead of
   * sending the job back keeps a 429 storm from using up the queue's receives (`maxReceiveCount`).
   */
  maxChatWaitMs?: number;
  /** Counts one Telegram 429 at `at` (ms), e.g. for the admins' `/stats`; 429s are rare, so one write each. */
  count429?: (at: number) => Promise<void>;
}

/** How to deliver one job. */
export interface DeliverOptions {
  /**
   * The calls are replies the webhook queued for this update (marked when the last message's slot
   * is taken, so the chat's later replies may ride in the webhook response again).
   */
  readonly update?: number;
  /**
   * The job is alone in its invocation (`JobDelivery.alone`): a job of one call then records no
   * progress. Its crash window stays the one every call has: SQS brings the job back only if the
   * invocation dies between the call and its end, as a recorded call is made again if it dies
   * between the call and its record. (A redelivery still reads the progress, in case an earlier
   * delivery in a larger batch recorded it.) What is given up: a copy of the job that its producer
   * sends again more than five minutes after the first (past the FIFO queue's deduplication
   * window: a producer retried that long, a Telegram update redelivered that late) is no longer
   * recognised, and its call is made again.
   */
  readonly alone?: boolean;
}

/** What became of a job's calls. */
export interface DeliveryReport {
  /** Calls made by this delivery (not counting those done by an earlier one). */
  sent: number;
  /** Calls Telegram refused for good (400) and were dropped. */
  dropped: number;
  /** The chat refused the bot (403): the rest of the job was skipped. */
  blocked: boolean;
  /** The whole job had already been delivered before (a redelivery after success). */
  repeat: boolean;
}

const PACE_ATTEMPTS = 20;

/** Telegram answered that it did not send the message (429, 403, 400): it counts against no limit. */
const refused = (error: unknown): boolean =>
  error instanceof TelegramRateLimitedError ||
  error instanceof TelegramForbiddenError ||
  error instanceof TelegramRejectedError;

/**
 * Makes Bot API calls while keeping every Telegram limit, exactly once per call as far as a
 * sender can know:
 * - each container sends at most its share of the bot's limit in any second (a `SendWindow`,
 *   whose tokens come back a second after each call's answer); message calls also
 *   take a slot in their chat (one per second in a private chat, 20 per minute in a group),
 *   reserved in the shared `ChatPaceStore`; a slot further off than `maxChatWaitMs` sends the
 *   job back (a `JobDeferredError`: not a failure) instead of holding the container;
 * - 429: the container pauses for `retry_after` and slows down (see `SendWindow.slowDown`); the
 *   call is made again after it while the waits stay within `maxChatWaitMs`, else the job comes
 *   back after `retry_after`;
 * - 403: the chat refused the bot; a private chat's user is marked inactive, the job ends;
 * - 400 (and other 4xx): retrying cannot help; the call is dropped with its reason, counted
 *   in the `TelegramDropped` metric, and the job goes on;
 * - network and 5xx errors, and 401 (our token is wrong or revoked): thrown, so the job is
 *   retried, then kept in the DLQ until a redrive.
 *
 * Idempotency: after each call, the job's progress is recorded; a redelivered job resumes after
 * the last recorded call. The one crash window left: a call Telegram executed whose progress
 * was not yet recorded (the process died, or DynamoDB failed, in between) is made again. A job of
 * one call alone in its invocation records nothing: its window is the same (see `DeliverOptions.alone`).
 */
export function createSender(deps: SenderDeps) {
  const limits = deps.limits ?? TELEGRAM_LIMITS;
  const clock = deps.clock ?? systemClock;
  const maxChatWaitMs = deps.maxChatWaitMs ?? 5_000;

  /**
   * Reserves the chat's next slot and waits for it; a slot too far off defers the job. `through`:
   * this is the last message of the replies the webhook queued for update `through` (see {@link ChatPaceStore}).
   */
  async function chatSlot(chat: number | string, through?: number): Promise<void> {
    const kind = chatKind(chat);
    for (let attempt = 0; attempt < PACE_ATTEMPTS; attempt++) {
      const { recent, version, through: before } = await deps.pace.load(chat);
      const now = clock.now();
      const slot = nextChatSlot(recent, kind, now, limits);
      if (slot - now > maxChatWaitMs) {
        throw new JobDeferredError(
          'telegram.chat_busy',
          `The chat's next send slot is ${slot - now} ms away`,
          (slot - now) / 1000,
        );
      }
      const reached = through === undefined || before === undefined ? (through ?? before) : Math.max(through, before);
      if (await deps.pace.save(chat, keepRecent([...recent, slot], now, limits), version, reached)) {
        if (slot > now) await clock.sleep(slot - now);
        return;
      }
    }
    throw new TransientError('telegram.chat_contended', 'Too many senders for one chat at once');
  }

  /** Counts a 429 for `/stats`; a counter that fails is logged and forgotten, never in the way of sending. */
  async function count429(log: Logger): Promise<void> {
    if (!deps.count429) return;
    try {
      await deps.count429(clock.now());
    } catch (error) {
      log.warn('stats.count_failed', { error: describeError(error) });
    }
  }

  async function send(call: TelegramCall, log: Logger, through?: number): Promise<void> {
    const chat = targetChat(call);
    let release: ReleaseSend | undefined;
    if (MESSAGE_METHODS.has(call.method)) {
      if (chat !== undefined) await chatSlot(chat, through);
      release = await (call.params.allow_paid_broadcast === true ? deps.pacers.paid : deps.pacers.standard).take();
    }
    try {
      await deps.gateway.call(call);
      release?.(true);
    } catch (error) {
      release?.(!refused(error));
      if (error instanceof TelegramRateLimitedError) {
        deps.pacers.standard.slowDown(error.retryAfterSeconds ?? 1);
        deps.pacers.paid.slowDown(error.retryAfterSeconds ?? 1);
        await count429(log);
      }
      throw error;
    }
  }

  /** {@link send}, made again after each 429's `retry_after` while the waits fit in `maxChatWaitMs`. */
  async function sendPatiently(call: TelegramCall, log: Logger, through?: number): Promise<void> {
    let waitedMs = 0;
    for (;;) {
      try {
        return await send(call, log, through);
      } catch (error) {
        if (!(error instanceof TelegramRateLimitedError)) throw error;
        const waitMs = (error.retryAfterSeconds ?? 1) * 1000;
        if (waitedMs + waitMs > maxChatWaitMs) throw error;
        waitedMs += waitMs;
        log.info('telegram.rate_limited', { method: call.method, retryAfterSeconds: waitMs / 1000 });
        await clock.sleep(waitMs);
      }
    }
  }

  /** Makes `calls` for job `jobId` in order, resuming after the last call a delivery recorded. */
  return async function deliver(
    jobId: string,
    calls: readonly TelegramCall[],
    log: Logger,
    { update, alone = false }: DeliverOptions = {},
  ): Promise<DeliveryReport> {
    const lastMessage = calls.findLastIndex((call) => MESSAGE_METHODS.has(call.method));
    const recorded = calls.length > 1 || !alone;
    const record = async (done: number) => {
      if (recorded) await deps.progress.record(jobId, done);
    };
    const start = await deps.progress.done(jobId);
    const report: DeliveryReport = { sent: 0, dropped: 0, blocked: false, repeat: start >= calls.length };
    if (start > 0 && !report.repeat) log.info('telegram.resumed', { from: start, of: calls.length });
    for (let index = start; index < calls.length; index++) {
      const call = calls[index]!;
      try {
        await sendPatiently(call, log, index === lastMessage ? update : undefined);
        report.sent++;
      } catch (error) {
        if (error instanceof TelegramForbiddenError) {
          const chat = targetChat(call);
          // The user blocked the bot (or left the chat): their choice, not a failure of ours.
          log.info('telegram.forbidden', { method: call.method, chat });
          if (typeof chat === 'number' && chatKind(chat) === 'private') await deps.directory.setActive(chat, false);
          await record(calls.length);
          return { ...report, blocked: true };
        }
        if (!(error instanceof TelegramRejectedError)) throw error;
        log.warn('telegram.dropped', { method: call.method, errorCode: error.errorCode, reason: error.message });
        countMetric(log, 'TelegramDropped', { method: call.method });
        report.dropped++;
      }
      await record(index + 1);
    }
    return report;
  };
}

export type Deliver = ReturnType<typeof createSender>;
