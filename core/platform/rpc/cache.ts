import { createHash } from 'node:crypto';
import { stableStringify } from './jsonrpc.js';

/**
 * A short-lived cache of JSON-RPC results shared by every worker container, so that one
 * balance asked by many users within a few seconds costs one RPC call for the whole fleet.
 *
 * Invariants: `get` never returns a value whose TTL has passed (even if the store has not
 * deleted it yet); `lease` is granted to exactly one caller per key until `ttlMs` have passed,
 * whoever asks and from whichever container, so only the holder calls RPC while the others wait
 * for its `put`. Keys are opaque, bounded strings (`rpcCacheKey`). Failures surface as
 * `TransientError`; the pool treats any failure as a miss and calls RPC, it never fails a read.
 *
 * A value is only worth storing when somebody else will ask for it: the lease says whether the
 * key was asked lately (`hot`), and a caller refused the lease joins it as a waiter (`wanted`),
 * so the holder of a key nobody else asks for stores nothing.
 */
export interface RpcCache {
  /** The stored value (the JSON of a JSON-RPC `result`), or `undefined` when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` for `ttlSeconds`. Values too large for the store may be silently skipped. */
  put(key: string, value: string, ttlSeconds: number): Promise<void>;
  /**
   * Takes the key's fill lease for `ttlMs`: `hot` when the key's lease was last granted less than
   * `seenMs` ago (another caller missed it lately). When another caller holds an unexpired lease,
   * joins it as a waiter instead (see `wanted`) and is refused.
   */
  lease(key: string, ttlMs: number, seenMs: number): Promise<RpcLease>;
  /** Whether a caller joined the key's current lease as a waiter (then its holder must fill it). */
  wanted(key: string): Promise<boolean>;
}

/** The answer to `RpcCache.lease`. */
export type RpcLease = { readonly granted: true; readonly hot: boolean } | { readonly granted: false };

/**
 * Read methods whose results may be shared for `SolanaSettings.cacheSeconds`: one account's
 * state that many users ask for again and again, where a few seconds of staleness is fine (the
 * `context.slot` of the cached answer says how old it is). `getMultipleAccounts` is left out on
 * purpose: it is the watch poller's read, which must see each change, and a list of 100 keys is
 * almost never asked twice.
 */
export const CACHED_METHODS: ReadonlySet<string> = new Set(['getBalance', 'getAccountInfo', 'getTokenAccountsByOwner']);

/** The cache key of a call: hex SHA-256 of its method and (key-order independent) params. */
export function rpcCacheKey(method: string, params: unknown): string {
  return createHash('sha256').update(method).update('\n').update(stableStringify(params)).digest('hex');
}
