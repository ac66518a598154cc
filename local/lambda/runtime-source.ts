/**
 * The source of the in-Worker Lambda runtime (`worker-entry.ts`), compiled once per process.
 *
 * Workers evaluate this source (`eval: true`, so stack frames read `[worker eval]`), so the runner
 * needs no TypeScript loader inside Workers and writes no bootstrap file anywhere.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

let source: Promise<string> | undefined;

/** CommonJS source of the Worker runtime (cached; the first call takes a few milliseconds). */
export function runtimeSource(): Promise<string> {
  source ??= compile().catch((error: unknown) => {
    source = undefined;
    throw error;
  });
  return source;
}

async function compile(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./worker-entry.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no output for the Lambda worker runtime');
  return output.text;
}
