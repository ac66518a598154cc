import type { JobProgress } from '../../core/platform/jobs/progress.js';
import type { TelegramCall } from '../../core/platform/telegram/calls.js';
import type { ChatGateway } from '../../core/platform/telegram/gateway.js';
import type { Clock } from '../../core/platform/telegram/pacing.js';
import type { ChatPaceStore } from '../../core/platform/telegram/sender.js';

export const T0 = 1_700_000_000_000;

/** A clock whose `sleep` moves time forward at once (tests of pacing never wait for real). */
export class FakeClock implements Clock {
  constructor(public time = T0) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.time += ms;
  }
}

/**
 * Virtual time: `sleep` waits for a timer, and {@link run} jumps time to each timer in turn,
 * letting everything that was woken run before the next, as real timers would (concurrent
 * sleepers wait side by side, where a {@link FakeClock} adds their sleeps up).
 */
export class VirtualClock implements Clock {
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

/** Job progress in memory. */
export class MemoryProgress implements JobProgress {
  readonly values = new Map<string, number>();
  async done(id: string) {
    return this.values.get(id) ?? 0;
  }
  async record(id: string, done: number) {
    this.values.set(id, done);
  }
}

/** Chat pace in memory, with the same conditional-save contract as the DynamoDB store. */
export class MemoryPace implements ChatPaceStore {
  readonly chats = new Map<string, { recent: number[]; version: number; through?: number }>();
  async load(chat: number | string) {
    const state = this.chats.get(String(chat)) ?? { recent: [], version: 0 };
    return { ...state, recent: [...state.recent] };
  }
  async save(chat: number | string, recent: number[], version: number, through?: number) {
    if ((this.chats.get(String(chat))?.version ?? 0) !== version) return false;
    this.chats.set(String(chat), { recent, version: version + 1, ...(through !== undefined && { through }) });
    return true;
  }
}

/**
 * A Bot API stand-in that records each call with the (fake) time it was made and answers with
 * whatever `answer` decides (an error to throw, or undefined for success).
 */
export class ScriptedGateway implements ChatGateway {
  readonly made: { call: TelegramCall; at: number }[] = [];
  answer: (call: TelegramCall, n: number) => Error | undefined = () => undefined;
  /** How long each call takes: it reaches "Telegram" at its start and is answered this much later. */
  latencyMs = 0;
  private n = 0;

  constructor(private readonly clock: Clock) {}

  async call(call: TelegramCall): Promise<unknown> {
    const n = this.n++;
    const at = this.clock.now();
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
    const error = this.answer(call, n);
    if (error) throw error;
    this.made.push({ call, at });
    return { message_id: this.made.length };
  }

  texts(chat?: number): string[] {
    return this.made
      .filter((m) => chat === undefined || m.call.params.chat_id === chat)
      .map((m) => String(m.call.params.text));
  }
}
