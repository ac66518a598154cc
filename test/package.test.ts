import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  allowScripts: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { hasInstallScript?: boolean }>;
};

/** The name of a lockfile entry (`node_modules/sst/node_modules/esbuild` → `esbuild`). */
const nameOf = (entry: string) => entry.slice(entry.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe('install scripts (allowScripts, npm ≥ 11.16)', () => {
  const withScripts = [
    ...new Set(
      Object.entries(lock.packages)
        .filter(([, entry]) => entry.hasInstallScript)
        .map(([path]) => nameOf(path)),
    ),
  ];

  it('every dependency with an install script is approved or denied, so `npm ci` has nothing to warn about', () => {
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => !(name in pkg.allowScripts))).toEqual([]);
  });

  it("runs only esbuild's (its binary check) and bigint-buffer's (its native binding)", () => {
    const approved = Object.entries(pkg.allowScripts).filter(([, allowed]) => allowed);
    expect(approved.map(([name]) => name).sort()).toEqual(['bigint-buffer', 'esbuild']);
  });

  it('names no package that has no install script any more', () => {
    expect(Object.keys(pkg.allowScripts).filter((name) => !withScripts.includes(name))).toEqual([]);
  });
});
