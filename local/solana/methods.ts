/**
 * The JSON-RPC methods the peer answers, by name. Handlers take the positional `params` and return the
 * `result`, or throw an `RpcError`; they know nothing about HTTP, endpoints or rate limits.
 */
import { ACCOUNT_METHODS } from './rpc-accounts.js';
import { CLUSTER_METHODS } from './rpc-cluster.js';
import type { MethodHandler } from './rpc-context.js';
import { TRANSACTION_METHODS } from './rpc-transactions.js';

export type { MethodContext, MethodHandler } from './rpc-context.js';

const METHODS: Readonly<Record<string, MethodHandler>> = {
  ...CLUSTER_METHODS,
  ...ACCOUNT_METHODS,
  ...TRANSACTION_METHODS,
};

/** The handler of `method` (case-sensitive, like Solana), if the peer implements it. */
export function findMethod(method: string): MethodHandler | undefined {
  return Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
}

/** Every method the peer implements. */
export const METHOD_NAMES: readonly string[] = Object.keys(METHODS).sort();
