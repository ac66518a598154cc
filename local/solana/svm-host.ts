/**
 * The litesvm host: a child process that owns one SVM and answers `HostRequest`s over IPC.
 *
 * Why a separate process: litesvm 0.8.0's x86-64 SBF JIT leaves the MMX/x87 register state dirty
 * after programs that make register-indirect calls (the ATA and memo programs do; see
 * anza-xyz/sbpf#197 and LiteSVM/litesvm#171). In the thread that called the binding, V8 then
 * computes `NaN` for `%` in optimized code and aborts in GC with `std::bad_alloc`. So the binding never
 * runs in the peer's process: this host is started with `--no-allocation-site-pretenuring` (the GC path
 * that uses x87), does no floating-point work of its own, and only shuttles bytes.
 *
 * This file is bundled on its own by `svm.ts` (esbuild); it must import only Node builtins.
 */
import { createRequire } from 'node:module';
import type {
  AccountData,
  ClockData,
  ExecutionOutcome,
  HostMessage,
  HostOp,
  HostOps,
  HostRequest,
  InstructionErrorJson,
  TransactionErrorJson,
} from './svm-protocol.js';

// ---- The subset of the napi binding (`litesvm-linux-x64-gnu`) used here --------------------------------

interface BindingAccount {
  lamports(): bigint;
  data(): Uint8Array;
  owner(): Uint8Array;
  executable(): boolean;
  rentEpoch(): bigint;
}
interface BindingCompiledInstruction {
  programIdIndex(): number;
  accounts(): Uint8Array;
  data(): Uint8Array;
}
interface BindingInnerInstruction {
  instruction(): BindingCompiledInstruction;
  stackHeight(): number;
}
interface BindingMeta {
  logs(): string[];
  innerInstructions(): BindingInnerInstruction[][];
  computeUnitsConsumed(): bigint;
  returnData(): { programId(): Uint8Array; data(): Uint8Array };
  toString(): string;
}
interface BindingFailed {
  err(): unknown;
  meta(): BindingMeta;
}
interface BindingSimulated {
  meta(): BindingMeta;
}
interface BindingClock {
  slot: bigint;
  unixTimestamp: bigint;
}
interface BindingSvm {
  setBlockhashCheck(check: boolean): void;
  setSigverify(sigverify: boolean): void;
  withNativeMints(): void;
  getAccount(pubkey: Uint8Array): BindingAccount | null;
  setAccount(pubkey: Uint8Array, account: BindingAccount): void;
  sendVersionedTransaction(tx: Uint8Array): BindingMeta | BindingFailed;
  simulateVersionedTransaction(tx: Uint8Array): BindingSimulated | BindingFailed;
  getClock(): BindingClock;
  setClock(clock: BindingClock): void;
}
type Ctor<T> = abstract new (...args: never[]) => T;
interface Binding {
  LiteSvm: new () => BindingSvm;
  Account: new (
    lamports: bigint,
    data: Uint8Array,
    owner: Uint8Array,
    executable: boolean,
    rentEpoch: bigint,
  ) => BindingAccount;
  FailedTransactionMetadata: Ctor<BindingFailed>;
  TransactionErrorInstructionError: Ctor<{ index: number; err(): unknown }>;
  TransactionErrorDuplicateInstruction: Ctor<{ index: number }>;
  TransactionErrorInsufficientFundsForRent: Ctor<{ accountIndex: number }>;
  TransactionErrorProgramExecutionTemporarilyRestricted: Ctor<{ accountIndex: number }>;
  InstructionErrorCustom: Ctor<{ code: number }>;
  InstructionErrorBorshIo: Ctor<{ msg: string }>;
}

/** `TransactionErrorFieldless` of the binding, by discriminant (napi `const enum`s have no runtime object). */
const FIELDLESS_TRANSACTION_ERRORS = [
  'AccountInUse',
  'AccountLoadedTwice',
  'AccountNotFound',
  'ProgramAccountNotFound',
  'InsufficientFundsForFee',
  'InvalidAccountForFee',
  'AlreadyProcessed',
  'BlockhashNotFound',
  'CallChainTooDeep',
  'MissingSignatureForFee',
  'InvalidAccountIndex',
  'SignatureFailure',
  'InvalidProgramForExecution',
  'SanitizeFailure',
  'ClusterMaintenance',
  'AccountBorrowOutstanding',
  'WouldExceedMaxBlockCostLimit',
  'UnsupportedVersion',
  'InvalidWritableAccount',
  'WouldExceedMaxAccountCostLimit',
  'WouldExceedAccountDataBlockLimit',
  'TooManyAccountLocks',
  'AddressLookupTableNotFound',
  'InvalidAddressLookupTableOwner',
  'InvalidAddressLookupTableData',
  'InvalidAddressLookupTableIndex',
  'InvalidRentPayingAccount',
  'WouldExceedMaxVoteCostLimit',
  'WouldExceedAccountDataTotalLimit',
  'MaxLoadedAccountsDataSizeExceeded',
  'ResanitizationNeeded',
  'UnbalancedTransaction',
  'ProgramCacheHitMaxLimit',
  'CommitCancelled',
] as const;

/** `InstructionErrorFieldless` of the binding, by discriminant. */
const FIELDLESS_INSTRUCTION_ERRORS = [
  'GenericError',
  'InvalidArgument',
  'InvalidInstructionData',
  'InvalidAccountData',
  'AccountDataTooSmall',
  'InsufficientFunds',
  'IncorrectProgramId',
  'MissingRequiredSignature',
  'AccountAlreadyInitialized',
  'UninitializedAccount',
  'UnbalancedInstruction',
  'ModifiedProgramId',
  'ExternalAccountLamportSpend',
  'ExternalAccountDataModified',
  'ReadonlyLamportChange',
  'ReadonlyDataModified',
  'DuplicateAccountIndex',
  'ExecutableModified',
  'RentEpochModified',
  'NotEnoughAccountKeys',
  'AccountDataSizeChanged',
  'AccountNotExecutable',
  'AccountBorrowFailed',
  'AccountBorrowOutstanding',
  'DuplicateAccountOutOfSync',
  'InvalidError',
  'ExecutableDataModified',
  'ExecutableLamportChange',
  'ExecutableAccountNotRentExempt',
  'UnsupportedProgramId',
  'CallDepth',
  'MissingAccount',
  'ReentrancyNotAllowed',
  'MaxSeedLengthExceeded',
  'InvalidSeeds',
  'InvalidRealloc',
  'ComputationalBudgetExceeded',
  'PrivilegeEscalation',
  'ProgramEnvironmentSetupFailure',
  'ProgramFailedToComplete',
  'ProgramFailedToCompile',
  'Immutable',
  'IncorrectAuthority',
  'AccountNotRentExempt',
  'InvalidAccountOwner',
  'ArithmeticOverflow',
  'UnsupportedSysvar',
  'IllegalOwner',
  'MaxAccountsDataAllocationsExceeded',
  'MaxAccountsExceeded',
  'MaxInstructionTraceLengthExceeded',
  'BuiltinProgramsMustConsumeComputeUnits',
  'BorshIoError',
] as const;

const send = (message: HostMessage): void => {
  process.send?.(message);
};

function loadBinding(): Binding {
  // argv[1] is the project root's package.json, handed over by svm.ts, so resolution does not depend on cwd.
  const require = createRequire(process.argv[1] ?? `${process.cwd()}/package.json`);
  return require('litesvm-linux-x64-gnu') as Binding;
}

function instructionError(binding: Binding, error: unknown): InstructionErrorJson {
  if (typeof error === 'number') return FIELDLESS_INSTRUCTION_ERRORS[error] ?? `InstructionError${error}`;
  if (error instanceof binding.InstructionErrorCustom) return { Custom: error.code };
  if (error instanceof binding.InstructionErrorBorshIo) return { BorshIoError: error.msg };
  return 'GenericError';
}

function transactionError(binding: Binding, error: unknown): TransactionErrorJson {
  if (typeof error === 'number') return FIELDLESS_TRANSACTION_ERRORS[error] ?? `TransactionError${error}`;
  if (error instanceof binding.TransactionErrorInstructionError) {
    return { InstructionError: [error.index, instructionError(binding, error.err())] };
  }
  if (error instanceof binding.TransactionErrorDuplicateInstruction) return { DuplicateInstruction: error.index };
  if (error instanceof binding.TransactionErrorInsufficientFundsForRent) {
    return { InsufficientFundsForRent: { account_index: error.accountIndex } };
  }
  if (error instanceof binding.TransactionErrorProgramExecutionTemporarilyRestricted) {
    return { ProgramExecutionTemporarilyRestricted: { account_index: error.accountIndex } };
  }
  return 'SanitizeFailure';
}

/** The binding exposes the fee only in the metadata's `Debug` text (`..., fee: 5000 })`). */
function feeOf(meta: BindingMeta): bigint {
  const match = /\bfee: (\d+)/.exec(meta.toString());
  return match ? BigInt(match[1]!) : 0n;
}

function outcomeOf(binding: Binding, result: BindingMeta | BindingFailed | BindingSimulated): ExecutionOutcome {
  const failed = result instanceof binding.FailedTransactionMetadata ? (result as BindingFailed) : undefined;
  const meta = failed ? failed.meta() : 'meta' in result ? result.meta() : result;
  const returned = meta.returnData();
  const returnedData = returned.data();
  return {
    err: failed ? transactionError(binding, failed.err()) : null,
    logs: meta.logs(),
    innerInstructions: meta.innerInstructions().map((list) =>
      list.map((inner) => {
        const ix = inner.instruction();
        return {
          programIdIndex: ix.programIdIndex(),
          accounts: [...ix.accounts()],
          data: ix.data(),
          stackHeight: inner.stackHeight(),
        };
      }),
    ),
    computeUnits: meta.computeUnitsConsumed(),
    fee: feeOf(meta),
    returnData: returnedData.length > 0 ? { programId: returned.programId(), data: returnedData } : null,
  };
}

function accountData(account: BindingAccount | null): AccountData | null {
  if (account === null) return null;
  return {
    lamports: account.lamports(),
    data: account.data(),
    owner: account.owner(),
    executable: account.executable(),
    rentEpoch: account.rentEpoch(),
  };
}

function serve(binding: Binding): void {
  const svm = new binding.LiteSvm();
  // Blockhash age is checked by the peer (150 blocks, like Solana); litesvm only knows its latest one.
  svm.setBlockhashCheck(false);
  svm.setSigverify(true);
  svm.withNativeMints();

  const setClock = (clock: ClockData): void => {
    const current = svm.getClock();
    current.slot = clock.slot;
    current.unixTimestamp = clock.unixTimestamp;
    svm.setClock(current);
  };
  const accounts = (keys: Uint8Array[]): Array<AccountData | null> =>
    keys.map((key) => accountData(svm.getAccount(key)));

  const handlers: { [K in HostOp]: (args: HostOps[K]['args']) => HostOps[K]['result'] } = {
    accounts: ({ keys }) => accounts(keys),
    setAccount: ({ key, account }) => {
      svm.setAccount(
        key,
        new binding.Account(account.lamports, account.data, account.owner, account.executable, account.rentEpoch),
      );
      return null;
    },
    execute: ({ tx, keys, clock }) => {
      setClock(clock);
      const pre = accounts(keys);
      const outcome = outcomeOf(binding, svm.sendVersionedTransaction(tx));
      return { outcome, pre, post: accounts(keys) };
    },
    simulate: ({ tx, sigVerify, clock }) => {
      setClock(clock);
      svm.setSigverify(sigVerify);
      try {
        return outcomeOf(binding, svm.simulateVersionedTransaction(tx));
      } finally {
        svm.setSigverify(true);
      }
    },
  };

  process.on('message', (request: HostRequest) => {
    try {
      const handler = handlers[request.op] as (args: HostRequest['args']) => unknown;
      send({ kind: 'reply', id: request.id, ok: true, value: handler(request.args) });
    } catch (error) {
      send({ kind: 'reply', id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  });
  // The parent went away: nothing left to serve.
  process.on('disconnect', () => process.exit(0));
  send({ kind: 'ready' });
}

let binding: Binding | undefined;
try {
  binding = loadBinding();
} catch (error) {
  // The first line says what failed (`Cannot find module ...`, a wrong ELF class, a missing GLIBC version).
  send({ kind: 'unavailable', reason: (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '' });
  process.disconnect?.();
}
if (binding) serve(binding);
