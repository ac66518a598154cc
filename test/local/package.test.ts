/**
 * `local/` as a package: code outside it (bench/, cost/, scripts/, stacks/, examples/, core/,
 * functions/) reaches it only through its entry, `local/index.ts`; tests may import its internals.
 * And its tests mirror it: `test/local/<path>.test.ts` tests `local/<path>.ts`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** The package's entries: the API (`index.ts`) and `npm run dev` (`dev.ts`, run by package.json, imported by nobody). */
const ENTRIES = ['local/index.ts', 'local/dev.ts'];
/** Outside code allowed to import a `local/` file other than the entry, and why. None today. */
const ALLOWED_INTERNAL_IMPORTS: ReadonlyArray<string> = [];
/** Files of `test/local/` that are helpers, not tests of a `local/` file. */
const TEST_HELPERS = ['test/local/png.ts', 'test/local/stack/reachable.ts', 'test/local/package.test.ts'];
/**
 * `local/` files with a test at the mirrored path. It may grow; it must not fall. (Before the tests
 * were moved into folders mirroring `local/`, the flat `test/local/*.test.ts` mirrored none.)
 */
const MIRRORED_AT_LEAST = 37;

/** Every file under `dir` ending in `suffix`, relative to the project root. */
function files(dir: string, suffix = '.ts'): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** The project files `file` imports (static, re-exported and dynamic relative specifiers). */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [
    ...[...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*'(\.[^']+)'/g)].map((m) => m[1]!),
    ...[...text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)].map((m) => m[1]!),
  ];
  return specifiers.map((s) => normalize(join(dirname(file), s)).replace(/\.js$/, '.ts'));
}

/** Every `.ts` file outside `local/`, `test/` and `node_modules/`. */
function outsideFiles(): string[] {
  const top = readdirSync(ROOT, { withFileTypes: true });
  return [
    ...top.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => e.name),
    ...top
      .filter((e) => e.isDirectory() && !['local', 'test', 'node_modules'].includes(e.name) && !e.name.startsWith('.'))
      .flatMap((e) => files(e.name)),
  ];
}

function mirrored(): { covered: string[]; missing: string[] } {
  const sources = files('local').filter((file) => !file.endsWith('.d.ts'));
  const tests = new Set(files('test/local'));
  const covered = sources.filter((file) => tests.has(`test/${file.replace(/\.ts$/, '.test.ts')}`));
  return { covered, missing: sources.filter((file) => !covered.includes(file)) };
}

describe('the local/ package', () => {
  it('is reached from outside only through its entry', () => {
    const internal = outsideFiles().flatMap((file) =>
      imports(file)
        .filter((target) => target.startsWith('local/') && !ENTRIES.includes(target))
        .map((target) => `${file} → ${target}`)
        .filter((edge) => !ALLOWED_INTERNAL_IMPORTS.includes(edge)),
    );
    expect(internal).toEqual([]);
  });

  it('sees an internal import when there is one (the check can fail)', () => {
    expect(imports('local/index.ts')).toContain('local/stack/services.ts');
    expect(imports('bench/keys.ts')).toContain('local/index.ts');
  });

  it('runs `npm run dev` from its dev entry', () => {
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.dev).toBe('tsx local/dev.ts');
  });

  it('has its tests at paths mirroring the files they test', () => {
    const sources = new Set(files('local'));
    const orphans = files('test/local')
      .filter((file) => !TEST_HELPERS.includes(file))
      .filter((file) => !sources.has(file.replace(/^test\//, '').replace(/\.test\.ts$/, '.ts')));
    expect(orphans).toEqual([]);
  });

  it(`keeps at least ${MIRRORED_AT_LEAST} local/ files covered by a mirrored test`, () => {
    const { covered, missing } = mirrored();
    console.info(
      `local/: ${covered.length} of ${covered.length + missing.length} .ts files have a mirrored test; without one: ${missing.join(', ')}`,
    );
    expect(covered.length).toBeGreaterThanOrEqual(MIRRORED_AT_LEAST);
  });
});
