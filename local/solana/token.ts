/**
 * SPL Token and Token-2022 state, read the way Solana's account decoder reads it for `jsonParsed`:
 * mints and token accounts (with Token-2022's TLV extensions after byte 165), token amounts in UI form.
 * Anything that does not parse (uninitialized state, multisigs, unknown layouts) is `undefined`, and the
 * caller falls back to base64 as a node does.
 */
import { base58Encode } from './codec.js';

export const TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
export const TOKEN_2022_PROGRAM = 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb';
const NATIVE_MINTS = new Set([
  'So11111111111111111111111111111111111111112',
  '9pan9bMn5HatX4EJdBwg9VgCa7Uz5HL8N1m5D3NdXejP',
]);

const MINT_SIZE = 82;
const ACCOUNT_SIZE = 165;
const ACCOUNT_TYPE_MINT = 1;
const ACCOUNT_TYPE_ACCOUNT = 2;

export const isTokenProgram = (program: string): boolean => program === TOKEN_PROGRAM || program === TOKEN_2022_PROGRAM;

/** The `program` label of parsed token data. */
export const tokenProgramLabel = (program: string): string =>
  program === TOKEN_2022_PROGRAM ? 'spl-token-2022' : 'spl-token';

/** `UiTokenAmount`. */
export interface UiTokenAmount {
  amount: string;
  decimals: number;
  uiAmount: number | null;
  uiAmountString: string;
}

/** A decoded token account (the fields the peer needs). */
export interface TokenAccountState {
  mint: string;
  owner: string;
  amount: bigint;
  delegate: string | null;
  state: 'initialized' | 'frozen';
  /** Rent-exempt reserve for native (wrapped SOL) accounts. */
  isNative: bigint | null;
  delegatedAmount: bigint;
  closeAuthority: string | null;
  extensions: ParsedExtension[];
}

/** A decoded mint. */
export interface MintState {
  mintAuthority: string | null;
  supply: bigint;
  decimals: number;
  freezeAuthority: string | null;
  extensions: ParsedExtension[];
}

/** One Token-2022 extension as `jsonParsed` shows it. */
export type ParsedExtension = { extension: string; state?: Record<string, unknown> };

/** `amount` with `decimals` as Solana prints it: no exponent, trailing zeros trimmed. */
export function uiAmountString(amount: bigint, decimals: number): string {
  if (decimals === 0) return amount.toString();
  const digits = amount.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

export function uiTokenAmount(amount: bigint, decimals: number): UiTokenAmount {
  const text = uiAmountString(amount, decimals);
  return { amount: amount.toString(), decimals, uiAmount: Number(text), uiAmountString: text };
}

const view = (data: Uint8Array): DataView => new DataView(data.buffer, data.byteOffset, data.byteLength);
const key = (data: Uint8Array, at: number): string => base58Encode(data.subarray(at, at + 32));
const optionalKey = (data: Uint8Array, at: number): string | null =>
  view(data).getUint32(at, true) === 1 ? key(data, at + 4) : null;
/** Token-2022's `OptionalNonZeroPubkey`: all zeros means none. */
const nonZeroKey = (data: Uint8Array, at: number): string | null =>
  data.subarray(at, at + 32).some((byte) => byte !== 0) ? key(data, at) : null;

/** Which kind of token state `data` holds for `program`, if any. */
function layoutOf(program: string, data: Uint8Array): 'mint' | 'account' | undefined {
  if (!isTokenProgram(program)) return undefined;
  if (data.length === ACCOUNT_SIZE) return 'account';
  if (data.length === MINT_SIZE) return 'mint';
  if (program !== TOKEN_2022_PROGRAM || data.length <= ACCOUNT_SIZE) return undefined;
  if (data[ACCOUNT_SIZE] === ACCOUNT_TYPE_ACCOUNT) return 'account';
  if (data[ACCOUNT_SIZE] === ACCOUNT_TYPE_MINT) return 'mint';
  return undefined;
}

/** A token account of either program, or `undefined`. */
export function parseTokenAccount(program: string, data: Uint8Array): TokenAccountState | undefined {
  if (layoutOf(program, data) !== 'account') return undefined;
  const dv = view(data);
  const state = data[108];
  if (state !== 1 && state !== 2) return undefined;
  return {
    mint: key(data, 0),
    owner: key(data, 32),
    amount: dv.getBigUint64(64, true),
    delegate: optionalKey(data, 72),
    state: state === 2 ? 'frozen' : 'initialized',
    isNative: dv.getUint32(109, true) === 1 ? dv.getBigUint64(113, true) : null,
    delegatedAmount: dv.getBigUint64(121, true),
    closeAuthority: optionalKey(data, 129),
    extensions: parseExtensions(data),
  };
}

/** A mint of either program, or `undefined`. */
export function parseMint(program: string, data: Uint8Array): MintState | undefined {
  if (layoutOf(program, data) !== 'mint' || data[45] !== 1) return undefined;
  return {
    mintAuthority: optionalKey(data, 0),
    supply: view(data).getBigUint64(36, true),
    decimals: data[44] ?? 0,
    freezeAuthority: optionalKey(data, 46),
    extensions: parseExtensions(data),
  };
}

/** Token-2022 TLV entries after the account-type byte; the common ones with their state, others by name. */
function parseExtensions(data: Uint8Array): ParsedExtension[] {
  const out: ParsedExtension[] = [];
  const dv = view(data);
  let at = ACCOUNT_SIZE + 1;
  while (at + 4 <= data.length) {
    const type = dv.getUint16(at, true);
    const length = dv.getUint16(at + 2, true);
    const value = data.subarray(at + 4, at + 4 + length);
    if (type === 0) break;
    out.push(parseExtension(type, value));
    at += 4 + length;
  }
  return out;
}

function parseExtension(type: number, value: Uint8Array): ParsedExtension {
  switch (type) {
    case 3:
      return { extension: 'mintCloseAuthority', state: { closeAuthority: nonZeroKey(value, 0) } };
    case 6:
      return {
        extension: 'defaultAccountState',
        state: { accountState: value[0] === 2 ? 'frozen' : value[0] === 1 ? 'initialized' : 'uninitialized' },
      };
    case 7:
      return { extension: 'immutableOwner' };
    case 8:
      return { extension: 'memoTransfer', state: { requireIncomingTransferMemos: value[0] === 1 } };
    case 9:
      return { extension: 'nonTransferable' };
    case 11:
      return { extension: 'cpiGuard', state: { lockCpi: value[0] === 1 } };
    case 12:
      return { extension: 'permanentDelegate', state: { delegate: nonZeroKey(value, 0) } };
    case 13:
      return { extension: 'nonTransferableAccount' };
    case 18:
      return {
        extension: 'metadataPointer',
        state: { authority: nonZeroKey(value, 0), metadataAddress: nonZeroKey(value, 32) },
      };
    default:
      return { extension: 'unparseableExtension' };
  }
}

/** `parsed` of a token account in `jsonParsed`, given its mint's decimals. */
export function tokenAccountJson(account: TokenAccountState, decimals: number): Record<string, unknown> {
  const info: Record<string, unknown> = {
    isNative: account.isNative !== null,
    mint: account.mint,
    owner: account.owner,
    state: account.state,
    tokenAmount: uiTokenAmount(account.amount, decimals),
  };
  if (account.closeAuthority !== null) info.closeAuthority = account.closeAuthority;
  if (account.delegate !== null) {
    info.delegate = account.delegate;
    info.delegatedAmount = uiTokenAmount(account.delegatedAmount, decimals);
  }
  if (account.isNative !== null) info.rentExemptReserve = uiTokenAmount(account.isNative, decimals);
  if (account.extensions.length > 0) info.extensions = account.extensions;
  return { info, type: 'account' };
}

/** `parsed` of a mint in `jsonParsed`. */
export function mintJson(mint: MintState): Record<string, unknown> {
  const info: Record<string, unknown> = {
    decimals: mint.decimals,
    freezeAuthority: mint.freezeAuthority,
    isInitialized: true,
    mintAuthority: mint.mintAuthority,
    supply: mint.supply.toString(),
  };
  if (mint.extensions.length > 0) info.extensions = mint.extensions;
  return { info, type: 'mint' };
}

/** Native mints have 9 decimals whether or not their mint account exists. */
export const nativeMintDecimals = (mint: string): number | undefined => (NATIVE_MINTS.has(mint) ? 9 : undefined);
