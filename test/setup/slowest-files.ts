/**
 * The slowest test files of a run, printed at its end (a vitest reporter).
 *
 * It is added by a plugin (`slowestFiles` in vitest.config.ts) rather than listed in `reporters`,
 * because reporters given on the command line replace the configured ones: CI's
 * `--reporter=default --reporter=json` keeps its JSON file and still gets this table.
 */
import { relative } from 'node:path';
import type { Reporter, TestModule, Vitest, VitestPluginContext } from 'vitest/node';

/** One test file's time: from its worker starting it to its last hook. */
export interface FileTime {
  readonly file: string;
  readonly seconds: number;
}

/** The `count` slowest of `times`, slowest first, as printable lines (a title, then one per file). */
export function slowestLines(times: readonly FileTime[], count: number): string[] {
  const slowest = [...times].sort((a, b) => b.seconds - a.seconds || a.file.localeCompare(b.file)).slice(0, count);
  if (slowest.length === 0) return [];
  const width = Math.max(...slowest.map((t) => t.seconds.toFixed(1).length));
  return [
    `Slowest ${slowest.length} test file${slowest.length === 1 ? '' : 's'}:`,
    ...slowest.map((t) => `  ${t.seconds.toFixed(1).padStart(width)} s  ${t.file}`),
  ];
}

/** Everything the worker spent on a file: environment, setup files, import, tests and hooks. */
export function fileSeconds(module: TestModule): number {
  const d = module.diagnostic();
  return (d.environmentSetupDuration + d.prepareDuration + d.setupDuration + d.collectDuration + d.duration) / 1000;
}

export class SlowestFilesReporter implements Reporter {
  private root = process.cwd();

  constructor(
    private readonly count: number,
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
  ) {}

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
  }

  onTestRunEnd(modules: readonly TestModule[]): void {
    const lines = slowestLines(
      modules.map((m) => ({ file: relative(this.root, m.moduleId), seconds: fileSeconds(m) })),
      this.count,
    );
    if (lines.length > 0) this.write(`\n${lines.join('\n')}\n`);
  }
}

/** A vitest plugin that adds `SlowestFilesReporter` to whatever reporters the run has. */
export function slowestFiles(count: number) {
  return {
    name: 'slowest-files',
    configureVitest({ vitest }: VitestPluginContext) {
      vitest.config.reporters.push(new SlowestFilesReporter(count));
    },
  };
}
