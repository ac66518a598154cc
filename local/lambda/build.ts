/**
 * Bundles a Lambda handler the way SST v2 bundles `nodejs` functions in ESM mode, so what the
 * local runner executes (and what the benchmark weighs) is what would be uploaded.
 */
import { stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_ALIASES, BUNDLE_OPTIONS } from '../../stacks/manifest.js';

/** Options of one function build. */
export interface BuildFunctionOptions {
  /** Directory the bundle is written to (as `<entry name>.mjs`). */
  readonly outdir: string;
  /** esbuild target; `node20` by default (the Lambda runtime the stack declares). */
  readonly target?: string;
  readonly minify?: boolean;
  /** `linked` writes `<bundle>.mjs.map` next to the bundle; off by default. */
  readonly sourcemap?: boolean | 'linked' | 'inline' | 'external';
  /**
   * Modules taken from elsewhere (esbuild's `alias`), paths relative to the project root: the
   * project's `BUNDLE_ALIASES` by default, as SST applies them to every function; `{}` bundles as
   * SST does with no options (the benchmark's bare baseline).
   */
  readonly alias?: Readonly<Record<string, string>>;
  /** esbuild's `keepNames`: the project's `BUNDLE_OPTIONS` (off) by default; `true` is SST's default. */
  readonly keepNames?: boolean;
}

/** A built function bundle. */
export interface BuiltFunction {
  /** Absolute path of the ESM bundle; its `handler` export is the Lambda handler. */
  readonly outfile: string;
  /** Size of the bundle on disk (the figure cold start grows with). */
  readonly bytes: number;
  /** esbuild's metafile: which inputs ended up in the bundle and how big they are. */
  readonly metafile: Metafile;
}

/**
 * The banner SST v2 puts on ESM bundles: CommonJS dependencies bundled into an ES module still
 * call `require` (for Node builtins) and read `__dirname`, which ES modules lack.
 */
export const ESM_BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  'const require = topLevelCreateRequire(import.meta.url);',
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  'const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))',
].join('\n');

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Packages SST always leaves out of bundles (native addons). */
const FORCE_EXTERNAL = ['sharp', 'pg-native'];

/**
 * Bundles `entry` and everything it imports (the AWS SDK included, as on the Node 18+ runtimes
 * in ESM mode) into one ES module for `platform: node`.
 */
export async function buildFunction(entry: string, opts: BuildFunctionOptions): Promise<BuiltFunction> {
  const outfile = bundlePath(entry, opts.outdir);
  const alias = Object.entries(opts.alias ?? BUNDLE_ALIASES).map(([name, path]) => [name, resolve(ROOT, path)]);
  const result = await build({
    entryPoints: [resolve(entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: opts.target ?? 'node20',
    mainFields: ['module', 'main'],
    external: FORCE_EXTERNAL,
    keepNames: opts.keepNames ?? BUNDLE_OPTIONS.keepNames,
    alias: Object.fromEntries(alias),
    banner: { js: ESM_BANNER },
    minify: opts.minify ?? false,
    sourcemap: opts.sourcemap ?? false,
    metafile: true,
    logLevel: 'silent',
  });
  const { size } = await stat(outfile);
  return { outfile, bytes: size, metafile: result.metafile };
}

/** Where `buildFunction` writes the bundle of `entry`: `<outdir>/<entry name>.mjs` (dots become dashes, as in SST). */
export const bundlePath = (entry: string, outdir: string): string =>
  join(resolve(outdir), `${basename(entry, extname(entry)).replaceAll('.', '-')}.mjs`);

const scripts = new Map<string, Promise<string>>();

/**
 * A helper script of the local runtime (the Worker runtime, the litesvm host) bundled to
 * CommonJS source in memory, once per process: children evaluate it without a TypeScript loader
 * and nothing is written to disk. A failed build is not cached.
 */
export function scriptSource(entry: URL): Promise<string> {
  const path = fileURLToPath(entry);
  let source = scripts.get(path);
  if (!source) {
    source = build({
      entryPoints: [path],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    }).then(
      (result) => {
        const output = result.outputFiles[0];
        if (!output) throw new Error(`esbuild produced no output for ${path}`);
        return output.text;
      },
      (error: unknown) => {
        scripts.delete(path);
        throw error;
      },
    );
    scripts.set(path, source);
  }
  return source;
}
