import { describe, expect, it } from 'vitest';
import { appendTurn, cutToBytes, historyMessages, type Turn } from '../../../../core/desk/assistant/history.js';

const turn = (n: number, size = 10): Turn => ({
  job: `job-${n}`,
  at: n,
  question: 'q'.repeat(size),
  answer: 'a'.repeat(size),
});
const bytesOf = (turns: readonly Turn[]) =>
  turns.reduce((sum, t) => sum + Buffer.byteLength(t.question) + Buffer.byteLength(t.answer), 0);

describe('appendTurn', () => {
  it('keeps the newest maxTurns turns', () => {
    let turns: Turn[] = [];
    for (let n = 1; n <= 12; n++) turns = appendTurn(turns, turn(n), { maxTurns: 8, maxBytes: 100_000 });
    expect(turns.map((t) => t.job)).toEqual([5, 6, 7, 8, 9, 10, 11, 12].map((n) => `job-${n}`));
  });

  it('keeps only the newest turn when maxTurns is 1, and none when it is 0', () => {
    expect(appendTurn([turn(1), turn(2)], turn(3), { maxTurns: 1, maxBytes: 1_000 })).toEqual([turn(3)]);
    expect(appendTurn([turn(1)], turn(2), { maxTurns: 0, maxBytes: 1_000 })).toEqual([]);
  });

  it('drops the oldest turns until everything fits in maxBytes', () => {
    const turns = appendTurn([turn(1, 300), turn(2, 300), turn(3, 300)], turn(4, 300), {
      maxTurns: 8,
      maxBytes: 1_500,
    });
    expect(turns.map((t) => t.job)).toEqual(['job-3', 'job-4']);
    expect(bytesOf(turns)).toBeLessThanOrEqual(1_500);
  });

  it('cuts a newest turn that alone is over the budget, keeping it', () => {
    const big: Turn = { job: 'big', at: 1, question: '问'.repeat(1_000), answer: '答'.repeat(5_000) };
    const turns = appendTurn([turn(1)], big, { maxTurns: 8, maxBytes: 2_000 });
    expect(turns).toHaveLength(1);
    expect(turns[0]!.job).toBe('big');
    expect(bytesOf(turns)).toBeLessThanOrEqual(2_000);
    expect(Buffer.byteLength(turns[0]!.question)).toBeLessThanOrEqual(500);
    expect(turns[0]!.answer.length).toBeGreaterThan(0);
  });

  it('holds the bounds for any sequence of turns', () => {
    let turns: Turn[] = [];
    for (let n = 0; n < 200; n++) {
      const size = (n * 7919) % 3_000;
      turns = appendTurn(turns, turn(n, size), { maxTurns: 6, maxBytes: 4_000 });
      expect(turns.length).toBeLessThanOrEqual(6);
      expect(bytesOf(turns)).toBeLessThanOrEqual(4_000);
      expect(turns.at(-1)!.job).toBe(`job-${n}`);
    }
  });
});

describe('cutToBytes', () => {
  it('cuts at a character boundary, never inside a multi-byte character', () => {
    expect(cutToBytes('😀😀😀', 9)).toBe('😀😀');
    expect(cutToBytes('abc', 10)).toBe('abc');
    expect(cutToBytes('日本語', 4)).toBe('日');
  });
});

describe('historyMessages', () => {
  it('alternates user and assistant messages, oldest first', () => {
    expect(historyMessages([turn(1, 1), turn(2, 1)])).toEqual([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a' },
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a' },
    ]);
  });
});
