/**
 * RPC shapes of accounts and transactions (the `UiAccount` and `EncodedConfirmedTransactionWithStatusMeta`
 * of Solana's RPC), in the encodings the peer supports:
 * - accounts: `base64`, `base58` (≤ 128 bytes, like Solana), legacy `binary`, and `jsonParsed` for SPL
 *   Token / Token-2022 mints and token accounts (anything else falls back to base64, as a node does);
 * - transactions: `json`, `jsonParsed`, `base64`, `base58`.
 */
import type { Account, Chain } from './chain.js';
import { base58Encode, base64Encode } from './codec.js';
import { invalidRequest } from './errors.js';
import { type ParsedInstructionJson, parseInstruction } from './instructions.js';
import type { TokenBalance, TxRecord } from './ledger.js';
import {
  isTokenProgram,
  mintJson,
  parseMint,
  parseTokenAccount,
  tokenAccountJson,
  tokenProgramLabel,
  uiTokenAmount,
} from './token.js';

export type AccountEncoding = 'binary' | 'base58' | 'base64' | 'jsonParsed';
export type TransactionEncoding = 'json' | 'jsonParsed' | 'base58' | 'base64';

/** Largest account data Solana encodes as base58. */
const MAX_BASE58_BYTES = 128;

export interface AccountRenderOptions {
  encoding: AccountEncoding;
  dataSlice?: { offset: number; length: number };
}

/** Renders accounts (`null` stays `null`); token accounts in `jsonParsed` look up their mint's decimals. */
export async function renderAccounts(
  chain: Chain,
  accounts: ReadonlyArray<Account | null>,
  options: AccountRenderOptions,
): Promise<unknown[]> {
  const decimals =
    options.encoding === 'jsonParsed'
      ? await chain.mintDecimals(
          accounts.flatMap((account) => {
            const token = account ? parseTokenAccount(account.owner, account.data) : undefined;
            return token ? [token.mint] : [];
          }),
        )
      : new Map<string, number>();
  return accounts.map((account) => account && renderAccount(account, options, decimals));
}

function renderAccount(account: Account, options: AccountRenderOptions, decimals: Map<string, number>): unknown {
  return {
    data: renderData(account, options, decimals),
    executable: account.executable,
    lamports: account.lamports,
    owner: account.owner,
    rentEpoch: account.rentEpoch,
    space: account.data.length,
  };
}

function renderData(account: Account, options: AccountRenderOptions, decimals: Map<string, number>): unknown {
  if (options.encoding === 'jsonParsed') {
    const parsed = parseTokenData(account, decimals);
    if (parsed) return { parsed, program: tokenProgramLabel(account.owner), space: account.data.length };
    return [base64Encode(account.data), 'base64'];
  }
  const slice = options.dataSlice;
  const data = slice ? account.data.subarray(slice.offset, slice.offset + slice.length) : account.data;
  if (options.encoding === 'base64') return [base64Encode(data), 'base64'];
  if (data.length > MAX_BASE58_BYTES) {
    throw invalidRequest(
      `Encoded binary (base 58) data should be less than ${MAX_BASE58_BYTES} bytes, please use Base64 encoding.`,
    );
  }
  return options.encoding === 'base58' ? [base58Encode(data), 'base58'] : base58Encode(data);
}

function parseTokenData(account: Account, decimals: Map<string, number>): unknown {
  if (!isTokenProgram(account.owner)) return undefined;
  const mint = parseMint(account.owner, account.data);
  if (mint) return mintJson(mint);
  const token = parseTokenAccount(account.owner, account.data);
  const mintDecimals = token ? decimals.get(token.mint) : undefined;
  return token && mintDecimals !== undefined ? tokenAccountJson(token, mintDecimals) : undefined;
}

/** A token balance of `meta.pre/postTokenBalances`. */
const tokenBalanceJson = (balance: TokenBalance): unknown => ({
  accountIndex: balance.accountIndex,
  mint: balance.mint,
  owner: balance.owner,
  programId: balance.programId,
  uiTokenAmount: uiTokenAmount(balance.amount, balance.decimals),
});

/** `getTransaction`'s result for a landed transaction. */
export function renderTransaction(
  record: TxRecord,
  encoding: TransactionEncoding,
  maxSupportedTransactionVersion: number | undefined,
): unknown {
  const parsed = encoding === 'jsonParsed';
  const result: Record<string, unknown> = {
    blockTime: record.blockTime,
    meta: renderMeta(record, parsed),
    slot: record.slot,
    transaction:
      encoding === 'base64'
        ? [base64Encode(record.tx.bytes), 'base64']
        : encoding === 'base58'
          ? [base58Encode(record.tx.bytes), 'base58']
          : { message: parsed ? parsedMessage(record) : jsonMessage(record), signatures: record.tx.signatures },
  };
  if (maxSupportedTransactionVersion !== undefined) result.version = record.tx.version;
  return result;
}

function jsonMessage(record: TxRecord): Record<string, unknown> {
  const { tx } = record;
  const message: Record<string, unknown> = {
    accountKeys: tx.staticKeys,
    header: tx.header,
    instructions: tx.instructions.map((ix) => ({
      accounts: ix.accounts,
      data: base58Encode(ix.data),
      programIdIndex: ix.programIdIndex,
      stackHeight: null,
    })),
    recentBlockhash: tx.recentBlockhash,
  };
  if (tx.version === 0) message.addressTableLookups = tx.lookups;
  return message;
}

function parsedMessage(record: TxRecord): Record<string, unknown> {
  const { tx, keys } = record;
  const staticCount = tx.staticKeys.length;
  const message: Record<string, unknown> = {
    accountKeys: keys.keys.map((pubkey, index) => ({
      pubkey,
      signer: index < tx.header.numRequiredSignatures,
      source: index < staticCount ? 'transaction' : 'lookupTable',
      writable: keys.writable[index] ?? false,
    })),
    instructions: tx.instructions.map((ix) => parsedInstruction(record, ix.programIdIndex, ix.accounts, ix.data, null)),
    recentBlockhash: tx.recentBlockhash,
  };
  if (tx.version === 0) message.addressTableLookups = tx.lookups;
  return message;
}

function parsedInstruction(
  record: TxRecord,
  programIdIndex: number,
  accounts: readonly number[],
  data: Uint8Array,
  stackHeight: number | null,
): ParsedInstructionJson {
  const keys = record.keys.keys;
  return parseInstruction(
    keys[programIdIndex] ?? '',
    accounts.map((index) => keys[index] ?? ''),
    data,
    stackHeight,
  );
}

function renderMeta(record: TxRecord, parsed: boolean): Record<string, unknown> {
  const { outcome } = record;
  const meta: Record<string, unknown> = {
    computeUnitsConsumed: outcome.computeUnits,
    err: record.err,
    fee: outcome.fee,
    innerInstructions: outcome.innerInstructions.flatMap((list, index) =>
      list.length === 0
        ? []
        : [
            {
              index,
              instructions: list.map((ix) =>
                parsed
                  ? parsedInstruction(record, ix.programIdIndex, ix.accounts, ix.data, ix.stackHeight)
                  : {
                      accounts: ix.accounts,
                      data: base58Encode(ix.data),
                      programIdIndex: ix.programIdIndex,
                      stackHeight: ix.stackHeight,
                    },
              ),
            },
          ],
    ),
    logMessages: outcome.logs,
    postBalances: record.postBalances,
    postTokenBalances: record.postTokenBalances.map(tokenBalanceJson),
    preBalances: record.preBalances,
    preTokenBalances: record.preTokenBalances.map(tokenBalanceJson),
    rewards: [],
    status: record.err === null ? { Ok: null } : { Err: record.err },
  };
  if (!parsed) meta.loadedAddresses = record.keys.loaded;
  if (outcome.returnData) {
    meta.returnData = {
      data: [base64Encode(outcome.returnData.data), 'base64'],
      programId: base58Encode(outcome.returnData.programId),
    };
  }
  return meta;
}
