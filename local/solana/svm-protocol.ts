/**
 * Messages between the peer (parent process) and the litesvm host (child process, `svm-host.ts`).
 *
 * Everything crossing the boundary is plain data (Node's `advanced` IPC serialization carries
 * `Uint8Array` and `bigint` as they are); no litesvm object ever leaves the host.
 */

/** An account as stored by the SVM. Keys and owners are 32 raw bytes. */
export interface AccountData {
  lamports: bigint;
  data: Uint8Array;
  owner: Uint8Array;
  executable: boolean;
  rentEpoch: bigint;
}

/** `InstructionError` as Solana serializes it in JSON (`"InvalidArgument"`, `{ "Custom": 1 }`). */
export type InstructionErrorJson = string | { Custom: number } | { BorshIoError: string };

/** `TransactionError` as Solana serializes it in JSON (`"BlockhashNotFound"`, `{ "InstructionError": [0, ...] }`). */
export type TransactionErrorJson =
  | string
  | { InstructionError: [number, InstructionErrorJson] }
  | { DuplicateInstruction: number }
  | { InsufficientFundsForRent: { account_index: number } }
  | { ProgramExecutionTemporarilyRestricted: { account_index: number } };

/** One inner (CPI) instruction, with indexes into the transaction's account keys. */
export interface InnerInstructionData {
  programIdIndex: number;
  accounts: number[];
  data: Uint8Array;
  stackHeight: number;
}

/** What running (or simulating) one transaction produced. */
export interface ExecutionOutcome {
  err: TransactionErrorJson | null;
  logs: string[];
  /** One list per top-level instruction (empty when it made no CPI). */
  innerInstructions: InnerInstructionData[][];
  computeUnits: bigint;
  fee: bigint;
  returnData: { programId: Uint8Array; data: Uint8Array } | null;
}

/** The cluster clock the host sets before running a transaction. */
export interface ClockData {
  slot: bigint;
  unixTimestamp: bigint;
}

/** Requests, by operation: arguments and result. */
export interface HostOps {
  /** Accounts by key (`null` where none exists). */
  accounts: { args: { keys: Uint8Array[] }; result: Array<AccountData | null> };
  /** Writes an account, bypassing the runtime (tests: programs, PDAs, funded wallets). */
  setAccount: { args: { key: Uint8Array; account: AccountData }; result: null };
  /** Runs a signed transaction and returns the listed accounts before and after, atomically. */
  execute: {
    args: { tx: Uint8Array; keys: Uint8Array[]; clock: ClockData };
    result: { outcome: ExecutionOutcome; pre: Array<AccountData | null>; post: Array<AccountData | null> };
  };
  /** Runs a transaction without committing it. */
  simulate: { args: { tx: Uint8Array; sigVerify: boolean; clock: ClockData }; result: ExecutionOutcome };
}

export type HostOp = keyof HostOps;

/** Parent → host. */
export type HostRequest = { [K in HostOp]: { id: number; op: K; args: HostOps[K]['args'] } }[HostOp];

/** Host → parent: first a `ready` message, then one reply per request. */
export type HostMessage =
  | { kind: 'ready' }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: string };
