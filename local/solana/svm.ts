/**
 * The peer's handle on litesvm: a typed client of one SVM running in a child process (`svm-host.ts`).
 *
 * The binding is the raw napi package `litesvm-linux-x64-gnu` (an optional dependency; the `litesvm`
 * JS wrapper is not installed). It runs out of process because its JIT corrupts the calling thread's
 * x87 state (see `svm-host.ts`). Starting fails with {@link SvmUnavailableError} and a clear message
 * where the binding cannot load (anything but linux-x64-glibc, or the optional dependency missing).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scriptSource } from '../lambda/build.js';
import type { HostMessage, HostOp, HostOps, HostRequest } from './svm-protocol.js';

export type {
  AccountData,
  ClockData,
  ExecutionOutcome,
  InnerInstructionData,
  InstructionErrorJson,
  TransactionErrorJson,
} from './svm-protocol.js';

/** The binding could not be loaded here, or the host died. */
export class SvmUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SvmUnavailableError';
  }
}

/** One SVM: accounts, transactions and simulations, executed one at a time in arrival order. */
export interface Svm {
  call<K extends HostOp>(op: K, args: HostOps[K]['args']): Promise<HostOps[K]['result']>;
  /** Kills the host. Idempotent. */
  stop(): Promise<void>;
}

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const START_TIMEOUT_MS = 15_000;
const SUPPORTED = 'linux-x64 with glibc (npm package litesvm-linux-x64-gnu, an optionalDependency)';

/** How to start a host. */
export interface SvmOptions {
  /** A `package.json` the binding is resolved from; the project's by default (tests point elsewhere). */
  resolveFrom?: string;
}

/** Starts an SVM host and resolves once its binding is loaded. */
export async function startSvm(options: SvmOptions = {}): Promise<Svm> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new SvmUnavailableError(
      `litesvm is not available on ${process.platform}-${process.arch}: the local Solana peer needs ${SUPPORTED}`,
    );
  }
  const source = await scriptSource(new URL('./svm-host.ts', import.meta.url));
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const child = spawn(
    process.execPath,
    ['--no-allocation-site-pretenuring', '-e', source, options.resolveFrom ?? resolve(PROJECT_ROOT, 'package.json')],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced', env },
  );
  const host = new Host(child);
  try {
    await host.ready;
  } catch (error) {
    await host.stop();
    throw error;
  }
  return host;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

class Host implements Svm {
  readonly ready: Promise<void>;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #exited: Promise<void>;
  #nextId = 1;
  #failure: SvmUnavailableError | undefined;

  constructor(child: ChildProcess) {
    this.#child = child;
    let markReady: () => void = () => undefined;
    let failStart: (error: Error) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    const timer = setTimeout(
      () => failStart(new SvmUnavailableError(`litesvm host did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    timer.unref();
    child.on('message', (message: HostMessage) => {
      if (message.kind === 'ready') {
        clearTimeout(timer);
        this.#holdProcess();
        markReady();
      } else if (message.kind === 'unavailable') {
        clearTimeout(timer);
        this.#failure = new SvmUnavailableError(
          `litesvm native binding could not be loaded (${message.reason}); the local Solana peer needs ${SUPPORTED}`,
        );
        failStart(this.#failure);
      } else {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.ok) pending?.resolve(message.value);
        else pending?.reject(new Error(`litesvm: ${message.error}`));
        this.#holdProcess();
      }
    });
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        this.#failure ??= new SvmUnavailableError(
          `litesvm host exited (${signal ?? `code ${code}`}); the local Solana peer has lost its chain`,
        );
        failStart(this.#failure);
        for (const pending of this.#pending.values()) pending.reject(this.#failure);
        this.#pending.clear();
        resolve();
      });
    });
    child.once('error', (error) => {
      this.#failure ??= new SvmUnavailableError(`litesvm host could not start: ${error.message}`, { cause: error });
      failStart(this.#failure);
    });
  }

  call<K extends HostOp>(op: K, args: HostOps[K]['args']): Promise<HostOps[K]['result']> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<HostOps[K]['result']>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#holdProcess();
      this.#child.send({ id, op, args } as HostRequest, (error) => {
        if (!error) return;
        this.#pending.delete(id);
        reject(new SvmUnavailableError(`litesvm host is unreachable: ${error.message}`, { cause: error }));
      });
    });
  }

  /** The host keeps this process alive only while a call is pending (an idle peer is kept alive by its servers). */
  #holdProcess(): void {
    if (this.#pending.size > 0) {
      this.#child.ref();
      this.#child.channel?.ref();
    } else {
      this.#child.unref();
      this.#child.channel?.unref();
    }
  }

  async stop(): Promise<void> {
    this.#failure ??= new SvmUnavailableError('the local Solana peer was stopped');
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.ref(); // stay alive until the host is gone
      this.#child.kill();
    }
    await this.#exited;
  }
}
