import type { JobProgress } from '../../core/platform/jobs/progress.js';
import type { TelegramCall } from '../../core/platform/telegram/calls.js';
import type { ChatGateway } from '../../core/platform/telegram/gateway.js';
import type { Clock } from '../../core/platform/telegram/pacing.js';
import type { ChatPaceStore } from '../../core/platform/telegram/sender.js';

/** A clock whose `sleep` moves time forward at once (tests of pacing never wait for real). */
export class FakeClock implements Clock {
  constructor(public time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.time += ms;
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
  private n = 0;

  constructor(private readonly clock: { now(): number }) {}

  async call(call: TelegramCall): Promise<unknown> {
    const error = this.answer(call, this.n++);
    if (error) throw error;
    this.made.push({ call, at: this.clock.now() });
    return { message_id: this.made.length };
  }

  texts(chat?: number): string[] {
    return this.made
      .filter((m) => chat === undefined || m.call.params.chat_id === chat)
      .map((m) => String(m.call.params.text));
  }
}
