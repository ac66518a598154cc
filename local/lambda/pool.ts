/**
 * The execution environments of one function: a pool of Workers that grows up to a
 * concurrency cap and reuses idle (warm) environments, most recently used first, as Lambda does.
 */
import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../aws/common.js';
import { type EnvironmentConfig, ExecutionEnvironment, type Failure, type LogLine } from './environment.js';

/** One deployed function, as the runner runs it. */
export interface FunctionDefinition {
  /** Lambda function name (e.g. `local-webhook`). */
  readonly name: string;
  /** Path of the built ESM bundle (see `buildFunction`). */
  readonly bundle: string;
  /** Export to call; `handler` by default. */
  readonly handlerExport?: string;
  /** Environment variables the function sees (its whole `process.env`). */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  /**
   * Most execution environments alive at once. Invocations beyond it wait for one to free up
   * (Lambda would throttle; the SQS pollers never exceed their own cap, and Telegram never opens
   * more than `max_connections`).
   */
  readonly concurrency: number;
  /** Receives function output line by line; by default it goes to the runner's stdout/stderr. */
  readonly onLog?: (line: LogLine) => void;
  /** Map stack traces through the bundle's linked source map. */
  readonly sourceMaps?: boolean;
}

/** What an invocation returned, with Lambda's bookkeeping. */
export type InvokeResult = (
  | { readonly ok: true; readonly payload: unknown }
  | Pick<Failure, 'ok' | 'kind' | 'error'>
) & {
  readonly requestId: string;
  readonly durationMs: number;
  /** True when a new environment was started (and its init phase run) for this invocation. */
  readonly coldStart: boolean;
};

/** Counters of one function. */
export interface PoolStats {
  readonly invocations: number;
  /** Failed invocations of every kind (handler error, init error, timeout, crash). */
  readonly errors: number;
  readonly timeouts: number;
  readonly coldStarts: number;
  /** Sum of init phase durations (module load) in ms. */
  readonly initMs: number;
  /** Environments alive now (busy or idle). */
  readonly environments: number;
  readonly busy: number;
  /** Highest number of simultaneously busy environments seen. */
  readonly maxBusy: number;
}

/** ARN of a local function (the shape of a real one, in the local account). */
export const functionArn = (name: string): string =>
  `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`;

/** Variables Lambda sets itself in every function's environment (functions cannot override them). */
export function lambdaReservedEnv(
  d: Pick<FunctionDefinition, 'name' | 'memoryMb' | 'handlerExport'>,
): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_LAMBDA_FUNCTION_NAME: d.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(d.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${d.name}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    _HANDLER: `index.${d.handlerExport ?? 'handler'}`,
    // Not Lambda's own: there is no X-Ray daemon here, so Powertools Tracer stays off (on AWS the
    // stack's active tracing gives it one).
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
}

/** See the module comment. */
export class FunctionPool {
  readonly definition: FunctionDefinition;
  readonly #idle: ExecutionEnvironment[] = [];
  readonly #all = new Set<ExecutionEnvironment>();
  readonly #waiters: Array<() => void> = [];
  /** Environments being started: they count against the cap before they exist. */
  #starting = 0;
  #stopped = false;
  #stats = { invocations: 0, errors: 0, timeouts: 0, coldStarts: 0, initMs: 0, busy: 0, maxBusy: 0 };

  constructor(definition: FunctionDefinition) {
    if (definition.concurrency < 1) throw new Error(`${definition.name}: concurrency must be at least 1`);
    this.definition = definition;
  }

  /**
   * Invokes the function once with `event` and resolves with its outcome; function failures
   * (thrown errors, timeouts, crashes) are results, not rejections. Rejects only once stopped.
   */
  async invoke(event: unknown): Promise<InvokeResult> {
    const env = await this.#acquire();
    const requestId = randomUUID();
    const coldStart = env.invocations === 0;
    const started = performance.now();
    this.#stats.invocations += 1;
    this.#stats.busy += 1;
    this.#stats.maxBusy = Math.max(this.#stats.maxBusy, this.#stats.busy);
    try {
      if (coldStart) {
        const init = await env.ready;
        if (init.ok) {
          this.#stats.coldStarts += 1;
          this.#stats.initMs += init.initMs;
        }
      }
      const outcome = await env.invoke(event, requestId, this.definition.timeoutMs);
      if (!outcome.ok) {
        this.#stats.errors += 1;
        if (outcome.kind === 'timeout') this.#stats.timeouts += 1;
      }
      return { ...outcome, requestId, durationMs: performance.now() - started, coldStart };
    } finally {
      this.#stats.busy -= 1;
      this.#release(env);
    }
  }

  /** A snapshot of the counters. */
  stats(): PoolStats {
    const { busy, ...rest } = this.#stats;
    return { ...rest, busy, environments: this.#all.size };
  }

  /**
   * Kills every environment that is running an invocation, as a process dying mid-batch (fault
   * injection). Those invocations end as crashes, so their SQS messages come back after the queue's
   * visibility timeout, as on AWS. Returns how many environments were killed.
   */
  crashBusy(): number {
    let killed = 0;
    for (const env of this.#all) {
      if (this.#idle.includes(env)) continue;
      env.kill();
      killed++;
    }
    return killed;
  }

  /** Terminates every environment (in-flight invocations fail as crashes). Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const env of this.#all) env.kill();
    this.#all.clear();
    this.#idle.length = 0;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #acquire(): Promise<ExecutionEnvironment> {
    for (;;) {
      if (this.#stopped) throw new Error(`Function ${this.definition.name} is stopped`);
      const idle = this.#idle.pop();
      if (idle) return idle;
      if (this.#all.size + this.#starting < this.definition.concurrency) {
        this.#starting += 1;
        const env = await ExecutionEnvironment.start(this.#environmentConfig()).finally(() => {
          this.#starting -= 1;
        });
        if (this.#stopped) {
          env.kill();
          continue;
        }
        this.#all.add(env);
        return env;
      }
      await new Promise<void>((wake) => this.#waiters.push(wake));
    }
  }

  #release(env: ExecutionEnvironment): void {
    if (this.#stopped) return;
    if (env.alive) this.#idle.push(env);
    else this.#all.delete(env);
    this.#waiters.shift()?.();
  }

  #environmentConfig(): EnvironmentConfig {
    const d = this.definition;
    return {
      functionName: d.name,
      functionArn: functionArn(d.name),
      bundle: d.bundle,
      env: { ...d.env, ...lambdaReservedEnv(d) },
      memoryMb: d.memoryMb,
      ...(d.handlerExport ? { handlerExport: d.handlerExport } : {}),
      ...(d.onLog ? { onLog: d.onLog } : {}),
      ...(d.sourceMaps ? { sourceMaps: d.sourceMaps } : {}),
    };
  }
}
