/**
 * What every RPC method handler shares: its context, its signature and the "with context" envelope.
 */
import type { Chain } from './chain.js';

/** What a handler works on. */
export interface MethodContext {
  readonly chain: Chain;
}

/** One RPC method: the request's `params` in (validated by the handler), `result` out, or an `RpcError` thrown. */
export type MethodHandler = (context: MethodContext, params: unknown) => Promise<unknown> | unknown;

/** Version reported by `getVersion` and in every response's `context.apiVersion`. */
export const API_VERSION = '2.2.20';

/** `{ context: { apiVersion, slot }, value }`, the envelope of Solana's "with context" results. */
export const withContext = (slot: number, value: unknown): unknown => ({
  context: { apiVersion: API_VERSION, slot },
  value,
});
