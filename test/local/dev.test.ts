/**
 * `npm run dev` as a person runs it: `local/dev.ts` in its own process, with its data in a temp
 * directory. A clean stop on SIGINT and SIGTERM (exit 0, nothing on stderr that looks like an
 * error, no AWS SDK warning), and a restart that finds what the first run left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const READY = /web chat {5}(http:\/\/127\.0\.0\.1:\d+\/)/;

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dev-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

interface Dev {
  child: ChildProcess;
  /** The web chat page. */
  url: string;
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts `npm run dev`'s entry on `dataDir` and waits for its ready line. */
async function startDev(): Promise<Dev> {
  const { TELEGRAM_BOT_TOKEN: _t, SOLANA_RPC_URLS: _s, AI_API_KEY: _a, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/dev.ts'], {
    cwd: ROOT,
    env: { ...env, LOCAL_DATA_DIR: dataDir, WEB_CHAT_PORT: '0', STAGE: 'devtest' },
    // stdin stays open (a terminal that nobody types in).
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const match = READY.exec(out);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`dev exited (${code}) before it was ready:\n${out}\n${err}`)));
  });
  return {
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    stop: (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}

async function post(dev: Dev, path: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(new URL(path, dev.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

interface PageState {
  userChat: { messages: Array<{ fromBot: boolean; text: string }> };
  adminChat: { messages: Array<{ text: string }> };
}
const state = async (dev: Dev, userId: number): Promise<PageState> =>
  (await (await fetch(new URL(`/api/state?user=${userId}`, dev.url))).json()) as PageState;

/** Waits for a bot message in the user's chat that includes `text`. */
async function botSays(dev: Dev, userId: number, text: string): Promise<void> {
  await expect
    .poll(async () => (await state(dev, userId)).userChat.messages.some((m) => m.fromBot && m.text.includes(text)), {
      timeout: 60_000,
      interval: 250,
    })
    .toBe(true);
}

/** What must never be on stderr of a clean run: a stack trace, an uncaught error, the SDK's Node warning. */
function expectQuietStderr(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/AbortError|Uncaught|Error:/);
  expect(stderr).not.toContain('NodeVersionSupportWarning');
}

describe('npm run dev', { timeout: 300_000 }, () => {
  it('stops cleanly on SIGINT (Ctrl-C): exit code 0, no stack trace, no SDK warning', async () => {
    const dev = await startDev();
    const code = await dev.stop('SIGINT');
    expect(code).toBe(0);
    expect(dev.stdout()).toContain('Stopping…');
    expectQuietStderr(dev.stderr());
  });

  it('finds after a restart what the first run left: chats, the test wallet and its balance on the chain', async () => {
    const userId = 5_001;
    const first = await startDev();
    const wallet = (await post(first, '/api/wallet', { userId })) as { address: string; lamports: string };
    expect(wallet.lamports).toBe('5000000000');
    await post(first, '/api/send', { pane: 'user', userId, text: wallet.address });
    await botSays(first, userId, 'is a wallet');
    const before = await state(first, userId);
    expect(await first.stop('SIGTERM')).toBe(0);
    expectQuietStderr(first.stderr());

    const second = await startDev();
    try {
      // Both transcripts as they were.
      const after = await state(second, userId);
      expect(after.userChat.messages).toEqual(before.userChat.messages);
      expect(after.adminChat.messages).toEqual(before.adminChat.messages);
      // The same test wallet, with its balance, on the same chain.
      expect(await post(second, '/api/wallet', { userId })).toEqual(wallet);
      await post(second, '/api/send', { pane: 'user', userId, text: `/balance ${wallet.address}` });
      await botSays(second, userId, 'SOL: 5');
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }
    expectQuietStderr(second.stderr());
  });
});
