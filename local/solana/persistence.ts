/**
 * The local chain in a file, so that `npm run dev` restarted finds the chain it left: the clock's
 * origin (slots keep counting), the faucet, every account the chain has touched (lamports, data,
 * owner) and every landed transaction (what `getTransaction`, `getSignaturesForAddress` and the web
 * chat's transaction page read).
 *
 * Not kept: programs and sysvars (litesvm brings its own on every start), the blockhashes handed
 * out (a transaction signed before the restart is refused with `BlockhashNotFound`, as after an
 * expiry: the payout flow signs it anew), the RPC call log and the endpoints' switches.
 */
import { Keypair } from '@solana/web3.js';
import * as z from 'zod/mini';
import { Base64, BigIntString, fromBase64, LocalStateError, readState, StateSaver, toBase64 } from '../state-file.js';
import type { Account, Chain } from './chain.js';
import { SlotClock } from './clock.js';
import type { TokenBalance, TxRecord } from './ledger.js';
import type { ExecutionOutcome, InstructionErrorJson, TransactionErrorJson } from './svm-protocol.js';
import { decodeTransaction } from './transaction.js';

/** Owners whose accounts litesvm makes itself: never written back. */
const BUILT_IN_OWNERS = new Set([
  'Sysvar1111111111111111111111111111111111111',
  'NativeLoader1111111111111111111111111111111',
  'BPFLoader1111111111111111111111111111111111',
  'BPFLoader2111111111111111111111111111111111',
  'BPFLoaderUpgradeab1e11111111111111111111111',
  'LoaderV411111111111111111111111111111111111',
]);

const Address = z.string().check(z.regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/, 'a base58 address'));
const Int = z.int().check(z.nonnegative());

const AccountState = z.object({
  address: Address,
  lamports: BigIntString,
  data: Base64,
  owner: Address,
  rentEpoch: BigIntString,
});

const InstructionError: z.ZodMiniType<InstructionErrorJson> = z.union([
  z.string(),
  z.object({ Custom: z.int() }),
  z.object({ BorshIoError: z.string() }),
]);
const TransactionError: z.ZodMiniType<TransactionErrorJson> = z.union([
  z.string(),
  z.object({ InstructionError: z.tuple([z.int(), InstructionError]) }),
  z.object({ DuplicateInstruction: z.int() }),
  z.object({ InsufficientFundsForRent: z.object({ account_index: z.int() }) }),
  z.object({ ProgramExecutionTemporarilyRestricted: z.object({ account_index: z.int() }) }),
]);

const TokenBalanceState = z.object({
  accountIndex: Int,
  mint: Address,
  owner: Address,
  programId: Address,
  amount: BigIntString,
  decimals: Int,
});

const TransactionState = z.object({
  bytes: Base64,
  slot: Int,
  blockTime: Int,
  landedAt: Int,
  keys: z.object({
    keys: z.array(Address),
    writable: z.array(z.boolean()),
    loaded: z.object({ writable: z.array(Address), readonly: z.array(Address) }),
  }),
  outcome: z.object({
    err: z.nullable(TransactionError),
    logs: z.array(z.string()),
    innerInstructions: z.array(
      z.array(z.object({ programIdIndex: Int, accounts: z.array(Int), data: Base64, stackHeight: Int })),
    ),
    computeUnits: BigIntString,
    fee: BigIntString,
    returnData: z.nullable(z.object({ programId: Base64, data: Base64 })),
  }),
  preBalances: z.array(BigIntString),
  postBalances: z.array(BigIntString),
  preTokenBalances: z.array(TokenBalanceState),
  postTokenBalances: z.array(TokenBalanceState),
});

/** The file's shape. */
export const ChainStateSchema = z.object({
  version: z.literal(1),
  clock: z.object({ startedAt: Int, seed: Base64 }),
  /** The faucet's 64-byte secret key (a local key that pays airdrops and test fees). */
  faucet: Base64,
  accounts: z.array(AccountState),
  transactions: z.array(TransactionState),
});
export type ChainState = z.infer<typeof ChainStateSchema>;

const WHAT = 'local chain state';

/** The chain kept in `file`, or `undefined` when there is none yet; throws `LocalStateError` when it is invalid. */
export function readChainState(file: string): Promise<ChainState | undefined> {
  return readState(file, ChainStateSchema, WHAT);
}

/** The clock a restored chain continues (the same origin: its slots keep counting), or a new one. */
export function restoredClock(options: SlotClock['options'], state: ChainState | undefined): SlotClock {
  return new SlotClock(options, state && { startedAt: state.clock.startedAt, seed: fromBase64(state.clock.seed) });
}

/** The restored chain's faucet. */
export function restoredFaucet(state: ChainState, file: string): Keypair {
  try {
    return Keypair.fromSecretKey(fromBase64(state.faucet));
  } catch (error) {
    throw new LocalStateError(file, WHAT, `faucet: ${(error as Error).message}`);
  }
}

/**
 * Writes the saved accounts into `chain` and its ledger's transactions back, in landing order. A
 * transaction that no longer decodes fails as `LocalStateError` naming `file`.
 */
export async function restoreChain(chain: Chain, state: ChainState, file: string): Promise<void> {
  let records: TxRecord[];
  try {
    records = state.transactions.map(txRecord);
  } catch (error) {
    throw new LocalStateError(file, WHAT, `a transaction does not decode: ${(error as Error).message}`);
  }
  for (const account of state.accounts) {
    await chain.setAccount(account.address, {
      lamports: BigInt(account.lamports),
      data: fromBase64(account.data),
      owner: account.owner,
      executable: false,
      rentEpoch: BigInt(account.rentEpoch),
    });
  }
  for (const record of records) chain.ledger.add(record);
}

/** Saves `chain` to `file` a moment after each change (and on `flush()`). */
export function chainSaver(chain: Chain, file: string): StateSaver {
  const saver = new StateSaver(file, () => chainState(chain));
  chain.onChange(() => saver.changed());
  return saver;
}

/** Everything of `chain` the file keeps. */
export async function chainState(chain: Chain): Promise<ChainState> {
  const addresses = chain.ledger.touched();
  const accounts = await chain.accounts(addresses);
  return {
    version: 1,
    clock: { startedAt: chain.clock.origin.startedAt, seed: toBase64(chain.clock.origin.seed) },
    faucet: toBase64(chain.faucet.secretKey),
    accounts: addresses.flatMap((address, i) => {
      const account = accounts[i];
      return account && kept(account) ? [accountState(address, account)] : [];
    }),
    transactions: [...chain.ledger.records()].map(transactionState),
  };
}

const kept = (account: Account): boolean => !account.executable && !BUILT_IN_OWNERS.has(account.owner);

function accountState(address: string, account: Account): z.infer<typeof AccountState> {
  return {
    address,
    lamports: String(account.lamports),
    data: toBase64(account.data),
    owner: account.owner,
    rentEpoch: String(account.rentEpoch),
  };
}

const tokenBalanceState = (balance: TokenBalance) => ({ ...balance, amount: String(balance.amount) });
const tokenBalance = (state: z.infer<typeof TokenBalanceState>): TokenBalance => ({
  ...state,
  amount: BigInt(state.amount),
});

function transactionState(record: TxRecord): z.infer<typeof TransactionState> {
  const { outcome } = record;
  return {
    bytes: toBase64(record.tx.bytes),
    slot: record.slot,
    blockTime: record.blockTime,
    landedAt: record.landedAt,
    keys: record.keys,
    outcome: {
      err: outcome.err,
      logs: outcome.logs,
      innerInstructions: outcome.innerInstructions.map((list) =>
        list.map((inner) => ({ ...inner, data: toBase64(inner.data) })),
      ),
      computeUnits: String(outcome.computeUnits),
      fee: String(outcome.fee),
      returnData: outcome.returnData && {
        programId: toBase64(outcome.returnData.programId),
        data: toBase64(outcome.returnData.data),
      },
    },
    preBalances: record.preBalances.map(String),
    postBalances: record.postBalances.map(String),
    preTokenBalances: record.preTokenBalances.map(tokenBalanceState),
    postTokenBalances: record.postTokenBalances.map(tokenBalanceState),
  };
}

function txRecord(state: z.infer<typeof TransactionState>): TxRecord {
  const tx = decodeTransaction(fromBase64(state.bytes));
  const outcome: ExecutionOutcome = {
    err: state.outcome.err,
    logs: state.outcome.logs,
    innerInstructions: state.outcome.innerInstructions.map((list) =>
      list.map((inner) => ({ ...inner, data: fromBase64(inner.data) })),
    ),
    computeUnits: BigInt(state.outcome.computeUnits),
    fee: BigInt(state.outcome.fee),
    returnData: state.outcome.returnData && {
      programId: fromBase64(state.outcome.returnData.programId),
      data: fromBase64(state.outcome.returnData.data),
    },
  };
  return {
    signature: tx.signature,
    slot: state.slot,
    blockTime: state.blockTime,
    landedAt: state.landedAt,
    tx,
    keys: state.keys,
    outcome,
    err: outcome.err,
    preBalances: state.preBalances.map(BigInt),
    postBalances: state.postBalances.map(BigInt),
    preTokenBalances: state.preTokenBalances.map(tokenBalance),
    postTokenBalances: state.postTokenBalances.map(tokenBalance),
  };
}
