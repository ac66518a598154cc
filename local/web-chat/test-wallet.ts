/**
 * Test wallets for the web chat page: a person chatting with the local bot cannot sign a Solana
 * transfer from a wallet of their own, so the page lends each web chat user one, funded by the local
 * Solana peer, and pays the bot's Solana Pay deposit requests from it (a System transfer with the
 * request's reference as a read-only key, as wallet apps do), so the deposit flow runs offline.
 * Local only: the keys live in this process's memory and, given a `file` (`npm run dev` keeps it in
 * the data directory), in that file, so a restart lends each user the same wallet again.
 */
import {
  Keypair,
  type Keypair as KeypairType,
  PublicKey,
  SystemProgram,
  type TransactionInstruction,
} from '@solana/web3.js';
import * as z from 'zod/mini';
import { parseTransferRequest } from '../../core/desk/deposits/claims.js';
import type { SolanaPeer } from '../solana/index.js';
import { Base64, fromBase64, LocalStateError, readState, toBase64, writeState } from '../state-file.js';

/**
 * The instruction a Solana Pay wallet builds for a SOL transfer request: a System transfer to the
 * recipient with each reference appended as a read-only, non-signer account key, so the payment
 * can be found by `getSignaturesForAddress(reference)`. `lamports` is used when the URL has no
 * amount. Throws on a URL that is not a SOL transfer request.
 */
export function transferRequestInstruction(
  from: KeypairType['publicKey'],
  url: string,
  lamports?: bigint,
): { instruction: TransactionInstruction; lamports: bigint } {
  const request = parseTransferRequest(url);
  if (!request) throw new Error('not a Solana Pay transfer request (solana:<recipient>?amount=…&reference=…)');
  const amount = request.lamports ?? lamports;
  if (amount === undefined) throw new Error('the request names no amount: give one');
  const instruction = SystemProgram.transfer({
    fromPubkey: from,
    toPubkey: new PublicKey(request.recipient),
    lamports: amount,
  });
  instruction.keys.push({ pubkey: new PublicKey(request.reference), isSigner: false, isWritable: false });
  return { instruction, lamports: amount };
}

/** A wallet the page holds for one web chat user. */
export interface TestWallets {
  /** The user's test wallet (made and funded with 5 SOL on first use): its address and balance in lamports. */
  open(userId: number): Promise<{ address: string; lamports: string }>;
  /**
   * Sends `lamports` from the user's test wallet to the treasury with no reference; the
   * transaction's signature. Such a transfer is never credited by itself: admins see it as
   * unattributed.
   */
  deposit(userId: number, lamports: bigint): Promise<{ signature: string }>;
  /** Pays a Solana Pay transfer request (`solana:` URL) from the user's test wallet, as a wallet app would. */
  pay(userId: number, url: string, lamports?: bigint): Promise<{ signature: string; lamports: string }>;
}

const FUNDING = 5_000_000_000n;
const WHAT = 'test wallets file';

/** The file's shape: each web chat user's wallet, by its 64-byte secret key. */
export const TestWalletsSchema = z.object({
  version: z.literal(1),
  wallets: z.array(z.object({ userId: z.int().check(z.positive()), secretKey: Base64 })),
});

/**
 * The page's test wallets on `solana`; with a `file`, the wallets lent before a restart (a
 * `LocalStateError` when it is invalid) and every new one kept there.
 */
export async function testWallets(solana: SolanaPeer, options: { file?: string } = {}): Promise<TestWallets> {
  const { file } = options;
  const wallets = new Map<number, Keypair>();
  const saved = file === undefined ? undefined : await readState(file, TestWalletsSchema, WHAT);
  for (const entry of saved?.wallets ?? []) {
    try {
      wallets.set(entry.userId, Keypair.fromSecretKey(fromBase64(entry.secretKey)));
    } catch (error) {
      throw new LocalStateError(file!, WHAT, `user ${entry.userId}: ${(error as Error).message}`);
    }
  }
  const save = (): Promise<void> =>
    file === undefined
      ? Promise.resolve()
      : writeState(file, {
          version: 1,
          wallets: [...wallets].map(([userId, wallet]) => ({ userId, secretKey: toBase64(wallet.secretKey) })),
        } satisfies z.infer<typeof TestWalletsSchema>);
  async function walletOf(userId: number): Promise<Keypair> {
    let wallet = wallets.get(userId);
    if (!wallet) {
      wallet = Keypair.generate();
      wallets.set(userId, wallet);
      await save();
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
    async pay(userId, url, lamports) {
      const wallet = await walletOf(userId);
      const built = transferRequestInstruction(wallet.publicKey, url, lamports);
      const signature = await solana.svm.send([built.instruction], [wallet]);
      return { signature, lamports: String(built.lamports) };
    },
  };
}
