/**
 * Function bundles kept between local stacks: every stack (each test file, each `npm run dev`)
 * runs the same seven bundles, and building them is most of a stack's start on this machine.
 *
 * A bundle is kept under `<cacheDir>/<entry>-<options hash>/<inputs hash>/`, where the inputs
 * hash covers the path and bytes of every file esbuild read for it (its metafile's inputs). A
 * later build of the same entry with the same options hashes those files again and, when nothing
 * changed, takes the kept bundle; any change to any input builds afresh. Entries are written
 * whole (a temporary folder renamed into place), so processes sharing the cache never see half a
 * bundle; the bundle stays where it was built, so its source map's relative paths hold.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { version as esbuildVersion } from 'esbuild';
import * as z from 'zod/mini';
import { BUNDLE_ALIASES, BUNDLE_OPTIONS } from '../../stacks/manifest.js';
import { type BuildFunctionOptions, buildFunction, bundlePath, ESM_BANNER } from './build.js';

/** What a cache entry's folder records: the files the newest bundle was built from, and their hash. */
const LatestSchema = z.object({ inputs: z.array(z.string()), hash: z.string() });
const LATEST = 'latest.json';
/** Kept bundles of one entry that are neither among the newest few nor younger than this are removed. */
const KEEP_NEWEST = 3;
const KEEP_YOUNGER_MS = 3_600_000;

export interface CachedBuild {
  /** Absolute path of the ESM bundle (inside the cache). */
  readonly outfile: string;
  /** True when an earlier build was taken as it was. */
  readonly cached: boolean;
}

/** Builds `entry` as `buildFunction` does, or takes the bundle an earlier build of the same inputs left in `cacheDir`. */
export async function buildFunctionCached(
  entry: string,
  opts: Omit<BuildFunctionOptions, 'outdir'> & { readonly cacheDir: string },
): Promise<CachedBuild> {
  const { cacheDir, ...options } = opts;
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        entry: resolve(entry),
        target: options.target ?? null,
        minify: options.minify ?? false,
        keepNames: options.keepNames ?? BUNDLE_OPTIONS.keepNames,
        sourcemap: options.sourcemap ?? false,
        alias: options.alias ?? BUNDLE_ALIASES,
        esbuild: esbuildVersion,
        banner: ESM_BANNER,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const home = join(cacheDir, `${basename(entry, extname(entry))}-${key}`);

  const latest = await readLatest(home);
  if (latest && (await inputsHash(latest.inputs)) === latest.hash) {
    const outfile = bundlePath(entry, join(home, latest.hash));
    if (await exists(outfile)) return { outfile, cached: true };
  }

  const startedAt = Date.now();
  const temp = join(home, `building-${process.pid}-${randomBytes(4).toString('hex')}`);
  const built = await buildFunction(entry, { ...options, outdir: temp });
  const inputs = Object.keys(built.metafile.inputs)
    .map((input) => resolve(input))
    .sort();
  const hash = await inputsHash(inputs);
  // A file that changed while esbuild read it: the bundle may mix versions, so it is used but not kept.
  if (hash === undefined || (await changedSince(inputs, startedAt))) return { outfile: built.outfile, cached: false };
  const final = join(home, hash);
  try {
    await rename(temp, final);
  } catch {
    // Another process kept the same inputs' bundle first: the same bytes.
    await rm(temp, { recursive: true, force: true });
  }
  const record = join(home, `${LATEST}.${randomBytes(4).toString('hex')}`);
  await writeFile(record, JSON.stringify({ inputs, hash }));
  await rename(record, join(home, LATEST));
  await prune(home, hash);
  return { outfile: bundlePath(entry, final), cached: false };
}

async function readLatest(home: string): Promise<z.infer<typeof LatestSchema> | undefined> {
  try {
    const parsed = LatestSchema.safeParse(JSON.parse(await readFile(join(home, LATEST), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The hash of every input's path and bytes; undefined when one cannot be read (never kept then). */
async function inputsHash(inputs: readonly string[]): Promise<string | undefined> {
  const hash = createHash('sha256');
  for (const input of inputs) {
    try {
      const bytes = await readFile(input);
      hash.update(input).update('\0').update(bytes).update('\0');
    } catch {
      return undefined;
    }
  }
  return hash.digest('hex').slice(0, 32);
}

async function changedSince(inputs: readonly string[], since: number): Promise<boolean> {
  for (const input of inputs) {
    if ((await stat(input)).mtimeMs >= since) return true;
  }
  return false;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Removes old bundles of one entry (and folders of builds that died), keeping the newest few, the young ones and `current`. */
async function prune(home: string, current: string): Promise<void> {
  const entries = await readdir(home, { withFileTypes: true });
  const kept = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory() && entry.name !== current)
      .map(async (entry) => ({ path: join(home, entry.name), mtimeMs: (await stat(join(home, entry.name))).mtimeMs })),
  );
  kept.sort((a, b) => b.mtimeMs - a.mtimeMs);
  const now = Date.now();
  for (const old of kept.slice(KEEP_NEWEST - 1)) {
    if (now - old.mtimeMs > KEEP_YOUNGER_MS) await rm(old.path, { recursive: true, force: true });
  }
}
