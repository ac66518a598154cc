/**
 * The Lambda runtime inside one execution environment (a Worker thread).
 *
 * Init phase: import the function bundle once (module scope is then kept between invocations,
 * like a warm container). Invoke phase: one invocation at a time, with a Lambda `context`.
 * The runner enforces the timeout by terminating this Worker, as Lambda kills the sandbox.
 *
 * This file is bundled on its own by `runtime-source.ts`; it must import only Node builtins.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Callback, Context, Handler } from 'aws-lambda';
import type { InvokeMessage, LambdaError, WorkerInit, WorkerMessage } from './protocol.js';

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('worker-entry must run in a Worker');

function post(message: WorkerMessage): void {
  port?.postMessage(message);
}

function toLambdaError(error: unknown): LambdaError {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function lambdaContext(message: InvokeMessage): Context {
  const unsupported = (): never => {
    throw new Error('context.done/fail/succeed are not supported; return a value or use the callback');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: init.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: init.functionArn,
    memoryLimitInMB: String(init.memoryMb),
    awsRequestId: message.requestId,
    logGroupName: `/aws/lambda/${init.functionName}`,
    logStreamName: init.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

/** Calls an async handler, or a callback-style one (three parameters), and settles once. */
function call(handler: Handler, event: unknown, context: Context): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback: Callback = (error, result) => (error ? reject(error) : resolve(result));
    try {
      const returned: unknown = handler(event, context, callback);
      if (isThenable(returned)) returned.then(resolve, reject);
      else if (handler.length < 3) resolve(returned);
    } catch (error) {
      reject(error);
    }
  });
}

async function start(): Promise<void> {
  if (init.sourceMaps) process.setSourceMapsEnabled(true);
  const started = performance.now();
  let handler: Handler;
  try {
    const module: Record<string, unknown> = await import(init.bundleUrl);
    const exported = module[init.handlerExport];
    if (typeof exported !== 'function') {
      const error = new Error(`${init.bundleUrl} does not export a function named ${init.handlerExport}`);
      error.name = 'Runtime.HandlerNotFound';
      throw error;
    }
    handler = exported as Handler;
  } catch (error) {
    post({ type: 'init-error', error: toLambdaError(error) });
    return;
  }
  post({ type: 'ready', initMs: performance.now() - started });

  port?.on('message', async (message: InvokeMessage) => {
    try {
      const result = await call(handler, JSON.parse(message.eventJson), lambdaContext(message));
      post({ type: 'result', id: message.id, payloadJson: JSON.stringify(result) });
    } catch (error) {
      post({ type: 'error', id: message.id, error: toLambdaError(error) });
    }
  });
}

void start();
