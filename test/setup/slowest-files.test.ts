import { describe, expect, it } from 'vitest';
import type { TestModule, Vitest } from 'vitest/node';
import { SlowestFilesReporter, slowestFiles, slowestLines } from './slowest-files.js';

/** A finished test module as the reporter sees it: its path and its diagnostic times (ms). */
function module(moduleId: string, ms: { collect?: number; setup?: number; tests: number }): TestModule {
  return {
    moduleId,
    diagnostic: () => ({
      environmentSetupDuration: 0,
      prepareDuration: 0,
      setupDuration: ms.setup ?? 0,
      collectDuration: ms.collect ?? 0,
      duration: ms.tests,
      heap: undefined,
      importDurations: {},
    }),
  } as unknown as TestModule;
}

describe('the slowest test files', () => {
  it('lists the slowest first, at most `count`, seconds aligned', () => {
    const lines = slowestLines(
      [
        { file: 'test/a.test.ts', seconds: 1.04 },
        { file: 'test/b.test.ts', seconds: 300 },
        { file: 'test/c.test.ts', seconds: 12.5 },
      ],
      2,
    );
    expect(lines).toEqual(['Slowest 2 test files:', '  300.0 s  test/b.test.ts', '   12.5 s  test/c.test.ts']);
  });

  it('prints nothing for a run without files', () => {
    expect(slowestLines([], 10)).toEqual([]);
  });

  it('counts import, setup, tests and hooks of each file, paths relative to the root', () => {
    const out: string[] = [];
    const reporter = new SlowestFilesReporter(10, (text) => out.push(text));
    reporter.onInit({ config: { root: '/repo' } } as unknown as Vitest);
    reporter.onTestRunEnd([
      module('/repo/test/fast.test.ts', { tests: 200 }),
      module('/repo/test/slow.test.ts', { collect: 1_500, setup: 500, tests: 8_000 }),
    ]);
    expect(out.join('')).toBe('\nSlowest 2 test files:\n  10.0 s  test/slow.test.ts\n   0.2 s  test/fast.test.ts\n');
  });

  it('joins whatever reporters the run was given, command-line ones included', () => {
    const reporters: unknown[] = ['default', ['json', { outputFile: 'results.json' }]];
    const plugin = slowestFiles(10);
    plugin.configureVitest({ vitest: { config: { reporters } } } as unknown as Parameters<
      typeof plugin.configureVitest
    >[0]);
    expect(reporters.slice(0, 2)).toEqual(['default', ['json', { outputFile: 'results.json' }]]);
    expect(reporters[2]).toBeInstanceOf(SlowestFilesReporter);
  });
});
