import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every `.ts` file under `dir` (relative to the project root). */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** The project files `file` imports (relative specifiers only), relative to the project root. */
function imports(file: string, { types = true } = {}): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)( type)?[^'"]*?from\s*'(\.[^']+)'/g)]
    .filter((m) => types || !m[1])
    .map((m) => m[2]!);
  return specifiers.map((s) => normalize(join(dirname(file), s)));
}

describe('layers', () => {
  it('core never imports the deployment (stacks/), the Lambda entries (functions/) or the local runtime (local/)', () => {
    const upward = sources('core').flatMap((file) =>
      imports(file)
        .filter((target) => /^(stacks|functions|local|bench|scripts)\//.test(target))
        .map((target) => `${file} → ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('core has two layers and nothing else: the platform and the desk', () => {
    expect(readdirSync(join(ROOT, 'core')).sort()).toEqual(['desk', 'platform']);
  });

  it('the platform imports nothing of the desk', () => {
    const crossings = sources('core/platform').flatMap((file) =>
      imports(file)
        .filter((target) => target.startsWith('core/desk/'))
        .map((target) => `${file} → ${target}`),
    );
    expect(crossings).toEqual([]);
  });

  it('the example bot builds on the platform alone', () => {
    const crossings = sources('examples').flatMap((file) =>
      imports(file)
        .filter((target) => target.startsWith('core/desk/'))
        .map((target) => `${file} → ${target}`),
    );
    expect(crossings).toEqual([]);
  });

  it('no import cycle between core files (type-only imports vanish at run time)', () => {
    const edges = new Map(
      sources('core').map((file) => [file, imports(file, { types: false }).map((t) => t.replace(/\.js$/, '.ts'))]),
    );
    const cycles: string[] = [];
    const done = new Set<string>();
    const visit = (file: string, path: string[]) => {
      for (const next of edges.get(file) ?? []) {
        const at = path.indexOf(next);
        if (at >= 0) cycles.push([...path.slice(at), next].join(' → '));
        else if (!done.has(next)) visit(next, [...path, next]);
      }
      done.add(file);
    };
    for (const file of edges.keys()) if (!done.has(file)) visit(file, [file]);
    expect(cycles).toEqual([]);
  });

  it("every feature folder is used through its index.ts alone (the desk's catalogs are gathered by core/desk/i18n.ts)", () => {
    const features = ['core/platform', 'core/desk'].flatMap((layer) =>
      readdirSync(join(ROOT, layer), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => `${layer}/${entry.name}`),
    );
    for (const feature of features) expect(sources(feature), feature).toContain(`${feature}/index.ts`);
    const users = ['core', 'functions', 'examples', 'bench', 'scripts', 'cost', 'stacks'].flatMap(sources);
    const reachingIn = users.flatMap((file) =>
      imports(file)
        .filter((target) => features.includes(dirname(target)) && dirname(target) !== dirname(file))
        .filter((target) => !target.endsWith('/index.js'))
        .filter((target) => !(file === 'core/desk/i18n.ts' && target.endsWith('catalog.js')))
        .map((target) => `${file} → ${target}`),
    );
    expect(reachingIn).toEqual([]);
  });

  it('the deployment manifest is plain data: no CDK, SST or SDK import', () => {
    for (const file of ['stacks/manifest.ts', 'stacks/table-grants.ts']) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text, file).not.toMatch(/from '(aws-cdk-lib|sst|constructs|@aws-sdk)/);
    }
  });

  it('sees an upward import when there is one (the check can fail)', () => {
    expect(imports('functions/lib/config.ts')).toContain('stacks/manifest.js');
  });
});
