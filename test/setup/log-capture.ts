/**
 * Log capture for the log grep (a vitest `setupFiles` entry; see `log-grep.global.ts`).
 *
 * In every test worker process, each chunk written to `process.stdout` or `process.stderr` is
 * also appended, synchronously, to `<LOG_CAPTURE_DIR>/<pid>.log`; the chunk itself passes
 * through unchanged. Worker threads whose output their creator reads itself (the local Lambda
 * runner with an `onLog`, which tests often set to drop the lines) never write to this process's
 * stdout, so their output is tapped where it arrives. Capture is best effort: it never throws
 * into a test, and stops quietly if the file cannot be written.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { WorkerOptions } from 'node:worker_threads';
import { LOG_CAPTURE_DIR } from './secrets.js';

type Write = typeof process.stdout.write;

/** Bytes of a chunk as `write` or `push` received it. */
function bytesOf(chunk: unknown, encoding: unknown): Uint8Array | undefined {
  if (typeof chunk === 'string') {
    return Buffer.from(chunk, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
  }
  return chunk instanceof Uint8Array ? chunk : undefined;
}

/** An append-only file that turns itself off at its first failure. */
class Sink {
  #fd: number | undefined;

  constructor(file: string) {
    try {
      this.#fd = openSync(file, 'a');
    } catch {
      this.#fd = undefined;
    }
  }

  append(chunk: unknown, encoding?: unknown): void {
    if (this.#fd === undefined) return;
    try {
      const bytes = bytesOf(chunk, encoding);
      if (bytes && bytes.length > 0) writeSync(this.#fd, bytes);
    } catch {
      this.close();
    }
  }

  close(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
  }
}

function wrapWrite(stream: NodeJS.WriteStream, sink: Sink): () => void {
  const original = stream.write;
  let active = true;
  const write = function (this: NodeJS.WriteStream, ...args: Parameters<Write>) {
    if (active) sink.append(args[0], typeof args[1] === 'string' ? args[1] : undefined);
    return Reflect.apply(original, this, args) as boolean;
  } as Write;
  stream.write = write;
  return () => {
    active = false;
    // Someone may have wrapped us in turn (vitest's terminal renderer); then stay in place, inert.
    if (stream.write === write) stream.write = original;
  };
}

/** Copies everything pushed into `readable` (a Worker's stdout or stderr, parent side) to `sink`. */
function tapReadable(readable: Readable | null | undefined, sink: Sink, active: () => boolean): void {
  if (!readable) return;
  const push = readable.push;
  readable.push = function (this: Readable, chunk: unknown, encoding?: BufferEncoding) {
    if (active() && chunk !== null) sink.append(chunk, encoding);
    return Reflect.apply(push, this, [chunk, encoding]) as boolean;
  };
}

/**
 * Replaces `worker_threads.Worker` (for ESM importers too) with a subclass that taps the output
 * of every Worker started with `stdout: true` or `stderr: true`. Output of the others is piped
 * to `process.stdout`/`stderr` by Node, and caught there.
 */
function tapWorkerThreads(sink: Sink): () => void {
  const threads = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  const Original = threads.Worker;
  let active = true;
  class CapturedWorker extends Original {
    constructor(filename: string | URL, options?: WorkerOptions) {
      super(filename, options);
      try {
        if (options?.stdout) tapReadable(this.stdout, sink, () => active);
        if (options?.stderr) tapReadable(this.stderr, sink, () => active);
      } catch {
        // Capture is best effort.
      }
    }
  }
  threads.Worker = CapturedWorker;
  syncBuiltinESMExports();
  return () => {
    active = false;
    if (threads.Worker === CapturedWorker) {
      threads.Worker = Original;
      syncBuiltinESMExports();
    }
  };
}

/** What to capture besides `process.stdout` and `process.stderr`. */
export interface CaptureOptions {
  /** Also tap Worker threads whose output their creator reads (see the module comment). */
  readonly workerThreads: boolean;
}

/**
 * Appends every chunk written to `process.stdout` and `process.stderr` (and, optionally, by
 * Worker threads) to `file`, until the returned function is called. Never throws.
 */
export function startCapture(file: string, options: CaptureOptions): () => void {
  const sink = new Sink(file);
  const stops: Array<() => void> = [];
  try {
    stops.push(wrapWrite(process.stdout, sink), wrapWrite(process.stderr, sink));
    if (options.workerThreads) stops.push(tapWorkerThreads(sink));
  } catch {
    // Whatever was installed stays consistent on its own.
  }
  return () => {
    for (const stop of stops.reverse()) {
      try {
        stop();
      } catch {
        // Best effort.
      }
    }
    sink.close();
  };
}

const INSTALLED = Symbol.for('test.log-capture.installed');

// In a test worker (vitest sets VITEST_POOL_ID there, not in its main process), once per process:
// setup files run again for every test file a non-isolated worker runs.
const dir = process.env[LOG_CAPTURE_DIR];
const state = globalThis as { [INSTALLED]?: true };
if (dir && process.env.VITEST_POOL_ID !== undefined && !state[INSTALLED]) {
  state[INSTALLED] = true;
  startCapture(join(dir, `${process.pid}.log`), { workerThreads: true });
}
