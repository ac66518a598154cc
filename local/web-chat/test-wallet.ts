/**
 * Test wallets for the web chat page: a person chatting with the local bot cannot sign a Solana
 * transfer from a wallet of their own, so the page lends each web chat user one, funded by the local
 * Solana peer, and sends SOL from it to the treasury on request (the "I've deposited" flow needs a
 * real transfer on chain). Local only: keys live in this process's memory.
 */
import { Keypair } from '@solana/web3.js';
import type { SolanaPeer } from '../solana/index.js';

/** A wallet the page holds for one web chat user. */
export interface TestWallets {
  /** The user's test wallet (made and funded with 5 SOL on first use): its address and balance in lamports. */
  open(userId: number): Promise<{ address: string; lamports: string }>;
  /** Sends `lamports` from the user's test wallet to the treasury; the transaction's signature. */
  deposit(userId: number, lamports: bigint): Promise<{ signature: string }>;
}

const FUNDING = 5_000_000_000n;

export function testWallets(solana: SolanaPeer): TestWallets {
  const wallets = new Map<number, Keypair>();
  async function walletOf(userId: number): Promise<Keypair> {
    let wallet = wallets.get(userId);
    if (!wallet) {
      wallet = Keypair.generate();
      wallets.set(userId, wallet);
      await solana.svm.airdrop(wallet.publicKey, FUNDING);
    }
    return wallet;
  }
  return {
    async open(userId) {
      const wallet = await walletOf(userId);
      return { address: wallet.publicKey.toBase58(), lamports: String(await solana.svm.balance(wallet.publicKey)) };
    },
    async deposit(userId, lamports) {
      const treasury = solana.treasury?.address;
      if (!treasury) throw new Error('the local Solana peer has no treasury');
      const signature = await solana.svm.transfer(await walletOf(userId), treasury, lamports);
      return { signature };
    },
  };
}
