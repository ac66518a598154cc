import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/setup/longest-first.js';
import { slowestFiles } from './test/setup/slowest-files.js';

export default defineConfig({
  // The ten slowest test files, printed at the end of every run (whatever the reporters).
  plugins: [slowestFiles(10)],
  test: {
    include: ['test/**/*.test.ts'],
    // Every line any worker or function prints is captured, and grepped for secrets at the end.
    setupFiles: ['./test/setup/log-capture.ts'],
    // Keep first: global teardowns run in reverse order, so the grep runs last.
    globalSetup: ['./test/setup/log-grep.global.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: integration files start whole local stacks, so keep parallelism modest.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // The longest files first, so that none starts last and runs alone.
    sequence: { sequencer: LongestFirst },
  },
});
