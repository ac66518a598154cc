import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctionCached } from '../../../local/lambda/build-cache.js';

let dir: string;
let cacheDir: string;
let entry: string;
let greeting: string;

/** Writes a source file, dated in the past (as a checkout is before a build). */
async function source(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  const past = new Date(Date.now() - 60_000);
  await utimes(path, past, past);
}

/** What the built handler answers. */
async function run(outfile: string): Promise<unknown> {
  const module = (await import(`${pathToFileURL(outfile).href}?v=${Math.random()}`)) as { handler: () => unknown };
  return module.handler();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'build-cache-test-'));
  cacheDir = join(dir, 'cache');
  entry = join(dir, 'src', 'fn.ts');
  greeting = join(dir, 'src', 'greeting.ts');
  await source(greeting, "export const greeting = 'hello';\n");
  await source(entry, "import { greeting } from './greeting.js';\nexport const handler = () => greeting;\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('buildFunctionCached', () => {
  it('builds once, then takes the kept bundle while no input changed', async () => {
    const first = await buildFunctionCached(entry, { cacheDir, sourcemap: 'linked' });
    expect(first.cached).toBe(false);
    expect(await run(first.outfile)).toBe('hello');
    const second = await buildFunctionCached(entry, { cacheDir, sourcemap: 'linked' });
    expect(second).toEqual({ outfile: first.outfile, cached: true });
    // The source map sits beside the bundle it maps.
    expect(await readFile(`${first.outfile}.map`, 'utf8')).toContain('greeting.ts');
  });

  it('builds afresh when a file the bundle was built from changed, even one it only imports', async () => {
    const before = await buildFunctionCached(entry, { cacheDir, sourcemap: 'linked' });
    await source(greeting, "export const greeting = 'bonjour';\n");
    const after = await buildFunctionCached(entry, { cacheDir, sourcemap: 'linked' });
    expect(after.cached).toBe(false);
    expect(after.outfile).not.toBe(before.outfile);
    expect(await run(after.outfile)).toBe('bonjour');
    expect((await buildFunctionCached(entry, { cacheDir, sourcemap: 'linked' })).cached).toBe(true);
  });

  it('keeps a separate bundle for other build options', async () => {
    const linked = await buildFunctionCached(entry, { cacheDir, sourcemap: 'linked' });
    const minified = await buildFunctionCached(entry, { cacheDir, minify: true });
    expect(minified.outfile).not.toBe(linked.outfile);
    expect(await run(minified.outfile)).toBe(await run(linked.outfile));
  });

  it('builds again when its record is damaged, and does not keep a bundle whose input changed during the build', async () => {
    for (const home of await readdir(cacheDir)) await writeFile(join(cacheDir, home, 'latest.json'), '{"inputs": 3');
    expect((await buildFunctionCached(entry, { cacheDir, sourcemap: 'linked' })).cached).toBe(false);
    expect((await buildFunctionCached(entry, { cacheDir, sourcemap: 'linked' })).cached).toBe(true);

    // Dated after the build began: as if edited while esbuild read it.
    await writeFile(greeting, "export const greeting = 'ciao';\n");
    const later = new Date(Date.now() + 60_000);
    await utimes(greeting, later, later);
    const during = await buildFunctionCached(entry, { cacheDir, sourcemap: 'linked' });
    expect(await run(during.outfile)).toBe('ciao');
    expect((await buildFunctionCached(entry, { cacheDir, sourcemap: 'linked' })).cached).toBe(false);
  });
});
