import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, Keypair, LAMPORTS_PER_SOL } from '@solana/web3.js';
import { afterAll, describe, expect, it } from 'vitest';
import { secretEnvName } from '../../core/settings.js';
import { type LocalStack, startLocalStack } from '../../local/index.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function withStack<T>(dataDir: string | undefined, use: (stack: LocalStack) => Promise<T>): Promise<T> {
  const stack = await startLocalStack({ functions: false, ...(dataDir ? { dataDir } : {}) });
  try {
    return await use(stack);
  } finally {
    await stack.stop();
  }
}

describe('SolanaPeer in startLocalStack', () => {
  it('gives the functions both endpoints in SOLANA_RPC_URLS and funds the treasury of the data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'solana-stack-'));
    dirs.push(dataDir);
    const first = await withStack(dataDir, async (stack) => {
      const urls = JSON.parse(stack.env[secretEnvName('SOLANA_RPC_URLS')] ?? '[]') as unknown;
      expect(urls).toEqual([
        { url: stack.solana.urls[0], rps: 50, priority: 0 },
        { url: stack.solana.urls[1], rps: 50, priority: 1 },
      ]);
      const treasury = stack.solana.treasury;
      expect(treasury?.keypair).toBeInstanceOf(Keypair);
      expect(stack.env[secretEnvName('TREASURY_ADDRESS')]).toBe(treasury?.address);
      const connection = new Connection(stack.solana.urls[1]!, 'confirmed');
      expect(await connection.getBalance(treasury!.keypair!.publicKey)).toBe(1_000 * LAMPORTS_PER_SOL);
      return { address: treasury!.address, url: stack.solana.urls[0]! };
    });
    // The keypair is kept in the data directory: the next session has the same treasury.
    const secret = JSON.parse(await readFile(join(dataDir, 'solana-treasury.json'), 'utf8')) as number[];
    expect(Keypair.fromSecretKey(Uint8Array.from(secret)).publicKey.toBase58()).toBe(first.address);
    await withStack(dataDir, async (stack) => {
      expect(stack.solana.treasury?.address).toBe(first.address);
    });
    // Stopping the stack stopped the peer.
    await expect(fetch(first.url, { method: 'POST' })).rejects.toThrow();
  });
});
