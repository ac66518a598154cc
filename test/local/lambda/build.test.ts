import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltFunction, buildFunction, ESM_BANNER } from '../../../local/lambda/build.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/functions/${name}`, import.meta.url));

let outdir: string;
let built: BuiltFunction;
beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'build-test-'));
  built = await buildFunction(fixture('cjs-dependency.ts'), { outdir });
});
afterAll(() => rm(outdir, { recursive: true, force: true }));

describe('buildFunction', () => {
  it('writes one .mjs bundle named after the entry and reports its size on disk', async () => {
    expect(built.outfile).toBe(join(outdir, 'cjs-dependency.mjs'));
    expect(built.bytes).toBe((await stat(built.outfile)).size);
  });

  it('bundles every dependency, so the metafile lists node_modules inputs and the bundle imports none', async () => {
    const inputs = Object.keys(built.metafile.inputs);
    expect(inputs.some((input) => input.includes('node_modules/telegraf/'))).toBe(true);
    // Static imports left in the bundle: only Node builtins (an optional `require` in a try block may stay external).
    const staticImports = Object.values(built.metafile.outputs)
      .flatMap((output) => output.imports)
      .filter((i) => i.kind === 'import-statement');
    expect(staticImports.length).toBeGreaterThan(0);
    expect(staticImports.filter((i) => !isBuiltin(i.path))).toEqual([]);
  });

  it('starts with the createRequire banner so CommonJS dependencies can require Node builtins', async () => {
    const code = await readFile(built.outfile, 'utf8');
    expect(code.startsWith(ESM_BANNER)).toBe(true);
    const module = (await import(pathToFileURL(built.outfile).href)) as { handler: () => Promise<unknown> };
    await expect(module.handler()).resolves.toEqual({ telegraf: 'function', dirname: 'string' });
  });

  it('takes the project’s module aliases as SST does (BUNDLE_ALIASES), and none when given `{}`', async () => {
    const fromNodeModules = (b: BuiltFunction, name: string) =>
      Object.keys(b.metafile.inputs).some((input) => input.includes(`node_modules/${name}/`));
    expect(fromNodeModules(built, 'node-fetch')).toBe(true);
    expect(fromNodeModules(built, 'whatwg-url')).toBe(false);
    expect(Object.keys(built.metafile.inputs)).toContain('functions/lib/whatwg-url.ts');
    const bare = await buildFunction(fixture('cjs-dependency.ts'), { outdir: join(outdir, 'bare'), alias: {} });
    expect(fromNodeModules(bare, 'whatwg-url')).toBe(true);
    expect(bare.bytes).toBeGreaterThan(built.bytes);
  });

  it('makes a smaller bundle when minify is on, for the node22 target as well', async () => {
    const minified = await buildFunction(fixture('cjs-dependency.ts'), {
      outdir: join(outdir, 'min'),
      minify: true,
      target: 'node22',
    });
    expect(minified.bytes).toBeLessThan(built.bytes);
  });
});
