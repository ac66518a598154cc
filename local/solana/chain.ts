/**
 * The local chain: one SVM, its clock and its ledger, in one object. Every endpoint of a peer reads and
 * writes through it, so all endpoints see the same accounts, blockhashes and transactions.
 *
 * Submission follows an Agave RPC node: decode and sanitize, verify signatures (-32003), then, unless
 * `skipPreflight`, check the blockhash and the status cache and simulate (-32002 with the simulation
 * result). An accepted transaction lands at once ("processed") unless it is dropped on purpose
 * (`dropNext`) or its blockhash expired in flight; a transaction that fails in a program still lands,
 * with its error and the fee charged. Resending landed bytes is a no-op that returns the same signature,
 * except that a preflight at a commitment the transaction already reached answers `AlreadyProcessed`.
 */
import { ComputeBudgetProgram, Keypair, PublicKey, SystemProgram, Transaction } from '@solana/web3.js';
import { COMMITMENT_RANK, type Commitment, type SlotClock } from './clock.js';
import { base58Decode, base58Encode } from './codec.js';
import { describeTransactionError, RpcCode, RpcError } from './errors.js';
import { Ledger, type TokenBalance, type TxRecord } from './ledger.js';
import type { AccountData, ClockData, ExecutionOutcome, Svm, TransactionErrorJson } from './svm.js';
import { nativeMintDecimals, parseMint, parseTokenAccount } from './token.js';
import {
  type DecodedTransaction,
  decodeTransaction,
  type ResolvedKeys,
  resolveKeys,
  verifySignatures,
} from './transaction.js';

/** An account as the peer reads it: like {@link AccountData} with a base58 owner. */
export interface Account {
  lamports: bigint;
  data: Uint8Array;
  owner: string;
  executable: boolean;
  rentEpoch: bigint;
}

/** How `sendTransaction` was asked to submit. */
export interface SubmitOptions {
  skipPreflight: boolean;
  preflightCommitment: Commitment;
}

/** What `simulateTransaction` answers. */
export interface Simulation {
  outcome: ExecutionOutcome;
  replacementBlockhash: { blockhash: string; lastValidBlockHeight: number } | null;
}

/** Lamports the faucet (airdrops, test helpers) starts with. */
const FAUCET_LAMPORTS = 1n << 62n;
const SYSTEM_PROGRAM = '11111111111111111111111111111111';

const toBytes = (address: string): Uint8Array => {
  const bytes = base58Decode(address);
  if (bytes === undefined || bytes.length !== 32) throw new Error(`not a 32-byte base58 address: ${address}`);
  return bytes;
};

const emptyOutcome = (err: TransactionErrorJson): ExecutionOutcome & { err: TransactionErrorJson } => ({
  err,
  logs: [],
  innerInstructions: [],
  computeUnits: 0n,
  fee: 0n,
  returnData: null,
});

/** -32002 with the simulation result as `data`, as `sendTransaction` answers a failed preflight. */
function preflightFailure(outcome: ExecutionOutcome & { err: TransactionErrorJson }): RpcError {
  return new RpcError(
    RpcCode.preflightFailure,
    `Transaction simulation failed: ${describeTransactionError(outcome.err)}`,
    {
      accounts: null,
      err: outcome.err,
      innerInstructions: null,
      loadedAccountsDataSize: 0,
      logs: outcome.logs,
      replacementBlockhash: null,
      returnData: null,
      unitsConsumed: outcome.computeUnits,
    },
  );
}

/**
 * A failed transaction lands (fee charged, visible in history) when it failed while executing; errors
 * found before execution (unknown payer, no funds for the fee, bad blockhash, ...) mean it is dropped.
 */
const landsWithError = (err: TransactionErrorJson): boolean => typeof err === 'object';

/** The chain behind every endpoint of one peer. */
export class Chain {
  readonly ledger = new Ledger();
  /** Pays airdrops and the test helpers' fees and rent. */
  readonly faucet: Keypair;
  readonly #svm: Svm;
  readonly clock: SlotClock;
  readonly #listeners = new Set<() => void>();
  #dropNext = 0;
  #airdrops = 0;

  private constructor(svm: Svm, clock: SlotClock, faucet: Keypair) {
    this.#svm = svm;
    this.clock = clock;
    this.faucet = faucet;
  }

  /**
   * A chain with a funded faucet; given the `faucet` of a chain being restored, its account is
   * not written (the restored accounts hold it).
   */
  static async create(svm: Svm, clock: SlotClock, restored?: { faucet: Keypair }): Promise<Chain> {
    const chain = new Chain(svm, clock, restored?.faucet ?? Keypair.generate());
    if (restored) return chain;
    await chain.setAccount(chain.faucet.publicKey.toBase58(), {
      lamports: FAUCET_LAMPORTS,
      data: new Uint8Array(0),
      owner: SYSTEM_PROGRAM,
      executable: false,
      rentEpoch: 0n,
    });
    return chain;
  }

  /** Calls `listener` after every change of accounts or transactions (to save the chain). */
  onChange(listener: () => void): void {
    this.#listeners.add(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Accounts by address (`null` where none exists). */
  async accounts(addresses: readonly string[]): Promise<Array<Account | null>> {
    if (addresses.length === 0) return [];
    const found = await this.#svm.call('accounts', { keys: addresses.map(toBytes) });
    return found.map((account) => account && toAccount(account));
  }

  async account(address: string): Promise<Account | null> {
    return (await this.accounts([address]))[0] ?? null;
  }

  /** Writes an account directly (no transaction) and indexes its key. */
  async setAccount(address: string, account: Account): Promise<void> {
    await this.#svm.call('setAccount', {
      key: toBytes(address),
      account: { ...account, owner: toBytes(account.owner) },
    });
    this.ledger.touch(address);
    this.#changed();
  }

  /** The next `n` accepted transactions get a signature but never land. */
  dropNext(n: number): void {
    this.#dropNext += n;
  }

  /** `sendTransaction`: validates, preflights, lands; resolves with the transaction's signature. */
  async submit(bytes: Uint8Array, options: SubmitOptions): Promise<string> {
    const tx = decodeTransaction(bytes);
    if (!verifySignatures(tx)) {
      throw new RpcError(RpcCode.signatureVerificationFailure, 'Transaction signature verification failure');
    }
    const landed = this.ledger.get(tx.signature);
    if (!options.skipPreflight) {
      if (!this.clock.isBlockhashValid(tx.recentBlockhash)) throw preflightFailure(emptyOutcome('BlockhashNotFound'));
      if (landed) {
        const reached = this.clock.commitmentOf(landed.landedAt);
        if (COMMITMENT_RANK[reached] >= COMMITMENT_RANK[options.preflightCommitment]) {
          throw preflightFailure(emptyOutcome('AlreadyProcessed'));
        }
        return tx.signature;
      }
      const outcome = await this.#svm.call('simulate', { tx: tx.bytes, sigVerify: true, clock: this.#clockData() });
      if (outcome.err !== null) throw preflightFailure({ ...outcome, err: outcome.err });
    }
    if (landed || this.ledger.get(tx.signature)) return tx.signature;
    if (this.#dropNext > 0) {
      this.#dropNext -= 1;
      return tx.signature;
    }
    await this.#land(tx);
    return tx.signature;
  }

  /** `simulateTransaction`: runs without committing. */
  async simulate(
    bytes: Uint8Array,
    options: { sigVerify: boolean; replaceRecentBlockhash: boolean },
  ): Promise<Simulation> {
    const tx = decodeTransaction(bytes);
    const replacement = options.replaceRecentBlockhash ? this.clock.latestBlockhash() : null;
    const replacementBlockhash = replacement && {
      blockhash: replacement.blockhash,
      lastValidBlockHeight: replacement.lastValidBlockHeight,
    };
    if (options.sigVerify && !verifySignatures(tx))
      return { outcome: emptyOutcome('SignatureFailure'), replacementBlockhash };
    if (!replacement && !this.clock.isBlockhashValid(tx.recentBlockhash)) {
      return { outcome: emptyOutcome('BlockhashNotFound'), replacementBlockhash };
    }
    const outcome = await this.#svm.call('simulate', {
      tx: tx.bytes,
      sigVerify: options.sigVerify,
      clock: this.#clockData(),
    });
    return { outcome, replacementBlockhash };
  }

  /** `requestAirdrop`: a real transfer from the faucet, recorded like any transaction. */
  async airdrop(address: string, lamports: bigint): Promise<string> {
    this.#airdrops += 1;
    const tx = new Transaction({ ...this.#blockhashFields(), feePayer: this.faucet.publicKey }).add(
      // A per-airdrop compute limit keeps two identical airdrops in one block from sharing a signature.
      ComputeBudgetProgram.setComputeUnitLimit({ units: 200_000 + (this.#airdrops & 0xffff) }),
      SystemProgram.transfer({
        fromPubkey: this.faucet.publicKey,
        toPubkey: new PublicKey(address),
        lamports,
      }),
    );
    tx.sign(this.faucet);
    return this.submit(tx.serialize(), { skipPreflight: false, preflightCommitment: 'processed' });
  }

  /** Decimals of each mint (native mints are 9 even without an account); missing mints are absent. */
  async mintDecimals(mints: readonly string[]): Promise<Map<string, number>> {
    const unique = [...new Set(mints)];
    const accounts = await this.accounts(unique);
    const decimals = new Map<string, number>();
    for (const [i, mint] of unique.entries()) {
      const account = accounts[i];
      const parsed = account ? parseMint(account.owner, account.data) : undefined;
      const value = parsed?.decimals ?? nativeMintDecimals(mint);
      if (value !== undefined) decimals.set(mint, value);
    }
    return decimals;
  }

  /** Blockhash fields for transactions the peer signs itself. */
  #blockhashFields(): { blockhash: string; lastValidBlockHeight: number } {
    const { blockhash, lastValidBlockHeight } = this.clock.latestBlockhash();
    return { blockhash, lastValidBlockHeight };
  }

  #clockData(): ClockData {
    const slot = this.clock.slot();
    return { slot: BigInt(slot), unixTimestamp: BigInt(this.clock.blockTime(slot)) };
  }

  async #resolveKeys(tx: DecodedTransaction): Promise<ResolvedKeys> {
    const tables = await this.accounts(tx.lookups.map((lookup) => lookup.accountKey));
    return (
      resolveKeys(tx, tables) ?? {
        keys: tx.staticKeys,
        writable: tx.staticKeys.map((_key, index) => tx.isStaticWritable(index)),
        loaded: { writable: [], readonly: [] },
      }
    );
  }

  async #land(tx: DecodedTransaction): Promise<void> {
    if (!this.clock.isBlockhashValid(tx.recentBlockhash)) return; // expired in flight: never lands
    const keys = await this.#resolveKeys(tx);
    const clock = this.#clockData();
    const { outcome, pre, post } = await this.#svm.call('execute', {
      tx: tx.bytes,
      keys: keys.keys.map(toBytes),
      clock,
    });
    if (outcome.err !== null && !landsWithError(outcome.err)) return;
    const { preTokenBalances, postTokenBalances } = await this.#tokenBalances(pre, post);
    const slot = Number(clock.slot);
    const record: TxRecord = {
      signature: tx.signature,
      slot,
      blockTime: Number(clock.unixTimestamp),
      landedAt: Date.now(),
      tx,
      keys,
      outcome,
      err: outcome.err,
      preBalances: pre.map((account) => account?.lamports ?? 0n),
      postBalances: post.map((account) => account?.lamports ?? 0n),
      preTokenBalances,
      postTokenBalances,
    };
    this.ledger.add(record);
    this.#changed();
  }

  /** Token balances of the token accounts among a transaction's accounts, before and after. */
  async #tokenBalances(
    pre: ReadonlyArray<AccountData | null>,
    post: ReadonlyArray<AccountData | null>,
  ): Promise<{ preTokenBalances: TokenBalance[]; postTokenBalances: TokenBalance[] }> {
    const tokenAccounts = (accounts: ReadonlyArray<AccountData | null>) =>
      accounts.flatMap((account, accountIndex) => {
        if (!account) return [];
        const programId = base58Encode(account.owner);
        const token = parseTokenAccount(programId, account.data);
        return token ? [{ accountIndex, programId, token }] : [];
      });
    const before = tokenAccounts(pre);
    const after = tokenAccounts(post);
    const decimals = await this.mintDecimals([...before, ...after].map((entry) => entry.token.mint));
    const balances = (entries: typeof before): TokenBalance[] =>
      entries.flatMap(({ accountIndex, programId, token }) => {
        const mintDecimals = decimals.get(token.mint);
        if (mintDecimals === undefined) return [];
        return [
          {
            accountIndex,
            mint: token.mint,
            owner: token.owner,
            programId,
            amount: token.amount,
            decimals: mintDecimals,
          },
        ];
      });
    return { preTokenBalances: balances(before), postTokenBalances: balances(after) };
  }
}

function toAccount(account: AccountData): Account {
  return { ...account, owner: base58Encode(account.owner) };
}
