/**
 * One Lambda execution environment: a Worker thread running one function bundle.
 *
 * It runs one invocation at a time and keeps module scope between invocations (a warm
 * container). Its `process.env` is its own (the Worker `env` option), so two stacks in one
 * process never share configuration. A timeout or a crash kills the Worker, as Lambda discards
 * the sandbox; the pool then starts a fresh one (a cold start) for the next invocation.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { InvokeMessage, LambdaError, WorkerInit, WorkerMessage } from './protocol.js';
import { runtimeSource } from './runtime-source.js';

/** Lambda's limit on the init phase (module load) of an on-demand function. */
export const INIT_TIMEOUT_MS = 10_000;

/** A log line a function wrote to stdout or stderr. */
export interface LogLine {
  readonly functionName: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

/** What one environment runs. */
export interface EnvironmentConfig {
  readonly functionName: string;
  readonly functionArn: string;
  /** Path of the built ESM bundle. */
  readonly bundle: string;
  /** Export to call; `handler` by default. */
  readonly handlerExport?: string;
  /** The function's whole environment (nothing is inherited from the runner's process). */
  readonly env: Readonly<Record<string, string>>;
  /** Memory setting; also caps the Worker's V8 old generation, so a leak fails like on Lambda. */
  readonly memoryMb: number;
  /** Receives the function's output line by line; without it, output goes to the runner's stdout/stderr. */
  readonly onLog?: (line: LogLine) => void;
  /** Map stack traces through the bundle's source map (build it with `sourcemap: 'linked'`). */
  readonly sourceMaps?: boolean;
}

/** Why an invocation failed: the handler threw, the module failed to load, the timeout hit, or the runtime died. */
export type FailureKind = 'handler' | 'init' | 'timeout' | 'crash';

/** The result of one invocation as the runtime reports it. */
export type Outcome =
  | { readonly ok: true; readonly payload: unknown }
  | { readonly ok: false; readonly kind: FailureKind; readonly error: LambdaError };

/** A failed invocation. */
export type Failure = Extract<Outcome, { ok: false }>;

type InitOutcome = { readonly ok: true; readonly initMs: number } | Failure;

interface Pending {
  readonly id: number;
  settle(outcome: Outcome): void;
}

let nextInvocationId = 1;

/**
 * How many init phases run at once in this process. On AWS each environment inits on its own
 * CPU; here they share this machine's cores, so forty cold starts at once (a burst of new users)
 * would each take forty times as long, pass the 10-s init limit, be killed and start again, for
 * ever. Past this many, a cold start waits its turn before its init phase (and its limit) begins.
 */
const initGate = (() => {
  const slots = Math.max(2, availableParallelism());
  let running = 0;
  const waiting: Array<() => void> = [];
  return {
    async enter(): Promise<void> {
      if (running < slots) {
        running += 1;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    leave(): void {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    },
  };
})();

const failure = (kind: FailureKind, errorType: string, errorMessage: string): Failure => ({
  ok: false,
  kind,
  error: { errorType, errorMessage, trace: [] },
});

/** A Worker running one function; see the module comment. */
export class ExecutionEnvironment {
  /** Resolves when the init phase is over (successfully or not). */
  readonly ready: Promise<InitOutcome>;
  /** Invocations started in this environment (0 before the first: that one is a cold start). */
  invocations = 0;
  readonly #worker: Worker;
  #pending: Pending | undefined;
  #dead = false;
  #crash: LambdaError | undefined;

  private constructor(worker: Worker, config: EnvironmentConfig) {
    this.#worker = worker;
    this.ready = new Promise<InitOutcome>((resolve) => {
      const timer = setTimeout(() => {
        resolve(failure('init', 'Runtime.InitTimeout', `Init phase exceeded ${INIT_TIMEOUT_MS / 1000} seconds`));
        this.kill();
      }, INIT_TIMEOUT_MS);
      const settle = (outcome: InitOutcome): void => {
        clearTimeout(timer);
        resolve(outcome);
      };
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') settle({ ok: true, initMs: message.initMs });
        else if (message.type === 'init-error') {
          settle({ ok: false, kind: 'init', error: message.error });
          this.kill();
        } else if (this.#pending?.id === message.id) {
          this.#pending.settle(
            message.type === 'result'
              ? { ok: true, payload: message.payloadJson === undefined ? null : JSON.parse(message.payloadJson) }
              : { ok: false, kind: 'handler', error: message.error },
          );
        }
      });
      worker.on('error', (error) => {
        this.#crash = { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
      });
      worker.on('exit', (code) => {
        this.#dead = true;
        const reason = this.#crash
          ? `with error: ${this.#crash.errorType}: ${this.#crash.errorMessage}`
          : `with code ${code}`;
        const crash = failure('crash', 'Runtime.ExitError', `Runtime exited ${reason}`);
        settle(crash);
        this.#pending?.settle(crash);
      });
    });
    if (config.onLog) forwardLogs(worker, config.functionName, config.onLog);
  }

  /** Starts a Worker for `config` (the init phase begins at once; await `ready` or just `invoke`). */
  static async start(config: EnvironmentConfig): Promise<ExecutionEnvironment> {
    const source = await runtimeSource();
    const init: WorkerInit = {
      bundleUrl: pathToFileURL(config.bundle).href,
      handlerExport: config.handlerExport ?? 'handler',
      functionName: config.functionName,
      functionArn: config.functionArn,
      memoryMb: config.memoryMb,
      sourceMaps: config.sourceMaps ?? false,
      logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomHex()}`,
    };
    await initGate.enter();
    let worker: Worker;
    try {
      worker = new Worker(source, {
        eval: true,
        workerData: init,
        env: { ...config.env },
        resourceLimits: { maxOldGenerationSizeMb: config.memoryMb },
        stdout: config.onLog !== undefined,
        stderr: config.onLog !== undefined,
      });
    } catch (error) {
      initGate.leave();
      throw error;
    }
    const environment = new ExecutionEnvironment(worker, config);
    void environment.ready.then(() => initGate.leave());
    return environment;
  }

  /** False once the Worker has exited or been killed; a dead environment is never reused. */
  get alive(): boolean {
    return !this.#dead;
  }

  /**
   * Runs one invocation. The timeout covers the handler only (init has its own 10 s limit);
   * when it fires, the Worker is terminated and the outcome is a `timeout` failure.
   */
  async invoke(event: unknown, requestId: string, timeoutMs: number): Promise<Outcome> {
    const init = await this.ready;
    if (!init.ok) return init;
    if (this.#dead) return failure('crash', 'Runtime.ExitError', 'Runtime exited before the invocation');
    if (this.#pending) throw new Error('An execution environment runs one invocation at a time');
    this.invocations += 1;
    const id = nextInvocationId++;
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending?.settle(
          failure('timeout', 'Sandbox.Timedout', `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`),
        );
        this.kill();
      }, timeoutMs);
      this.#pending = {
        id,
        settle: (outcome) => {
          clearTimeout(timer);
          this.#pending = undefined;
          resolve(outcome);
        },
      };
      const message: InvokeMessage = {
        type: 'invoke',
        id,
        requestId,
        eventJson: JSON.stringify(event) ?? 'null',
        deadline: Date.now() + timeoutMs,
      };
      this.#worker.postMessage(message);
    });
  }

  /** Terminates the Worker (the sandbox is discarded). */
  kill(): void {
    if (this.#dead) return;
    this.#dead = true;
    void this.#worker.terminate();
  }
}

function forwardLogs(worker: Worker, functionName: string, onLog: (line: LogLine) => void): void {
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: worker[stream] }).on('line', (line) => onLog({ functionName, stream, line }));
  }
}

const randomHex = (): string => randomBytes(16).toString('hex');
