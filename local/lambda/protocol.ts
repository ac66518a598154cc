/**
 * Messages between the Lambda runner (main thread) and one execution environment (a Worker).
 * Type-only: both sides import it, and it leaves no code in the worker bootstrap.
 */

/** What a Worker is started with (`workerData`). */
export interface WorkerInit {
  /** `file:` URL of the built ESM bundle. */
  readonly bundleUrl: string;
  /** Name of the export to call (`handler`). */
  readonly handlerExport: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMb: number;
  readonly logStreamName: string;
  /** Map stack traces through the bundle's source map (`//# sourceMappingURL`), as `NODE_OPTIONS=--enable-source-maps` does. */
  readonly sourceMaps: boolean;
}

/** How a Lambda invocation failed, in the runtime's own terms (`errorType`, `errorMessage`, `trace`). */
export interface LambdaError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

/** Main → worker: run the handler once. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  readonly requestId: string;
  /** The event as JSON text (Lambda hands functions a JSON document, not live objects). */
  readonly eventJson: string;
  /** Epoch ms after which the runner kills the environment. */
  readonly deadline: number;
}

/** Worker → main. */
export type WorkerMessage =
  | { readonly type: 'ready'; readonly initMs: number }
  | { readonly type: 'init-error'; readonly error: LambdaError }
  /** `payloadJson` is the JSON serialisation of the result (`undefined` when the handler returned nothing). */
  | { readonly type: 'result'; readonly id: number; readonly payloadJson: string | undefined }
  | { readonly type: 'error'; readonly id: number; readonly error: LambdaError };
