/**
 * `jsonParsed` instructions, as Solana's transaction-status parser shows them, for the programs the
 * desk uses: System (transfer, createAccount, assign, allocate), SPL Token / Token-2022 (transfers,
 * mints, burns, close, initialization), the associated token account program and memo. Any other
 * instruction is shown partially decoded (`programId`, `accounts`, base58 `data`), as a node does.
 */
import { base58Encode } from './codec.js';
import { TOKEN_2022_PROGRAM, TOKEN_PROGRAM, uiTokenAmount } from './token.js';

const SYSTEM_PROGRAM = '11111111111111111111111111111111';
const ATA_PROGRAM = 'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL';
const MEMO_PROGRAMS = new Set([
  'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr',
  'Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo',
]);

/** An instruction in `jsonParsed` form. */
export type ParsedInstructionJson =
  | { program: string; programId: string; parsed: unknown; stackHeight: number | null }
  | { programId: string; accounts: string[]; data: string; stackHeight: number | null };

type Parsed = { program: string; parsed: unknown };

/** Parses one instruction; `accounts` are addresses already resolved from the account keys. */
export function parseInstruction(
  programId: string,
  accounts: readonly string[],
  data: Uint8Array,
  stackHeight: number | null,
): ParsedInstructionJson {
  let parsed: Parsed | undefined;
  try {
    parsed = parseKnown(programId, accounts, data);
  } catch {
    parsed = undefined; // truncated data: shown raw
  }
  return parsed
    ? { program: parsed.program, programId, parsed: parsed.parsed, stackHeight }
    : { programId, accounts: [...accounts], data: base58Encode(data), stackHeight };
}

function parseKnown(programId: string, accounts: readonly string[], data: Uint8Array): Parsed | undefined {
  if (programId === SYSTEM_PROGRAM) return parseSystem(accounts, data);
  if (programId === TOKEN_PROGRAM || programId === TOKEN_2022_PROGRAM) {
    const parsed = parseToken(accounts, data);
    return parsed === undefined
      ? undefined
      : { program: programId === TOKEN_PROGRAM ? 'spl-token' : 'spl-token-2022', parsed };
  }
  if (programId === ATA_PROGRAM) return parseAssociatedTokenAccount(accounts, data);
  if (MEMO_PROGRAMS.has(programId)) {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    return { program: 'spl-memo', parsed: text };
  }
  return undefined;
}

const view = (data: Uint8Array): DataView => new DataView(data.buffer, data.byteOffset, data.byteLength);
const u64 = (data: Uint8Array, at: number): bigint => {
  if (at + 8 > data.length) throw new RangeError('truncated');
  return view(data).getBigUint64(at, true);
};
const pubkey = (data: Uint8Array, at: number): string => {
  if (at + 32 > data.length) throw new RangeError('truncated');
  return base58Encode(data.subarray(at, at + 32));
};
const need = (accounts: readonly string[], count: number): void => {
  if (accounts.length < count) throw new RangeError('not enough accounts');
};

function parseSystem(accounts: readonly string[], data: Uint8Array): Parsed | undefined {
  if (data.length < 4) return undefined;
  const kind = view(data).getUint32(0, true);
  const system = (type: string, info: Record<string, unknown>): Parsed => ({
    program: 'system',
    parsed: { info, type },
  });
  switch (kind) {
    case 0:
      need(accounts, 2);
      return system('createAccount', {
        lamports: u64(data, 4),
        newAccount: accounts[1],
        owner: pubkey(data, 20),
        source: accounts[0],
        space: u64(data, 12),
      });
    case 1:
      need(accounts, 1);
      return system('assign', { account: accounts[0], owner: pubkey(data, 4) });
    case 2:
      need(accounts, 2);
      return system('transfer', { destination: accounts[1], lamports: u64(data, 4), source: accounts[0] });
    case 8:
      need(accounts, 1);
      return system('allocate', { account: accounts[0], space: u64(data, 4) });
    default:
      return undefined;
  }
}

/** `authority` for a single signer, `multisig<Name>` + `signers` for a multisig. */
function authority(name: string, accounts: readonly string[], index: number): Record<string, unknown> {
  need(accounts, index + 1);
  if (accounts.length === index + 1) return { [name]: accounts[index] };
  const multisig = `multisig${name[0]!.toUpperCase()}${name.slice(1)}`;
  return { [multisig]: accounts[index], signers: accounts.slice(index + 1) };
}

function parseToken(accounts: readonly string[], data: Uint8Array): unknown {
  const kind = data[0];
  const token = (type: string, info: Record<string, unknown>): unknown => ({ info, type });
  switch (kind) {
    case 3:
      need(accounts, 3);
      return token('transfer', {
        amount: u64(data, 1).toString(),
        destination: accounts[1],
        source: accounts[0],
        ...authority('authority', accounts, 2),
      });
    case 7:
      need(accounts, 3);
      return token('mintTo', {
        account: accounts[1],
        amount: u64(data, 1).toString(),
        mint: accounts[0],
        ...authority('mintAuthority', accounts, 2),
      });
    case 8:
      need(accounts, 3);
      return token('burn', {
        account: accounts[0],
        amount: u64(data, 1).toString(),
        mint: accounts[1],
        ...authority('authority', accounts, 2),
      });
    case 9:
      need(accounts, 3);
      return token('closeAccount', {
        account: accounts[0],
        destination: accounts[1],
        ...authority('owner', accounts, 2),
      });
    case 12:
      need(accounts, 4);
      return token('transferChecked', {
        destination: accounts[2],
        mint: accounts[1],
        source: accounts[0],
        tokenAmount: uiTokenAmount(u64(data, 1), data[9] ?? 0),
        ...authority('authority', accounts, 3),
      });
    case 14:
      need(accounts, 3);
      return token('mintToChecked', {
        account: accounts[1],
        mint: accounts[0],
        tokenAmount: uiTokenAmount(u64(data, 1), data[9] ?? 0),
        ...authority('mintAuthority', accounts, 2),
      });
    case 15:
      need(accounts, 3);
      return token('burnChecked', {
        account: accounts[0],
        mint: accounts[1],
        tokenAmount: uiTokenAmount(u64(data, 1), data[9] ?? 0),
        ...authority('authority', accounts, 2),
      });
    case 18:
      need(accounts, 2);
      return token('initializeAccount3', { account: accounts[0], mint: accounts[1], owner: pubkey(data, 1) });
    case 20: {
      need(accounts, 1);
      const info: Record<string, unknown> = {
        decimals: data[1],
        mint: accounts[0],
        mintAuthority: pubkey(data, 2),
      };
      if (data[34] === 1) info.freezeAuthority = pubkey(data, 35);
      return token('initializeMint2', info);
    }
    case 22:
      need(accounts, 1);
      return token('initializeImmutableOwner', { account: accounts[0] });
    default:
      return undefined;
  }
}

function parseAssociatedTokenAccount(accounts: readonly string[], data: Uint8Array): Parsed | undefined {
  const kind = data.length === 0 ? 0 : data[0];
  if (kind !== 0 && kind !== 1) return undefined;
  need(accounts, 6);
  return {
    program: 'spl-associated-token-account',
    parsed: {
      info: {
        account: accounts[1],
        mint: accounts[3],
        source: accounts[0],
        systemProgram: accounts[4],
        tokenProgram: accounts[5],
        wallet: accounts[2],
      },
      type: kind === 0 ? 'create' : 'createIdempotent',
    },
  };
}
