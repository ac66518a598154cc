import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, Keypair, PublicKey, TransactionInstruction } from '@solana/web3.js';
import { describe, expect, it } from 'vitest';
import { startSolanaPeer } from '../../../local/solana/index.js';
import { SvmUnavailableError, startSvm } from '../../../local/solana/svm.js';

const MEMO_PROGRAM = new PublicKey('MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr');

/** A double-precision `%` that V8 optimizes into x87 code (the operation a dirty x87 stack breaks). */
function modSum(): number {
  let sum = 0;
  for (let i = 0; i < 200_000; i++) sum += (i + 0.5) % 7.25;
  return sum;
}

describe('SolanaPeer SVM host', () => {
  it('fails with a clear message when the litesvm binding cannot be loaded', async () => {
    const start = startSvm({ resolveFrom: join(tmpdir(), 'no-such-project', 'package.json') });
    await expect(start).rejects.toBeInstanceOf(SvmUnavailableError);
    await expect(start).rejects.toThrow(/litesvm native binding could not be loaded .*linux-x64 with glibc/);
  });

  it('keeps this process floating point intact after programs whose JIT code dirties the x87 state', async () => {
    const expected = modSum();
    const peer = await startSolanaPeer({ endpoints: 1 });
    try {
      // The associated token account and memo programs make register-indirect calls (litesvm#171).
      const owner = Keypair.generate().publicKey;
      const mint = await peer.svm.createMint();
      await peer.svm.mintTo(mint, owner, 5n);
      await peer.svm.send([new TransactionInstruction({ programId: MEMO_PROGRAM, keys: [], data: Buffer.from('hi') })]);
      expect(modSum()).toBe(expected);
      // Allocation-heavy work triggers the GC path that aborts a process with a dirty x87 stack.
      const garbage = Array.from({ length: 300_000 }, (_v, i) => ({ i }));
      expect(garbage.length).toBe(300_000);
      expect(await new Connection(peer.urls[0]!).getBalance(owner)).toBe(0);
      expect(await peer.svm.tokenBalance(mint, owner)).toBe(5n);
    } finally {
      await peer.stop();
    }
  });
});
