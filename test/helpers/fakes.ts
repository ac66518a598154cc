import { SessionConflictError, TransientError } from '../../core/platform/errors.js';
import type { JobQueue, OutgoingJob } from '../../core/platform/jobs/envelope.js';
import { createLogger, type Logger } from '../../core/platform/log.js';
import type {
  Outbox,
  SessionSave,
  SessionSnapshot,
  SessionStore,
  UpdateLedger,
} from '../../core/platform/sessions/store.js';

/** In-memory SessionStore + UpdateLedger with the same contract as the DynamoDB adapter. */
export class MemorySessionStore implements SessionStore, UpdateLedger {
  readonly items = new Map<string, { data: unknown; version: number; processed: SessionSave['processed'] }>();
  readonly claims = new Map<number, Outbox>();
  failNext: Error | undefined;
  saves = 0;

  async load(key: string): Promise<SessionSnapshot> {
    this.maybeFail();
    const item = this.items.get(key);
    return item ? { key, ...structuredClone(item) } : { key, data: undefined, version: 0, processed: [] };
  }

  async save(save: SessionSave): Promise<void> {
    this.maybeFail();
    const current = this.items.get(save.key)?.version ?? 0;
    if (current !== save.expectedVersion) throw new SessionConflictError(save.key);
    this.saves++;
    this.items.set(save.key, {
      data: structuredClone(save.data),
      version: current + 1,
      processed: [...save.processed, save.update],
    });
  }

  async claim(updateId: number, outbox: Outbox) {
    this.maybeFail();
    const existing = this.claims.get(updateId);
    if (existing) return { duplicate: true as const, outbox: existing };
    this.claims.set(updateId, outbox);
    return { duplicate: false as const };
  }

  private maybeFail() {
    const error = this.failNext;
    this.failNext = undefined;
    if (error) throw error;
  }
}

/** A JobQueue that records what was sent and can be told to fail. */
export class MemoryJobQueue implements JobQueue {
  readonly sent: OutgoingJob[] = [];
  failNext = 0;

  async send(jobs: readonly OutgoingJob[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new TransientError('sqs.unavailable', 'fake queue down');
    }
    this.sent.push(...jobs);
  }
}

/** A logger that keeps its lines for assertions. */
export function memoryLogger(): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ service: 'test', level: 'debug', write: (line) => lines.push(JSON.parse(line)) });
  return Object.assign(log, { lines });
}
