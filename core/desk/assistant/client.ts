/**
 * The assistant's way of asking its model: pacing, per-request timeouts, retries and the answer's
 * deadline around a {@link ChatModel}, which itself makes exactly one request per call.
 */
import { shareOf } from '../../platform/rpc/index.js';
import { type Clock, SendPacer, systemClock } from '../../platform/telegram/index.js';
import { AiRateLimitedError, AiTimeoutError, AiUnavailableError } from './errors.js';
import type { ChatAnswer, ChatMessage, ChatModel } from './model.js';

/** The container-wide start pacer the client waits on (a {@link SendPacer} from {@link assistantPacer}). */
export interface AssistantPacer {
  /** Resolves at this container's next free request slot. */
  take(): Promise<void>;
  /** Gives no slot to anyone in this container for `seconds` from now (the provider said 429). */
  pause(seconds: number): void;
}

export interface AssistantClientOptions {
  model: ChatModel;
  /** Shared by every question this container is answering, so their requests together keep the share. */
  pacer: AssistantPacer;
  /** Provider requests per question, first one included; at least 1. */
  maxAttempts: number;
  /** Bound on one provider request (cut shorter when the deadline is nearer). */
  requestTimeoutMs: number;
  /** Time for deadlines and waits (a virtual clock in tests); `systemClock` by default. */
  clock?: Clock;
  /** Jitter source in [0, 1); `Math.random` by default. */
  random?: () => number;
  /** Backoff base: the n-th retry (n from 0) waits `random() · baseBackoffMs · 2^n`. Default 1000. */
  baseBackoffMs?: number;
  /**
   * Makes the signal that aborts one request after `ms`. Defaults to `AbortSignal.timeout`, which
   * runs on real time whatever `clock` says: a virtual clock's `sleep` returns at once, so a timer
   * on it would abort every request immediately. Tests on a virtual clock pass their own here to see
   * (and trigger) each request's timeout.
   */
  timeoutSignal?: (ms: number) => AbortSignal;
}

/** One question to put to the model. */
export interface AssistantRequest {
  readonly messages: readonly ChatMessage[];
  readonly maxTokens: number;
  /** When the answer is of no use any more: clock ms (`clock.now()`), retries and waits included. */
  readonly deadline: number;
}

/** Asks a model on behalf of the assistant, within a rate share and a deadline. */
export interface AssistantClient {
  /**
   * The model's answer, or the error that ended the last attempt: `AiRateLimitedError`,
   * `AiUnavailableError` or `AiTimeoutError` once retrying can no longer help (attempts spent, or
   * the next wait would reach the deadline), `AiRejectedError` (or any non-AI error) at once. An
   * `AiTimeoutError` also reports a deadline that passed before any request could start.
   */
  ask(request: AssistantRequest): Promise<ChatAnswer>;
}

/**
 * Wraps `model` with the assistant's retry policy:
 * - every attempt first takes a slot of the container's `pacer`, then gets
 *   `min(requestTimeoutMs, deadline − now)` to answer;
 * - 429 (`AiRateLimitedError`) pauses the whole pacer for the provider's `Retry-After` (else the
 *   backoff below), so every question of this container holds back, and retries after that wait;
 * - 5xx, network, malformed answers and timeouts (`AiUnavailableError`, `AiTimeoutError`) retry after
 *   the provider's `Retry-After` if it sent one, else after full-jitter exponential backoff
 *   (`random() · base · 2^n` for the n-th retry);
 * - `AiRejectedError` and anything unexpected are thrown at once.
 *
 * Invariants: at most `maxAttempts` requests per question; no wait that would end at or after the
 * deadline is begun, and no request outlives it; a failed question rejects with its last provider
 * error, so callers can tell rate limiting, an outage and timeouts apart. A question that finds the
 * pacer held (by a 429 this client saw) until past its deadline fails at once with
 * `AiRateLimitedError` instead of queueing for a slot it could not use. `pacer.take()` itself has no
 * deadline: `ask` settles by the deadline plus the pacer's spacing queue (a few intervals), or
 * later only if another client pauses the same pacer. Use one client per pacer.
 */
export function createAssistantClient(options: AssistantClientOptions): AssistantClient {
  const { model, pacer, maxAttempts, requestTimeoutMs } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const baseBackoffMs = options.baseBackoffMs ?? 1000;
  const timeoutSignal = options.timeoutSignal ?? ((ms: number) => AbortSignal.timeout(ms));
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError('maxAttempts must be an integer ≥ 1');
  if (!(requestTimeoutMs > 0)) throw new RangeError('requestTimeoutMs must be > 0');
  if (!(baseBackoffMs >= 0)) throw new RangeError('baseBackoffMs must be ≥ 0');

  const backoffMs = (retry: number): number => random() * baseBackoffMs * 2 ** retry;
  /** Until when this client's last 429 holds the pacer (clock ms). */
  let heldUntil = Number.NEGATIVE_INFINITY;

  return {
    async ask({ messages, maxTokens, deadline }) {
      let lastError: unknown;
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        if (heldUntil >= deadline && heldUntil > clock.now()) {
          throw lastError ?? new AiRateLimitedError('the AI provider asked us to hold back past the answer deadline');
        }
        await pacer.take();
        const remaining = deadline - clock.now();
        if (remaining <= 0) {
          throw lastError ?? new AiTimeoutError('the answer deadline passed before the AI provider could be asked');
        }
        try {
          return await model.complete({
            messages,
            maxTokens,
            signal: timeoutSignal(Math.min(requestTimeoutMs, remaining)),
          });
        } catch (error) {
          if (!isRetryable(error)) throw error;
          lastError = error;
          const waitMs = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : backoffMs(attempt);
          // The provider throttles the key, not one question: the whole container holds back.
          if (error instanceof AiRateLimitedError) {
            pacer.pause(waitMs / 1000);
            heldUntil = Math.max(heldUntil, clock.now() + waitMs);
          }
          if (attempt + 1 >= maxAttempts || clock.now() + waitMs >= deadline) throw error;
          await clock.sleep(waitMs);
        }
      }
      throw lastError; // unreachable: the last attempt returns or throws
    },
  };
}

function isRetryable(error: unknown): error is AiRateLimitedError | AiUnavailableError | AiTimeoutError {
  return error instanceof AiRateLimitedError || error instanceof AiUnavailableError || error instanceof AiTimeoutError;
}

/** Margin on the spacing of starts: a start every `1.25 · windowMs / capacity`. */
const SPACING_MARGIN = 1.25;

/**
 * The start pacer of one ai worker container: its share of the provider's `requestsPerSecond`
 * among `maxConcurrency` containers, so all containers together stay under the provider's rate
 * without talking to each other.
 *
 * {@link shareOf} gives the container `k` requests per window `W` (`k = floor(rps / maxConcurrency)`
 * per 1-s window when that is ≥ 1), so the containers' `k`s add up to at most `rps`. Starts spaced
 * `I > W / k` apart fit at most `k` into any window of length `W`: any `k + 1` of them span at least
 * `k · I > W`. Requests reach the provider a little after their start (network, a stalled event
 * loop at either end), each by its own delay in `[0, J]`, so `k + 1` arrivals span at least
 * `k · I − J`; with `I = 1.25 · W / k` that is `1.25 · W − J`, more than `W` for any `J < 0.25 · W`
 * (250 ms for a 1-s window, whatever `k`). The price is a fifth less throughput than the share.
 *
 * Limits: a share below 1 req/s (`rps < maxConcurrency`) is one start per `W > 1 s` per container,
 * so the containers stay within `rps` over `W`, but two of them may start within the same second.
 * The pacer spaces starts, it does not count requests in flight; a 429 pauses it ({@link SendPacer.pause}).
 */
export function assistantPacer(
  requestsPerSecond: number,
  maxConcurrency: number,
  clock: Clock = systemClock,
): SendPacer {
  const { capacity, windowMs } = shareOf(requestsPerSecond, maxConcurrency);
  const intervalMs = (windowMs / capacity) * SPACING_MARGIN;
  return new SendPacer(1000 / intervalMs, clock);
}
