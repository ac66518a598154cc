import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, Keypair, LAMPORTS_PER_SOL } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SolanaPeer, type SolanaPeerOptions, startSolanaPeer } from '../../../local/solana/index.js';
import { LocalStateError } from '../../../local/state-file.js';

let dir: string;
const running: SolanaPeer[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'solana-persistence-'));
});
afterAll(async () => {
  await Promise.all(running.map((peer) => peer.stop()));
  await rm(dir, { recursive: true, force: true });
});

async function start(options: SolanaPeerOptions): Promise<SolanaPeer> {
  const peer = await startSolanaPeer({ endpoints: 1, slotMs: 50, ...options });
  running.push(peer);
  return peer;
}

describe('the local chain across a restart', () => {
  it('keeps accounts, balances, transactions and slots, and does not fund the treasury again', async () => {
    const stateFile = join(dir, 'chain.json');
    const treasury = Keypair.generate();
    const first = await start({
      stateFile,
      treasury: { keypair: treasury, lamports: 1_000n * BigInt(LAMPORTS_PER_SOL) },
    });
    const wallet = Keypair.generate();
    const program = Keypair.generate().publicKey;
    const airdrop = await first.svm.airdrop(wallet.publicKey, 2 * LAMPORTS_PER_SOL);
    const payment = await first.svm.transfer(treasury, wallet.publicKey, LAMPORTS_PER_SOL);
    const data = Keypair.generate().publicKey;
    await first.svm.setAccount(data, { lamports: 3_000_000, data: new Uint8Array([1, 2, 3]), owner: program });
    const mint = await first.svm.createMint({ decimals: 2 });
    await first.svm.mintTo(mint, wallet.publicKey, 1_234);
    const treasuryLeft = await first.svm.balance(treasury.publicKey);
    const paid = first.transaction(payment)!;
    await first.stop();

    const second = await start({
      stateFile,
      treasury: { keypair: treasury, lamports: 1_000n * BigInt(LAMPORTS_PER_SOL) },
    });
    expect(await second.svm.balance(wallet.publicKey)).toBe(3n * BigInt(LAMPORTS_PER_SOL));
    expect(await second.svm.balance(treasury.publicKey)).toBe(treasuryLeft);
    expect(await second.svm.account(data)).toMatchObject({
      lamports: 3_000_000n,
      data: new Uint8Array([1, 2, 3]),
      owner: program.toBase58(),
    });
    expect(await second.svm.tokenBalance(mint, wallet.publicKey)).toBe(1_234n);
    // The same faucet pays on: an airdrop after the restart works.
    await second.svm.airdrop(wallet.publicKey, 1);
    // Recorded transactions read back over RPC, and the chain's slots went on from where they were.
    expect(second.transaction(payment)).toMatchObject({ signature: payment, slot: paid.slot, fee: paid.fee });
    const connection = new Connection(second.urls[0]!, { commitment: 'confirmed' });
    const history = await connection.getSignaturesForAddress(wallet.publicKey);
    expect(history.map((entry) => entry.signature)).toEqual(expect.arrayContaining([airdrop, payment]));
    const tx = await connection.getTransaction(payment, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
    expect(tx?.slot).toBe(paid.slot);
    expect(await connection.getSlot()).toBeGreaterThanOrEqual(paid.slot);
  });

  it('saves a moment after a change, before any stop (a crash loses at most that moment)', async () => {
    const stateFile = join(dir, 'live.json');
    const peer = await start({ stateFile });
    const wallet = Keypair.generate().publicKey;
    await peer.svm.airdrop(wallet, 42_000_000);
    await expect
      .poll(async () => (await readFile(stateFile, 'utf8').catch(() => '')).includes(wallet.toBase58()), {
        timeout: 5_000,
      })
      .toBe(true);
  });

  it('refuses to start on a damaged file, naming it, rather than start a different chain', async () => {
    const stateFile = join(dir, 'damaged.json');
    await writeFile(stateFile, '{"version":1,"clock":');
    await expect(start({ stateFile })).rejects.toThrow(LocalStateError);
    await writeFile(
      stateFile,
      JSON.stringify({
        version: 1,
        clock: { startedAt: 1, seed: 'AA==' },
        faucet: 'AA==',
        accounts: [],
        transactions: [],
      }),
    );
    await expect(start({ stateFile })).rejects.toThrow(`${stateFile} is not a valid local chain state (faucet:`);
  });

  it('keeps nothing without a state file', async () => {
    const peer = await start({});
    expect(peer.transaction('1'.repeat(64))).toBeUndefined();
  });
});
