import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AssistantPacer, assistantPacer, createAssistantClient } from '../../../../core/desk/assistant/client.js';
import {
  AiRateLimitedError,
  AiRejectedError,
  AiTimeoutError,
  AiUnavailableError,
} from '../../../../core/desk/assistant/errors.js';
import type { ChatAnswer, ChatModel, ChatRequest } from '../../../../core/desk/assistant/model.js';
import { OpenAiChatModel } from '../../../../core/desk/assistant/openai-chat.js';
import { shareOf } from '../../../../core/platform/rpc/rate-limit.js';
import type { Clock } from '../../../../core/platform/telegram/pacing.js';
import { defaultReply, type LlmPeer, startLlmPeer } from '../../../../local/llm/index.js';
import { secretCanary } from '../../../setup/secrets.js';

/** Virtual time: `sleep` moves the clock on at once and records the wait. */
class VirtualClock implements Clock {
  t = 1_000_000;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

/** A pacer that records what the client asks of it; `takeMs` is how long each take waits. */
class RecordingPacer implements AssistantPacer {
  takes = 0;
  readonly pauses: number[] = [];
  constructor(
    private readonly clock: VirtualClock,
    private readonly takeMs = 0,
  ) {}
  async take(): Promise<void> {
    this.takes++;
    this.clock.t += this.takeMs;
  }
  pause(seconds: number): void {
    this.pauses.push(seconds);
  }
}

type Step = ChatAnswer | Error;

/** A model that plays `steps` in order, one per call, and records each call's time and timeout. */
class ScriptedModel implements ChatModel {
  readonly calls: { at: number; timeoutMs: number | undefined; request: ChatRequest }[] = [];
  constructor(
    private readonly clock: VirtualClock,
    private readonly steps: Step[],
    /** Virtual time each call takes. */
    private readonly latencyMs = 0,
    /** The timeout each signal was made for. */
    readonly timeouts = new WeakMap<AbortSignal, number>(),
  ) {}
  async complete(request: ChatRequest): Promise<ChatAnswer> {
    const timeoutMs = request.signal === undefined ? undefined : this.timeouts.get(request.signal);
    this.calls.push({ at: this.clock.now(), timeoutMs, request });
    this.clock.t += this.latencyMs;
    const step = this.steps.shift();
    if (step === undefined) throw new Error('the script ran out');
    if (step instanceof Error) throw step;
    return step;
  }
}

const ANSWER: ChatAnswer = { text: 'Your balance is 1 SOL.', finishReason: 'stop' };
const MESSAGES = [{ role: 'user', content: 'balance?' }] as const;

function setup(
  steps: Step[],
  options: {
    maxAttempts?: number;
    requestTimeoutMs?: number;
    random?: () => number;
    takeMs?: number;
    latencyMs?: number;
  } = {},
) {
  const clock = new VirtualClock();
  const pacer = new RecordingPacer(clock, options.takeMs);
  const model = new ScriptedModel(clock, steps, options.latencyMs);
  const client = createAssistantClient({
    model,
    pacer,
    maxAttempts: options.maxAttempts ?? 5,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    clock,
    random: options.random ?? (() => 0.5),
    baseBackoffMs: 1_000,
    // Never aborted (the script decides how a call ends); remembered so the model can report it.
    timeoutSignal: (ms) => {
      const signal = new AbortController().signal;
      model.timeouts.set(signal, ms);
      return signal;
    },
  });
  return { clock, pacer, model, client, start: clock.now() };
}

const limited = (retryAfterSeconds?: number) =>
  new AiRateLimitedError('429', retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
const down = (retryAfterSeconds?: number) =>
  new AiUnavailableError('503', retryAfterSeconds === undefined ? {} : { retryAfterSeconds });

describe('createAssistantClient', () => {
  it('answers at the first attempt after taking a pacer slot, with the request timeout', async () => {
    const { client, pacer, model, clock, start } = setup([ANSWER]);
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 45_000 })).resolves.toEqual(ANSWER);
    expect(pacer.takes).toBe(1);
    expect(model.calls).toHaveLength(1);
    expect(model.calls[0]!.timeoutMs).toBe(10_000);
    expect(model.calls[0]!.request).toMatchObject({ messages: MESSAGES, maxTokens: 100 });
    expect(clock.sleeps).toEqual([]);
    expect(pacer.pauses).toEqual([]);
  });

  it('pauses the pacer for Retry-After on a 429, waits it out and retries', async () => {
    const { client, pacer, model, clock, start } = setup([limited(2), ANSWER]);
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 45_000 })).resolves.toEqual(ANSWER);
    expect(pacer.pauses).toEqual([2]);
    expect(clock.sleeps).toEqual([2_000]);
    expect(pacer.takes).toBe(2);
    expect(model.calls[1]!.at - model.calls[0]!.at).toBe(2_000);
  });

  it('pauses the pacer for the backoff on a 429 without Retry-After', async () => {
    const { client, pacer, clock, start } = setup([limited(), limited(), ANSWER], { random: () => 0.25 });
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 45_000 })).resolves.toEqual(ANSWER);
    // random · 1000 · 2^n
    expect(clock.sleeps).toEqual([250, 500]);
    expect(pacer.pauses).toEqual([0.25, 0.5]);
  });

  it('backs off exponentially with full jitter on 5xx and timeouts, without pausing the pacer', async () => {
    const randoms = [0.9, 0.1, 0.5];
    const { client, pacer, clock, start } = setup([down(), new AiTimeoutError('slow'), down(), ANSWER], {
      random: () => randoms.shift()!,
    });
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 45_000 })).resolves.toEqual(ANSWER);
    expect(clock.sleeps).toEqual([0.9 * 1_000, 0.1 * 2_000, 0.5 * 4_000]);
    expect(pacer.pauses).toEqual([]);
    expect(pacer.takes).toBe(4);
  });

  it('grows the backoff ceiling with each retry', async () => {
    const { client, clock, start } = setup([down(), down(), down(), down(), ANSWER], { random: () => 0.999 });
    await client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 45_000 });
    expect(clock.sleeps).toHaveLength(4);
    for (let n = 1; n < clock.sleeps.length; n++) expect(clock.sleeps[n]).toBeCloseTo(2 * clock.sleeps[n - 1]!, 6);
  });

  it('honours the Retry-After of a 5xx instead of the backoff', async () => {
    const { client, pacer, clock, start } = setup([down(3), ANSWER]);
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 45_000 })).resolves.toEqual(ANSWER);
    expect(clock.sleeps).toEqual([3_000]);
    expect(pacer.pauses).toEqual([]);
  });

  it('throws the last error once maxAttempts are spent, without a last wait', async () => {
    const last = down();
    const { client, model, clock, start } = setup([limited(1), down(), last, ANSWER], { maxAttempts: 3 });
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 45_000 })).rejects.toBe(last);
    expect(model.calls).toHaveLength(3);
    expect(clock.sleeps).toHaveLength(2);
  });

  it('makes one attempt only when maxAttempts is 1', async () => {
    const only = limited(1);
    const { client, model, clock, pacer, start } = setup([only, ANSWER], { maxAttempts: 1 });
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 45_000 })).rejects.toBe(only);
    expect(model.calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(pacer.pauses).toEqual([1]); // the container still holds back
  });

  it('throws the rate limit at once when its Retry-After would end past the deadline, still pausing the pacer', async () => {
    const error = limited(60);
    const { client, model, pacer, clock, start } = setup([error, ANSWER]);
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 45_000 })).rejects.toBe(error);
    expect(model.calls).toHaveLength(1);
    expect(pacer.pauses).toEqual([60]);
    expect(clock.sleeps).toEqual([]);
  });

  it('fails the next questions at once while a 429 holds the pacer past their deadline', async () => {
    const { client, model, pacer, clock, start } = setup([limited(60), ANSWER, ANSWER]);
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 45_000 })).rejects.toBeInstanceOf(
      AiRateLimitedError,
    );
    const later = await client
      .ask({ messages: MESSAGES, maxTokens: 100, deadline: clock.now() + 45_000 })
      .catch((e: unknown) => e);
    expect(later).toBeInstanceOf(AiRateLimitedError);
    expect(model.calls).toHaveLength(1);
    expect(pacer.takes).toBe(1);
    // Once the hold is over, questions go through again.
    clock.t += 60_000;
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: clock.now() + 45_000 })).resolves.toEqual(
      ANSWER,
    );
  });

  it('cuts the request timeout to the time left before the deadline', async () => {
    const { client, model, start } = setup([down(2), ANSWER], { requestTimeoutMs: 10_000, latencyMs: 500 });
    await client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 6_000 });
    expect(model.calls.map((c) => c.timeoutMs)).toEqual([6_000, 6_000 - 500 - 2_000]);
  });

  it('never waits past the deadline: throws the timeout that ended an attempt near it', async () => {
    const timedOut = new AiTimeoutError('no answer');
    const { client, model, clock, start } = setup([timedOut, ANSWER], { latencyMs: 5_900 });
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 6_000 })).rejects.toBe(timedOut);
    expect(model.calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(clock.now()).toBeLessThanOrEqual(start + 6_000);
  });

  it('stops retrying when backoff waits would cross the deadline, ending before it', async () => {
    const { client, model, clock, start } = setup(
      Array.from({ length: 10 }, () => down()),
      { maxAttempts: 10, random: () => 0.999, latencyMs: 100 },
    );
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 5_000 })).rejects.toBeInstanceOf(
      AiUnavailableError,
    );
    // 100 + ~1000 + 100 + ~2000 + 100 = ~3300 ms; the next ~4000 ms wait would cross the deadline.
    expect(model.calls).toHaveLength(3);
    expect(clock.now()).toBeLessThan(start + 5_000);
  });

  it('throws a timeout without asking when the pacer slot comes after the deadline', async () => {
    const { client, model, start } = setup([ANSWER], { takeMs: 2_000 });
    const error = await client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 1_000 }).catch((e) => e);
    expect(error).toBeInstanceOf(AiTimeoutError);
    expect(model.calls).toHaveLength(0);
  });

  it('throws the previous provider error when the pacer slot for a retry comes after the deadline', async () => {
    const first = down(1);
    const { client, model, start } = setup([first, ANSWER], { takeMs: 1_500 });
    // take 1500 → call at 1500 → wait 1000 (ends 2500 < 3000) → take 1500 → 4000 > deadline
    await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 3_000 })).rejects.toBe(first);
    expect(model.calls).toHaveLength(1);
  });

  it('does not retry a rejected request or an unexpected error', async () => {
    for (const error of [new AiRejectedError(401, 'wrong key'), new TypeError('bug')]) {
      const { client, model, pacer, clock, start } = setup([error, ANSWER]);
      await expect(client.ask({ messages: MESSAGES, maxTokens: 100, deadline: start + 45_000 })).rejects.toBe(error);
      expect(model.calls).toHaveLength(1);
      expect(clock.sleeps).toEqual([]);
      expect(pacer.pauses).toEqual([]);
    }
  });

  it('refuses a maxAttempts below 1', () => {
    const clock = new VirtualClock();
    expect(() =>
      createAssistantClient({
        model: new ScriptedModel(clock, []),
        pacer: new RecordingPacer(clock),
        maxAttempts: 0,
        requestTimeoutMs: 1_000,
        clock,
      }),
    ).toThrow(RangeError);
  });
});

describe('assistantPacer', () => {
  /** Start times of `n` takes on a virtual clock, relative to the first. */
  async function starts(rps: number, maxConcurrency: number, n: number): Promise<number[]> {
    const clock = new VirtualClock();
    const pacer = assistantPacer(rps, maxConcurrency, clock);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      await pacer.take();
      times.push(clock.now());
    }
    return times.map((t) => t - times[0]!);
  }

  it('spaces starts by 1.25 · window / capacity of the container share', async () => {
    expect(await starts(4, 2, 4)).toEqual([0, 625, 1_250, 1_875]); // k = 2 per 1 s
    expect(await starts(8, 2, 3)).toEqual([0, 312.5, 625]); // k = 4 per 1 s
    expect(await starts(1, 2, 2)).toEqual([0, 2_500]); // k = 1 per 2 s
  });

  it('keeps any share + 1 starts more than a window apart, with 240 ms of arrival delay to spare', async () => {
    const delayMs = 240; // arrivals may lag their start by 0 to 240 ms each
    for (const [rps, containers] of [
      [4, 2],
      [8, 2],
      [30, 2],
      [5, 3],
      [1, 2],
    ] as const) {
      const { capacity, windowMs } = shareOf(rps, containers);
      const times = await starts(rps, containers, 40);
      // Worst case: the first of capacity + 1 starts arrives late by the whole delay, the last on time.
      for (let i = 0; i + capacity < times.length; i++) {
        expect(times[i + capacity]! - times[i]! - delayMs).toBeGreaterThan(windowMs);
      }
    }
  });

  it('holds every taker back while paused', async () => {
    const clock = new VirtualClock();
    const pacer = assistantPacer(4, 2, clock);
    await pacer.take();
    const pausedAt = clock.now();
    pacer.pause(3);
    await pacer.take();
    expect(clock.now() - pausedAt).toBeGreaterThanOrEqual(3_000);
  });
});

describe('createAssistantClient with the local LLM peer', () => {
  const key = secretCanary('ai-client-key');
  let peer: LlmPeer;

  beforeAll(async () => {
    peer = await startLlmPeer({ apiKey: key });
  });

  afterAll(async () => {
    await peer.stop();
  });

  it('keeps two containers together under the provider rate: every question answered, no 429', async () => {
    const R = 4;
    peer.setRateLimit(R);
    peer.setLatency(50);
    const model = new OpenAiChatModel({ baseUrl: peer.baseUrl, apiKey: key, model: 'deepseek-chat' });
    const containers = [0, 1].map(() =>
      createAssistantClient({ model, pacer: assistantPacer(R, 2), maxAttempts: 3, requestTimeoutMs: 5_000 }),
    );
    const deadline = Date.now() + 14_000;
    const questions = containers.flatMap((client, c) =>
      Array.from({ length: 10 }, (_, i) => {
        const content = `question ${i} from container ${c}`;
        return client
          .ask({ messages: [{ role: 'user', content }], maxTokens: 50, deadline })
          .then((answer) => ({ content, answer }));
      }),
    );

    const answers = await Promise.all(questions);
    for (const { content, answer } of answers) {
      expect(answer.text).toBe(defaultReply({ model: 'deepseek-chat', messages: [{ role: 'user', content }] }));
    }
    const stats = peer.stats();
    expect(stats.rateLimited).toBe(0);
    expect(stats.answered).toBe(20);
    expect(stats.maxPerSecond).toBeLessThanOrEqual(R);
    // The control: the peer does refuse a burst above R, so the pacing above is what kept it at 0.
    const burst = await Promise.allSettled(
      Array.from({ length: R + 2 }, () =>
        model.complete({ messages: [{ role: 'user', content: 'burst' }], maxTokens: 5 }),
      ),
    );
    expect(burst.some((r) => r.status === 'rejected' && r.reason instanceof AiRateLimitedError)).toBe(true);
  }, 20_000);
});
