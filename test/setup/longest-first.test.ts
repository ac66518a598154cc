import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import { LongestFirst, slowRank } from './longest-first.js';

const ROOT = '/repo';

/** Test files with their sizes (bytes) and, when given, their last run's times (ms). */
function sequencer(files: Record<string, { size: number; ms?: number }>) {
  const key = (file: string) => `:${file}`;
  const byKey = new Map(Object.entries(files).map(([file, f]) => [key(file), f]));
  const ctx = {
    config: { root: ROOT },
    cache: {
      getFileTestResults: (k: string) => {
        const ms = byKey.get(k)?.ms;
        return ms === undefined ? undefined : { duration: ms, failed: false };
      },
      getFileStats: (k: string) => ({ size: byKey.get(k)?.size ?? 0 }),
    },
  } as unknown as Vitest;
  const specs = Object.keys(files).map(
    (file) => ({ moduleId: `${ROOT}/${file}`, project: { name: '' } }) as unknown as TestSpecification,
  );
  return { order: async () => (await new LongestFirst(ctx).sort(specs)).map((s) => s.moduleId.slice(ROOT.length + 1)) };
}

describe('the order test files start in', () => {
  it('ranks the folders that start whole stacks first, the fault scenarios before all', () => {
    expect(slowRank('test/faults/rpc-outage.test.ts')).toBe(0);
    expect(slowRank('test/integration/payouts.test.ts')).toBe(1);
    expect(slowRank('test/adversarial/deposits.test.ts')).toBe(2);
    expect(slowRank('test/core/platform/rpc/pool.test.ts')).toBe(3);
  });

  it('without last times, starts the stack folders first, the largest first within each', async () => {
    const { order } = sequencer({
      'test/core/big.test.ts': { size: 50_000 },
      'test/integration/b.test.ts': { size: 3_000 },
      'test/faults/a.test.ts': { size: 2_000 },
      'test/integration/c.test.ts': { size: 9_000 },
    });
    expect(await order()).toEqual([
      'test/faults/a.test.ts',
      'test/integration/c.test.ts',
      'test/integration/b.test.ts',
      'test/core/big.test.ts',
    ]);
  });

  it("with every file's last time, starts the longest first, wherever it is", async () => {
    const { order } = sequencer({
      'test/faults/a.test.ts': { size: 2_000, ms: 10_000 },
      'test/core/slow.test.ts': { size: 1_000, ms: 60_000 },
      'test/integration/b.test.ts': { size: 3_000, ms: 30_000 },
    });
    expect(await order()).toEqual(['test/core/slow.test.ts', 'test/integration/b.test.ts', 'test/faults/a.test.ts']);
  });
});
