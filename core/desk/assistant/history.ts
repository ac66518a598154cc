import { TransientError } from '../../platform/errors.js';
import type { ChatMessage } from './model.js';

/** One exchange with the assistant, kept for the next questions' context. */
export interface Turn {
  /** The `ai.reply` job that asked it: a redelivered job finds its answer here instead of asking again. */
  readonly job: string;
  /** When it was answered (ms since the epoch). */
  readonly at: number;
  readonly question: string;
  readonly answer: string;
}

/** A user's conversation as stored: its turns, oldest first, and the version it was read at. */
export interface Conversation {
  readonly turns: readonly Turn[];
  /** 0 when there is none; every save increments it. */
  readonly version: number;
}

/** Someone else saved the conversation since it was read; the job is retried (transient). */
export class HistoryConflictError extends TransientError {
  constructor(userId: number, options: { cause?: unknown } = {}) {
    super('ai.history_conflict', `The conversation of user ${userId} changed concurrently`, options);
  }
}

/**
 * Each user's conversation memory. Items live `idleSeconds` after their last save (TTL; expired
 * items are filtered on read, as DynamoDB deletes them up to days late).
 */
export interface HistoryStore {
  /** The user's conversation; `{ turns: [], version: 0 }` when there is none (or it expired). */
  load(userId: number): Promise<Conversation>;
  /**
   * Replaces the turns, only if the stored version is still `expectedVersion` (else
   * `HistoryConflictError`), and pushes the expiry `idleSeconds` on.
   */
  save(userId: number, turns: readonly Turn[], expectedVersion: number): Promise<void>;
  /** Forgets the conversation (idempotent). */
  clear(userId: number): Promise<void>;
}

/** How much of a conversation is kept (`AiSettings.history`). */
export interface HistoryBounds {
  readonly maxTurns: number;
  readonly maxBytes: number;
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const turnBytes = (turn: Turn) => bytes(turn.question) + bytes(turn.answer);

/** Cuts `text` to at most `max` UTF-8 bytes, at a character boundary. */
export function cutToBytes(text: string, max: number): string {
  if (bytes(text) <= max) return text;
  let out = '';
  let used = 0;
  for (const char of text) {
    const size = bytes(char);
    if (used + size > max) break;
    out += char;
    used += size;
  }
  return out;
}

/**
 * The turns kept once `turn` is added: the newest `maxTurns`, then the oldest dropped until all fit
 * in `maxBytes` together. A newest turn that alone exceeds `maxBytes` is cut (its question first to
 * a quarter of the budget, then its answer to the rest), so the latest exchange is always kept.
 */
export function appendTurn(turns: readonly Turn[], turn: Turn, bounds: HistoryBounds): Turn[] {
  if (bounds.maxTurns === 0) return [];
  let newest = turn;
  if (turnBytes(newest) > bounds.maxBytes) {
    const question = cutToBytes(turn.question, Math.floor(bounds.maxBytes / 4));
    newest = { ...turn, question, answer: cutToBytes(turn.answer, bounds.maxBytes - bytes(question)) };
  }
  const kept = [...turns.slice(Math.max(0, turns.length - (bounds.maxTurns - 1))), newest];
  let total = kept.reduce((sum, t) => sum + turnBytes(t), 0);
  while (total > bounds.maxBytes && kept.length > 1) total -= turnBytes(kept.shift()!);
  return kept;
}

/** The turns as Chat Completions messages, oldest first. */
export function historyMessages(turns: readonly Turn[]): ChatMessage[] {
  return turns.flatMap((turn) => [
    { role: 'user' as const, content: turn.question },
    { role: 'assistant' as const, content: turn.answer },
  ]);
}
