import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runBench, runSection, SECTION_NAMES, type SectionName, sectionsFrom } from '../../bench/sections.js';
import { formatTable } from '../../bench/stats.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The numbers written in a cell ("1,234 calls", "0.25 ms (baseline)"), as numbers. */
const numbersIn = (cell: string): number[] =>
  [...cell.matchAll(/-?(?:\d[\d,]*(?:\.\d+)?|NaN|Infinity)/g)].map((m) => Number(m[0].replaceAll(',', '')));

/** Sections running at once: two, as most of their time is waiting (cache windows, digests, cooling off). */
const AT_ONCE = 2;
let running = 0;
const queued: Array<() => void> = [];

/** Runs `task` once fewer than `AT_ONCE` others are running. */
async function inTurn<T>(task: () => Promise<T>): Promise<T> {
  if (running >= AT_ONCE) await new Promise<void>((resolve) => queued.push(resolve));
  running++;
  try {
    return await task();
  } finally {
    running--;
    queued.shift()?.();
  }
}

/** The slowest sections first (the rest after them, in the table's order), so that the pairs finish close together. */
const SLOWEST: readonly SectionName[] = ['payouts', 'rpc', 'telegram', 'assistant'];
const rank = (name: SectionName) => (SLOWEST.includes(name) ? SLOWEST.indexOf(name) : SLOWEST.length);
const SLOWEST_FIRST = [...SECTION_NAMES].sort((a, b) => rank(a) - rank(b));

/**
 * Every section of `npm run bench`, at a tiny size (a broadcast to 20 users, 3 payouts, 5 assistant
 * users...), so a change that breaks a scenario fails here. Only that each completes and gives
 * rows with finite numbers is checked: ratios at this size mean nothing. Each section runs on its
 * own stack, `AT_ONCE` of them at a time.
 */
describe.concurrent('npm run bench, every section at a tiny size', () => {
  for (const name of SLOWEST_FIRST) {
    it(`${name}: completes and prints its rows`, { timeout: 300_000 }, async ({ expect }) => {
      const { rows, notes } = await inTurn(() => runSection(name, 'tiny'));
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
      // The bundle section names the five modules that weigh most in the webhook bundle.
      if (name === 'bundle') expect(notes.filter((note) => / KB {2}\S/.test(note))).toHaveLength(5);
    });
  }
});

describe('npm run bench -- <section>', () => {
  it('runs the sections named, or all of them when none is', () => {
    expect(sectionsFrom(['payouts'])).toEqual(['payouts']);
    expect(sectionsFrom([])).toEqual(SECTION_NAMES);
    expect(SECTION_NAMES).toEqual(['webhook', 'bundle', 'rpc', 'telegram', 'keys', 'payouts', 'assistant', 'tenants']);
  });

  it('reports a section that fails under the table, and still runs the others', async () => {
    const row = { figure: 'keys figure', value: '1.00 ms', baseline: '2.00 ms', ratio: 0.5, goal: 'info' };
    const { output, failures } = await runBench(['webhook', 'keys'], async (name) => {
      if (name === 'webhook') throw new Error('webhook answered 500');
      return { rows: [row], notes: ['keys note'] };
    });
    expect(output.split('\n')).toEqual([
      expect.stringMatching(/^\| figure/),
      expect.stringMatching(/^\|-/),
      expect.stringMatching(/^\| keys figure +\| 1\.00 ms \| 2\.00 ms +\| 0\.500× \| info/),
      '',
      'keys note',
    ]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^section webhook failed: Error: webhook answered 500/);
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
      'unknown bench section payout; valid sections: webhook, bundle, rpc, telegram, keys, payouts, assistant, tenants\n',
    );
  });
});
