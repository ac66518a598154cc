/**
 * Pending updates, shared by the two ways a bot receives them: webhook delivery and `getUpdates`.
 *
 * Like Telegram's update queue, an update stays here until it is confirmed: by a 2xx webhook answer (or
 * giving up), or by a later `getUpdates` call with a higher `offset`. Switching between webhook and polling
 * therefore loses nothing unless `drop_pending_updates` is passed.
 */
import { BotApiError, Descriptions } from './errors.js';
import type { TgUpdate, UpdateType } from './types.js';

/** One queued update and its delivery bookkeeping. */
export interface PendingUpdate {
  update: TgUpdate;
  type: UpdateType;
  /** Updates with the same key are delivered one at a time, in order (Telegram queues per chat). */
  queueKey: string;
  chatId?: number;
  /** Webhook attempts made so far. */
  attempts: number;
  /** Earliest time (ms) of the next webhook attempt. */
  notBefore: number;
  /** A webhook request for it is under way. */
  inFlight: boolean;
}

/** The payload type of an update (its one field besides `update_id`). */
export function updateTypeOf(update: TgUpdate): UpdateType {
  if (update.message !== undefined) return 'message';
  if (update.edited_message !== undefined) return 'edited_message';
  if (update.callback_query !== undefined) return 'callback_query';
  if (update.my_chat_member !== undefined) return 'my_chat_member';
  throw new Error(`update ${update.update_id} has no payload`);
}

/** The chat whose ordered delivery queue an update joins. */
export function chatIdOf(update: TgUpdate): number | undefined {
  return (
    update.message?.chat.id ??
    update.edited_message?.chat.id ??
    update.callback_query?.message?.chat.id ??
    update.callback_query?.from.id ??
    update.my_chat_member?.chat.id
  );
}

/** Ordered pending updates plus the `allowed_updates` setting that filters new ones. */
export class UpdateQueue {
  /** The bot's `allowed_updates` (shared by `setWebhook` and `getUpdates`); `undefined` = default set. */
  allowedUpdates: string[] | undefined;
  private pending: PendingUpdate[] = [];
  private readonly listeners = new Set<() => void>();

  get size(): number {
    return this.pending.length;
  }

  /** Pending updates in `update_id` order (live entries; do not mutate outside the delivery engine). */
  entries(): readonly PendingUpdate[] {
    return this.pending;
  }

  push(update: TgUpdate): PendingUpdate {
    const chatId = chatIdOf(update);
    const entry: PendingUpdate = {
      update,
      type: updateTypeOf(update),
      queueKey: chatId === undefined ? `update:${update.update_id}` : `chat:${chatId}`,
      ...(chatId !== undefined && { chatId }),
      attempts: 0,
      notBefore: 0,
      inFlight: false,
    };
    this.pending.push(entry);
    this.changed();
    return entry;
  }

  remove(entry: PendingUpdate): void {
    const index = this.pending.indexOf(entry);
    if (index >= 0) {
      this.pending.splice(index, 1);
      this.changed();
    }
  }

  /** Confirms (forgets) every update with `update_id < offset`, as `getUpdates` does. */
  confirmBelow(offset: number): void {
    const before = this.pending.length;
    this.pending = this.pending.filter((entry) => entry.update.update_id >= offset);
    if (this.pending.length !== before) this.changed();
  }

  /** Keeps only the last `count` updates (`getUpdates` with a negative offset). */
  keepLast(count: number): void {
    if (this.pending.length > count) {
      this.pending = this.pending.slice(this.pending.length - count);
      this.changed();
    }
  }

  clear(): void {
    if (this.pending.length > 0) {
      this.pending = [];
      this.changed();
    }
  }

  /** Up to `limit` updates not being delivered by webhook right now. */
  available(limit: number): TgUpdate[] {
    return this.pending
      .filter((entry) => !entry.inFlight)
      .slice(0, limit)
      .map((entry) => entry.update);
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** The one `getUpdates` long poll that may be waiting; a newer one ends the older with 409, like Telegram. */
export class LongPoll {
  private current: { finish: (error?: BotApiError) => void } | undefined;

  constructor(private readonly queue: UpdateQueue) {}

  /**
   * Waits until an update is available, `timeoutMs` passes or `signal` aborts. Rejects with the given error
   * when another poll or a webhook takes over ({@link terminate}).
   */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    this.current?.finish(new BotApiError(409, Descriptions.terminatedByOtherPoll));
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (error?: BotApiError): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', onAbort);
        if (this.current === handle) this.current = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      const handle = { finish };
      const onAbort = (): void => finish();
      const timer = setTimeout(() => finish(), timeoutMs);
      const unsubscribe = this.queue.onChange(() => {
        if (this.queue.available(1).length > 0) finish();
      });
      signal.addEventListener('abort', onAbort);
      this.current = handle;
      if (signal.aborted) finish();
    });
  }

  /** Ends the waiting poll: with `error`, or with an empty result when `error` is absent. */
  terminate(error?: BotApiError): void {
    this.current?.finish(error);
  }
}
