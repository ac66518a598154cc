import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/setup/longest-first.js';
import { slowestFiles } from './test/setup/slowest-files.js';

/** What every test file gets, in either project. */
const EACH_FILE = {
  // Every line any worker or function prints is captured, and grepped for secrets at the end.
  setupFiles: ['./test/setup/log-capture.ts'],
  testTimeout: 30_000,
  hookTimeout: 60_000,
};

/**
 * Test files that start nothing beyond a local DynamoDB or queue of their own and leave nothing
 * behind: they run one after another in one thread that keeps its modules (no isolation), which
 * saves most of their collect time.
 */
const SHARED_MODULES = ['test/core/**/*.test.ts', 'test/cost/**/*.test.ts', 'test/architecture/**/*.test.ts'];

export default defineConfig({
  test: {
    // Once for the run (not per project): the grep of everything captured runs at its end.
    globalSetup: ['./test/setup/log-grep.global.ts'],
    poolOptions: {
      // Two cores: the other files start whole local stacks, each in a process of its own.
      forks: { maxForks: 2, minForks: 1 },
      threads: { maxThreads: 1, minThreads: 1, isolate: false },
    },
    // The longest files first, so that none starts last and runs alone.
    sequence: { sequencer: LongestFirst },
    projects: [
      { test: { ...EACH_FILE, name: 'shared', include: SHARED_MODULES, pool: 'threads' } },
      {
        // The ten slowest test files of the whole run, printed at its end (whatever the reporters);
        // a project's plugin, as vitest asks only those to configure it.
        plugins: [slowestFiles(10)],
        test: {
          ...EACH_FILE,
          name: 'isolated',
          include: ['test/**/*.test.ts'],
          exclude: SHARED_MODULES,
          pool: 'forks',
        },
      },
    ],
  },
});
