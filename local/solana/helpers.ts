/**
 * Test helpers on a peer's chain: fund wallets, move lamports, create SPL Token / Token-2022 mints and
 * associated token accounts, mint tokens, and write arbitrary accounts (programs, PDAs).
 *
 * Everything except `setAccount` is a real signed transaction through the same path as `sendTransaction`
 * (signatures verified, preflight, fees), so it appears in `getSignaturesForAddress` and `getTransaction`.
 * A local payer (the peer's faucet) signs and pays fees and rent unless told otherwise.
 */
import { Keypair, PublicKey, SystemProgram, Transaction, type TransactionInstruction } from '@solana/web3.js';
import type { Account, Chain } from './chain.js';
import { RpcError } from './errors.js';
import { rentExemptMinimum } from './rpc-cluster.js';
import { parseTokenAccount, TOKEN_2022_PROGRAM, TOKEN_PROGRAM } from './token.js';

/** An address as a base58 string or a `PublicKey`. */
export type Address = string | PublicKey;

/** Which token program a mint belongs to. */
export type TokenProgramName = 'token' | 'token-2022';

/** An account to write with `setAccount`; omitted fields default to an empty system-owned wallet. */
export interface AccountInit {
  lamports: bigint | number;
  data?: Uint8Array;
  owner?: Address;
  executable?: boolean;
  rentEpoch?: bigint;
}

/** Helpers for tests; see the module comment. */
export interface SvmHelpers {
  /** The local payer: signs helper transactions and pays their fees and rent. */
  readonly payer: PublicKey;
  /** A real transfer from the faucet (like `requestAirdrop`); resolves with its signature. */
  airdrop(address: Address, lamports: bigint | number): Promise<string>;
  /** A system transfer signed by `from` (which also pays the fee). */
  transfer(from: Keypair, to: Address, lamports: bigint | number): Promise<string>;
  /** Signs `instructions` with `signers` (the first pays the fee; the local payer when none) and sends them. */
  send(instructions: readonly TransactionInstruction[], signers?: readonly Keypair[]): Promise<string>;
  /** Lamports of `address` (0 when it does not exist). */
  balance(address: Address): Promise<bigint>;
  /** The raw account, or `null`. */
  account(address: Address): Promise<Account | null>;
  /** Writes any account directly (no transaction), e.g. a program or a PDA with crafted data. */
  setAccount(address: Address, account: AccountInit): Promise<void>;
  /** Creates a mint (decimals 6, Token program, the local payer as mint authority, by default). */
  createMint(options?: {
    decimals?: number;
    program?: TokenProgramName;
    mintAuthority?: Keypair;
    freezeAuthority?: Address;
  }): Promise<PublicKey>;
  /** The owner's associated token account for `mint`, created if missing. */
  createTokenAccount(mint: Address, owner: Address): Promise<PublicKey>;
  /** Mints `amount` (base units) to the owner's associated token account, creating it if missing. */
  mintTo(mint: Address, owner: Address, amount: bigint | number): Promise<string>;
  /** Base units held by the owner's associated token account for `mint` (0 when it does not exist). */
  tokenBalance(mint: Address, owner: Address): Promise<bigint>;
}

const key = (address: Address): PublicKey => (typeof address === 'string' ? new PublicKey(address) : address);
const base58 = (address: Address): string => (typeof address === 'string' ? address : address.toBase58());

type SplToken = typeof import('@solana/spl-token');
let splToken: Promise<SplToken> | undefined;
/** `@solana/spl-token` is loaded on first use, so starting a peer stays fast. */
const spl = (): Promise<SplToken> => {
  splToken ??= import('@solana/spl-token');
  return splToken;
};

/** Builds the helpers over `chain`. */
export function svmHelpers(chain: Chain): SvmHelpers {
  const payer = chain.faucet;
  const mintAuthorities = new Map<string, Keypair>();

  const send = async (
    instructions: readonly TransactionInstruction[],
    signers: readonly Keypair[] = [],
  ): Promise<string> => {
    const [feePayer, ...others] = signers.length > 0 ? signers : [payer];
    const { blockhash, lastValidBlockHeight } = chain.clock.latestBlockhash();
    const tx = new Transaction({ blockhash, lastValidBlockHeight, feePayer: feePayer!.publicKey }).add(...instructions);
    tx.sign(feePayer!, ...others);
    try {
      return await chain.submit(tx.serialize(), { skipPreflight: false, preflightCommitment: 'processed' });
    } catch (error) {
      if (error instanceof RpcError) {
        const logs = (error.data as { logs?: string[] } | undefined)?.logs ?? [];
        throw new Error(`${error.message}${logs.length > 0 ? `\n${logs.join('\n')}` : ''}`, { cause: error });
      }
      throw error;
    }
  };

  const programOf = async (mint: Address): Promise<PublicKey> => {
    const account = await chain.account(base58(mint));
    if (!account) throw new Error(`mint ${base58(mint)} does not exist`);
    return new PublicKey(account.owner);
  };

  const helpers: SvmHelpers = {
    payer: payer.publicKey,

    airdrop: (address, lamports) => chain.airdrop(base58(address), BigInt(lamports)),

    transfer: (from, to, lamports) =>
      send(
        [SystemProgram.transfer({ fromPubkey: from.publicKey, toPubkey: key(to), lamports: BigInt(lamports) })],
        [from],
      ),

    send,

    balance: async (address) => (await chain.account(base58(address)))?.lamports ?? 0n,

    account: (address) => chain.account(base58(address)),

    setAccount: (address, init) =>
      chain.setAccount(base58(address), {
        lamports: BigInt(init.lamports),
        data: init.data ?? new Uint8Array(0),
        owner: init.owner === undefined ? SystemProgram.programId.toBase58() : base58(init.owner),
        executable: init.executable ?? false,
        rentEpoch: init.rentEpoch ?? 0n,
      }),

    async createMint(options = {}) {
      const { createInitializeMint2Instruction, MINT_SIZE } = await spl();
      const programId = new PublicKey(options.program === 'token-2022' ? TOKEN_2022_PROGRAM : TOKEN_PROGRAM);
      const mint = Keypair.generate();
      const authority = options.mintAuthority ?? payer;
      await send(
        [
          SystemProgram.createAccount({
            fromPubkey: payer.publicKey,
            newAccountPubkey: mint.publicKey,
            lamports: Number(rentExemptMinimum(MINT_SIZE)),
            space: MINT_SIZE,
            programId,
          }),
          createInitializeMint2Instruction(
            mint.publicKey,
            options.decimals ?? 6,
            authority.publicKey,
            options.freezeAuthority === undefined ? null : key(options.freezeAuthority),
            programId,
          ),
        ],
        [payer, mint],
      );
      mintAuthorities.set(mint.publicKey.toBase58(), authority);
      return mint.publicKey;
    },

    async createTokenAccount(mint, owner) {
      const { createAssociatedTokenAccountIdempotentInstruction, getAssociatedTokenAddressSync } = await spl();
      const programId = await programOf(mint);
      const ata = getAssociatedTokenAddressSync(key(mint), key(owner), true, programId);
      if (!(await chain.account(ata.toBase58()))) {
        await send([
          createAssociatedTokenAccountIdempotentInstruction(payer.publicKey, ata, key(owner), key(mint), programId),
        ]);
      }
      return ata;
    },

    async mintTo(mint, owner, amount) {
      const { createMintToInstruction } = await spl();
      const programId = await programOf(mint);
      const ata = await helpers.createTokenAccount(mint, owner);
      const authority = mintAuthorities.get(base58(mint)) ?? payer;
      const signers = authority === payer ? [payer] : [payer, authority];
      return send(
        [createMintToInstruction(key(mint), ata, authority.publicKey, BigInt(amount), [], programId)],
        signers,
      );
    },

    async tokenBalance(mint, owner) {
      const { getAssociatedTokenAddressSync } = await spl();
      const programId = await programOf(mint);
      const ata = getAssociatedTokenAddressSync(key(mint), key(owner), true, programId);
      const account = await chain.account(ata.toBase58());
      return (account && parseTokenAccount(account.owner, account.data)?.amount) ?? 0n;
    },
  };
  return helpers;
}
