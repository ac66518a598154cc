import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';
import { LocalStateError, readState, StateSaver, writeState } from '../../local/state-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'state-file-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const Schema = z.object({ version: z.literal(1), n: z.int() });

describe('state files', () => {
  it('reads back what was written, through the schema, and leaves no temp file', async () => {
    const file = join(dir, 'ok.json');
    await writeState(file, { version: 1, n: 7 });
    expect(await readState(file, Schema, 'test state')).toEqual({ version: 1, n: 7 });
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('has no state before the first write', async () => {
    expect(await readState(join(dir, 'missing.json'), Schema, 'test state')).toBeUndefined();
  });

  it('refuses a file that is not JSON, naming the file and how to start afresh', async () => {
    const file = join(dir, 'truncated.json');
    await writeFile(file, '{"version":1,"n":');
    const read = readState(file, Schema, 'test state');
    await expect(read).rejects.toThrow(LocalStateError);
    await expect(read).rejects.toThrow(`${file} is not a valid test state (not JSON`);
    await expect(read).rejects.toThrow('delete it to start the test state afresh');
  });

  it('refuses a file of the wrong shape, saying where', async () => {
    const file = join(dir, 'shape.json');
    await writeFile(file, JSON.stringify({ version: 1, n: 'seven' }));
    await expect(readState(file, Schema, 'test state')).rejects.toThrow(/is not a valid test state \(n: /);
  });

  it('replaces a file whole: the previous content until the rename', async () => {
    const file = join(dir, 'replace.json');
    await writeState(file, { version: 1, n: 1 });
    await writeState(file, { version: 1, n: 2 });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, n: 2 });
  });
});

describe('StateSaver', () => {
  it('saves once for changes close together, and only when something changed', async () => {
    const file = join(dir, 'saver.json');
    let n = 0;
    const snapshot = vi.fn(() => ({ version: 1, n }));
    const saver = new StateSaver(file, snapshot, { delayMs: 20 });
    n = 1;
    saver.changed();
    n = 2;
    saver.changed();
    await vi.waitFor(async () => expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, n: 2 }));
    expect(snapshot).toHaveBeenCalledTimes(1);
    await saver.flush();
    expect(snapshot).toHaveBeenCalledTimes(1);
    n = 3;
    saver.changed();
    await saver.flush();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, n: 3 });
  });

  it('reports a failed background save and saves again on the next flush', async () => {
    const onError = vi.fn();
    const file = join(dir, 'no-such-dir', 'saver.json');
    const saver = new StateSaver(file, () => ({ version: 1, n: 1 }), { delayMs: 1, onError });
    saver.changed();
    await vi.waitFor(() => expect(onError).toHaveBeenCalledTimes(1));
    await expect(saver.flush()).rejects.toThrow(/ENOENT/);
  });
});
