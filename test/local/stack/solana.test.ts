import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey } from '@solana/web3.js';
import { afterAll, describe, expect, it } from 'vitest';
import { treasuryAddress } from '../../../core/desk/solana/signer.js';
import { KmsSigningKey } from '../../../core/platform/keys/kms.js';
import { localClientConfig } from '../../../local/aws/common.js';
import { type LocalStack, startLocalStack } from '../../../local/index.js';
import { LOCAL_TREASURY_LAMPORTS, solanaRpcUrls, startStackSolana } from '../../../local/stack/solana.js';
import { secretEnvName } from '../../../stacks/manifest.js';
import { reachable } from './reachable.js';

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
  it('gives the functions both endpoints in SOLANA_RPC_URLS and funds the KMS treasury key of the data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'solana-stack-'));
    dirs.push(dataDir);
    const first = await withStack(dataDir, async (stack) => {
      const urls = JSON.parse(stack.env[secretEnvName('SOLANA_RPC_URLS')] ?? '[]') as unknown;
      expect(urls).toEqual([
        { url: stack.solana.urls[0], rps: 50, priority: 0 },
        { url: stack.solana.urls[1], rps: 50, priority: 1 },
      ]);
      const treasury = stack.solana.treasury;
      // No keypair anywhere: the treasury is the KMS emulator's Ed25519 key, as on AWS.
      expect(treasury?.keypair).toBeUndefined();
      const kms = new KMSClient(localClientConfig(stack.kms.endpoint));
      const key = new KmsSigningKey({ client: kms, keyId: stack.kms.keyIds.treasury });
      expect(await treasuryAddress(key)).toBe(treasury?.address);
      kms.destroy();
      expect(stack.env[secretEnvName('TREASURY_ADDRESS')]).toBe(treasury?.address);
      const connection = new Connection(stack.solana.urls[1]!, 'confirmed');
      expect(await connection.getBalance(new PublicKey(treasury!.address))).toBe(1_000 * LAMPORTS_PER_SOL);
      return { address: treasury!.address, url: stack.solana.urls[0]! };
    });
    // The key is kept in the data directory: the next session has the same treasury.
    await withStack(dataDir, async (stack) => {
      expect(stack.solana.treasury?.address).toBe(first.address);
    });
    // Stopping the stack stopped the peer.
    await expect(fetch(first.url, { method: 'POST' })).rejects.toThrow();
  });
});

describe('startStackSolana', () => {
  it("funds the treasury key's address unless a treasury is given, and stops the peer", async () => {
    const address = Keypair.generate().publicKey.toBase58();
    const peer = await startStackSolana({ treasuryKeyAddress: address });
    try {
      expect(peer.treasury).toMatchObject({ address, lamports: LOCAL_TREASURY_LAMPORTS });
      expect(JSON.parse(solanaRpcUrls(peer, 7))).toEqual(peer.urls.map((url, priority) => ({ url, rps: 7, priority })));
    } finally {
      await peer.stop();
    }
    for (const url of peer.urls) expect(await reachable(url)).toBe(false);

    const given = { address: Keypair.generate().publicKey.toBase58(), lamports: 5n };
    const other = await startStackSolana({ treasuryKeyAddress: address, peer: { treasury: given, endpoints: 1 } });
    try {
      expect(other.treasury).toMatchObject(given);
      expect(other.urls).toHaveLength(1);
    } finally {
      await other.stop();
    }
  });
});
