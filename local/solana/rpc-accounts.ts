/**
 * Account RPC methods: balances, account data (base58/base64/jsonParsed, `dataSlice`), batches of up to
 * 100 accounts, and SPL token accounts by owner (scanning every account the chain has touched, since
 * litesvm keeps no owner index). Reads see the latest (processed) state whatever the commitment asked.
 */
import type { Account, Chain } from './chain.js';
import { invalidParams, serdeError } from './errors.js';
import {
  type Config,
  checkMinContextSlot,
  commitmentParam,
  configParam,
  field,
  integerParam,
  positional,
  pubkeyParam,
  required,
  variantParam,
} from './params.js';
import { type AccountEncoding, type AccountRenderOptions, renderAccounts } from './render.js';
import { type MethodContext, type MethodHandler, withContext } from './rpc-context.js';
import { isTokenProgram, parseMint, parseTokenAccount, uiTokenAmount } from './token.js';

/** Most keys `getMultipleAccounts` takes (`MAX_MULTIPLE_ACCOUNTS`). */
export const MAX_MULTIPLE_ACCOUNTS = 100;

const ACCOUNT_ENCODINGS: readonly (AccountEncoding | 'base64+zstd')[] = [
  'binary',
  'base58',
  'base64',
  'jsonParsed',
  'base64+zstd',
];

/** Encoding and `dataSlice` of an account config (`binary`, i.e. plain base58, by default, as Solana). */
function renderOptions(config: Config): AccountRenderOptions {
  const encoding = field(config, 'encoding', (value) => variantParam(value, ACCOUNT_ENCODINGS)) ?? 'binary';
  if (encoding === 'base64+zstd') throw invalidParams('base64+zstd encoding is not supported by the local Solana peer');
  const dataSlice = field(config, 'dataSlice', (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw serdeError('invalid type, expected a map');
    const slice = value as Config;
    return {
      offset: integerParam(required([slice.offset], 0, 1)),
      length: integerParam(required([slice.length], 0, 1)),
    };
  });
  return dataSlice ? { encoding, dataSlice } : { encoding };
}

/** Validates the config at `index` and returns it with the slot the answer is for. */
function readConfig(
  { chain }: MethodContext,
  params: readonly unknown[],
  index: number,
): { config: Config; slot: number } {
  const config = configParam(params, index);
  commitmentParam(config);
  const slot = chain.clock.slot();
  checkMinContextSlot(config, slot);
  return { config, slot };
}

/** Token accounts of `owner` under `programs`, optionally of one mint, among every key the chain touched. */
async function tokenAccountsOf(
  chain: Chain,
  owner: string,
  programs: readonly string[],
  mint: string | undefined,
): Promise<Array<{ pubkey: string; account: Account }>> {
  const addresses = chain.ledger.touched();
  const accounts = await chain.accounts(addresses);
  return addresses.flatMap((pubkey, index) => {
    const account = accounts[index];
    if (!account || !programs.includes(account.owner)) return [];
    const token = parseTokenAccount(account.owner, account.data);
    if (!token || token.owner !== owner || (mint !== undefined && token.mint !== mint)) return [];
    return [{ pubkey, account }];
  });
}

/** `{ mint }` or `{ programId }` of `getTokenAccountsByOwner`, resolved to token programs and a mint. */
async function tokenFilter(chain: Chain, value: unknown): Promise<{ programs: string[]; mint?: string }> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw serdeError('invalid type, expected a map with a single key `mint` or `programId`');
  }
  const filter = value as Config;
  const keys = Object.keys(filter);
  if (keys.length !== 1 || (keys[0] !== 'mint' && keys[0] !== 'programId')) {
    throw serdeError('expected a map with a single key `mint` or `programId`');
  }
  if (keys[0] === 'programId') {
    const programId = pubkeyParam(filter.programId);
    if (!isTokenProgram(programId)) throw invalidParams('Invalid param: unrecognized Token program id');
    return { programs: [programId] };
  }
  const mint = pubkeyParam(filter.mint);
  const account = await chain.account(mint);
  if (!account || !parseMint(account.owner, account.data)) throw invalidParams('Invalid param: could not find mint');
  return { programs: [account.owner], mint };
}

export const ACCOUNT_METHODS: Readonly<Record<string, MethodHandler>> = {
  getBalance: async (context, raw) => {
    const params = positional(raw);
    const address = pubkeyParam(required(params, 0, 1));
    const { slot } = readConfig(context, params, 1);
    const account = await context.chain.account(address);
    return withContext(slot, account?.lamports ?? 0n);
  },

  getAccountInfo: async (context, raw) => {
    const params = positional(raw);
    const address = pubkeyParam(required(params, 0, 1));
    const { config, slot } = readConfig(context, params, 1);
    const options = renderOptions(config);
    const [value] = await renderAccounts(context.chain, [await context.chain.account(address)], options);
    return withContext(slot, value ?? null);
  },

  getMultipleAccounts: async (context, raw) => {
    const params = positional(raw);
    const list = required(params, 0, 1);
    if (!Array.isArray(list)) throw serdeError('invalid type: expected a sequence of pubkeys');
    if (list.length > MAX_MULTIPLE_ACCOUNTS) {
      throw invalidParams(`Too many inputs provided; max ${MAX_MULTIPLE_ACCOUNTS}`);
    }
    const addresses = list.map(pubkeyParam);
    const { config, slot } = readConfig(context, params, 1);
    const options = renderOptions(config);
    return withContext(slot, await renderAccounts(context.chain, await context.chain.accounts(addresses), options));
  },

  getTokenAccountsByOwner: async (context, raw) => {
    const params = positional(raw);
    const owner = pubkeyParam(required(params, 0, 2));
    const filter = await tokenFilter(context.chain, required(params, 1, 2));
    const { config, slot } = readConfig(context, params, 2);
    const options = renderOptions(config);
    const found = await tokenAccountsOf(context.chain, owner, filter.programs, filter.mint);
    const rendered = await renderAccounts(
      context.chain,
      found.map((entry) => entry.account),
      options,
    );
    return withContext(
      slot,
      found.map((entry, index) => ({ account: rendered[index], pubkey: entry.pubkey })),
    );
  },

  getTokenAccountBalance: async (context, raw) => {
    const params = positional(raw);
    const address = pubkeyParam(required(params, 0, 1));
    const { slot } = readConfig(context, params, 1);
    const account = await context.chain.account(address);
    if (!account) throw invalidParams('Invalid param: could not find account');
    const token = parseTokenAccount(account.owner, account.data);
    if (!token) throw invalidParams('Invalid param: not a Token account');
    const decimals = (await context.chain.mintDecimals([token.mint])).get(token.mint);
    if (decimals === undefined) throw invalidParams('Invalid param: could not find mint');
    return withContext(slot, uiTokenAmount(token.amount, decimals));
  },
};
