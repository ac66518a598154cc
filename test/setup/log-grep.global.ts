/**
 * The log grep (a vitest `globalSetup`): no line the test run writes may contain the bot token,
 * the webhook secret or any secret a test stored.
 *
 * Setup makes a fresh capture directory and names it in `LOG_CAPTURE_DIR`, which the test
 * workers inherit; `log-capture.ts` (a setup file) then copies each worker's output there. This
 * process's own output is captured too: it carries what the tests' `console` printed (vitest
 * intercepts it in the workers and prints it here) and the reporter's failure messages.
 * Teardown scans every captured line with `scanForSecrets` and throws, failing the run, if any
 * secret is found: the error names the file, the line and the pattern, and shows the line
 * masked, never the secret. On success it prints one line and removes the directory; on failure
 * the directory is kept for inspection.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCapture } from './log-capture.js';
import { type Finding, LOG_CAPTURE_DIR, REGISTERED_FILE, scanForSecrets } from './secrets.js';

/** Captured output of the vitest main process (workers write `<pid>.log`). */
const MAIN_FILE = 'main.log';
const READ_BYTES = 1 << 20;
/** Findings listed in the error; the rest are counted. */
const MAX_LISTED = 50;

/** The lines of `file`, read a block at a time (captures can be large). */
function* linesOf(file: string): Generator<string> {
  const fd = openSync(file, 'r');
  try {
    const block = Buffer.alloc(READ_BYTES);
    let rest = Buffer.alloc(0);
    for (let read = readSync(fd, block); read > 0; read = readSync(fd, block)) {
      let data = Buffer.concat([rest, block.subarray(0, read)]);
      for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10)) {
        yield data.subarray(0, nl).toString('utf8').replace(/\r$/, '');
        data = data.subarray(nl + 1);
      }
      rest = Buffer.from(data);
    }
    if (rest.length > 0) yield rest.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function registeredValues(dir: string): string[] {
  const file = join(dir, REGISTERED_FILE);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .flatMap((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return typeof value === 'string' ? [value] : [];
      } catch {
        return [];
      }
    });
}

/** Counts the lines it passes on. */
function counted(lines: Iterable<string>, count: { lines: number }): Iterable<string> {
  return {
    *[Symbol.iterator]() {
      for (const line of lines) {
        count.lines += 1;
        yield line;
      }
    },
  };
}

export default function setup(): () => void {
  const previous = process.env[LOG_CAPTURE_DIR];
  const dir = mkdtempSync(join(tmpdir(), 'log-grep-'));
  process.env[LOG_CAPTURE_DIR] = dir;
  const stopMain = startCapture(join(dir, MAIN_FILE), { workerThreads: false });

  return function teardown() {
    stopMain();
    if (previous === undefined) delete process.env[LOG_CAPTURE_DIR];
    else process.env[LOG_CAPTURE_DIR] = previous;

    const registered = registeredValues(dir);
    const files = readdirSync(dir)
      .filter((name) => name.endsWith('.log'))
      .sort();
    const count = { lines: 0 };
    const found: Array<Finding & { file: string }> = [];
    for (const file of files) {
      for (const finding of scanForSecrets(counted(linesOf(join(dir, file)), count), registered)) {
        found.push({ ...finding, file });
      }
    }
    const workers = files.filter((name) => name !== MAIN_FILE).length;
    if (found.length > 0) {
      const listed = found
        .slice(0, MAX_LISTED)
        .map((f) => `  ${join(dir, f.file)}:${f.line} [${f.pattern}] ${f.excerpt}`);
      const more = found.length > MAX_LISTED ? [`  … and ${found.length - MAX_LISTED} more`] : [];
      throw new Error(
        [
          `log grep: ${found.length} secret(s) in the output of the test run (${count.lines} lines from ${workers} workers; captures kept in ${dir}):`,
          ...listed,
          ...more,
        ].join('\n'),
      );
    }
    console.log(`log grep: ${count.lines} lines from ${workers} workers, no secret found`);
    rmSync(dir, { recursive: true, force: true });
  };
}
