import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runSection, SECTION_NAMES, sectionsFrom } from '../../bench/sections.js';
import { formatTable } from '../../bench/stats.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The numbers written in a cell ("1,234 calls", "0.25 ms (baseline)"), as numbers. */
const numbersIn = (cell: string): number[] =>
  [...cell.matchAll(/-?(?:\d[\d,]*(?:\.\d+)?|NaN|Infinity)/g)].map((m) => Number(m[0].replaceAll(',', '')));

/**
 * Every section of `npm run bench`, at a tiny size (a broadcast to 20 users, 3 payouts, 5 assistant
 * users...), so a change that breaks a scenario fails here. Only that each completes and gives
 * rows with finite numbers is checked: ratios at this size mean nothing. The sections run at once
 * (each on its own stack): most of their time is waiting (cache windows, digests, cooling off).
 */
describe.concurrent('npm run bench, every section at a tiny size', () => {
  for (const name of SECTION_NAMES) {
    it(`${name}: completes and prints its rows`, { timeout: 240_000 }, async ({ expect }) => {
      const { rows, notes } = await runSection(name, 'tiny');
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(Number.isFinite(row.ratio), `${row.figure}: ratio ${row.ratio}`).toBe(true);
        for (const cell of [row.value, row.baseline]) {
          const numbers = numbersIn(cell);
          expect(numbers.length, `${row.figure}: ${cell}`).toBeGreaterThan(0);
          expect(numbers.every(Number.isFinite), `${row.figure}: ${cell}`).toBe(true);
        }
      }
      const table = formatTable(rows).split('\n');
      expect(table).toHaveLength(rows.length + 2);
      for (const row of rows) expect(table.some((line) => line.includes(row.figure))).toBe(true);
      for (const note of notes) expect(note).not.toMatch(/NaN|Infinity/);
    });
  }
});

describe('npm run bench -- <section>', () => {
  it('runs the sections named, or all of them when none is', () => {
    expect(sectionsFrom(['payouts'])).toEqual(['payouts']);
    expect(sectionsFrom([])).toEqual(SECTION_NAMES);
    expect(SECTION_NAMES).toEqual(['webhook', 'bundle', 'rpc', 'telegram', 'keys', 'payouts', 'assistant']);
  });

  it('refuses a section that does not exist with one line naming the valid ones, and exit code 1', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/index.ts', 'payout'], { cwd: ROOT });
    const failure = await run.then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toBe('');
    expect(failure?.stderr).toBe(
      'unknown bench section payout; valid sections: webhook, bundle, rpc, telegram, keys, payouts, assistant\n',
    );
  });
});
