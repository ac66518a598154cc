/**
 * The source of the in-Worker Lambda runtime (`worker-entry.ts`), compiled once per process.
 *
 * Workers evaluate this source (`eval: true`, so stack frames read `[worker eval]`), so the runner
 * needs no TypeScript loader inside Workers and writes no bootstrap file anywhere.
 */
import { scriptSource } from './build.js';

/** CommonJS source of the Worker runtime (cached; the first call takes a few milliseconds). */
export function runtimeSource(): Promise<string> {
  return scriptSource(new URL('./worker-entry.ts', import.meta.url));
}
