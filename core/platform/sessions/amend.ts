import { SessionConflictError, TransientError } from '../errors.js';
import type { SessionStore } from './store.js';

/** How a worker amends a session: the store, and its retries under contention. */
export interface SessionAmendDeps {
  sessions: SessionStore;
  /** Attempts before giving up as transient (default 8). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Changes a session from outside the webhook (a worker), under the store's optimistic lock: on a
 * conflict (an update of that chat committed in between) it reads again and retries, so the
 * change and whatever that update wrote both survive. `change` gets the stored data (undefined
 * for none, or data that is not an object) and returns the new data, or undefined for "nothing
 * to write". The list of processed updates is kept as it is (the save re-appends the newest; a
 * session that has none gets the placeholder update 0, which no Telegram update carries).
 * Returns whether it wrote. A session that stays contended fails as transient (the job retries).
 */
export async function amendSession(
  deps: SessionAmendDeps,
  key: string,
  change: (data: Record<string, unknown> | undefined) => Record<string, unknown> | undefined,
): Promise<boolean> {
  const maxAttempts = deps.maxAttempts ?? 8;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    const snapshot = await deps.sessions.load(key);
    const next = change(isRecord(snapshot.data) ? snapshot.data : undefined);
    if (next === undefined) return false;
    const newest = snapshot.processed.at(-1);
    try {
      await deps.sessions.save({
        key,
        data: next,
        expectedVersion: snapshot.version,
        update: newest ?? { updateId: 0 },
        processed: newest ? snapshot.processed.slice(0, -1) : [],
      });
      return true;
    } catch (error) {
      if (!(error instanceof SessionConflictError)) throw error;
      if (attempt >= maxAttempts) {
        throw new TransientError('session.contended', `Session ${key} stayed contended`, { cause: error });
      }
      await sleep(random() * Math.min(200, 5 * 2 ** attempt));
    }
  }
}
