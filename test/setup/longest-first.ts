/**
 * The order test files start in (a vitest sequencer): the longest first, so that no long file
 * starts last and runs alone while the other worker idles.
 *
 * Vitest's own order is the longest first by the times of the last run, which it caches in
 * node_modules; without them (a fresh clone, CI after `npm ci`) it runs the largest files first,
 * and the fault scenarios, small files that run for a minute, would come last. So until every
 * file has a time, the folders whose files start whole local stacks go first.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Folders whose files each start a whole local stack (a minute or so), longest kinds first. */
export const SLOW_FOLDERS = ['test/faults/', 'test/integration/', 'test/adversarial/'] as const;

/** The rank of `file` (relative to the root, `/` separators): its slow folder's index, or after them all. */
export function slowRank(file: string): number {
  const index = SLOW_FOLDERS.findIndex((folder) => file.startsWith(folder));
  return index === -1 ? SLOW_FOLDERS.length : index;
}

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const { cache, config } = this.ctx;
    const file = (spec: TestSpecification) => relative(config.root, spec.moduleId);
    // Keyed as vitest keys its cache.
    const timed = sorted.every((spec) => cache.getFileTestResults(`${spec.project.name}:${file(spec)}`) !== undefined);
    if (timed) return sorted;
    // A stable sort: within a rank, vitest's order.
    return sorted
      .map((spec, index) => ({ spec, index, rank: slowRank(file(spec).split('\\').join('/')) }))
      .sort((a, b) => a.rank - b.rank || a.index - b.index)
      .map(({ spec }) => spec);
  }
}
