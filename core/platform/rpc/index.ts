/** The JSON-RPC endpoint pool: rate limits, breakers, cache, dispatch: the folder's public face. */
export * from './breaker.js';
export * from './cache.js';
export * from './dispatch.js';
export * from './dynamodb-cache.js';
export * from './endpoints.js';
export * from './errors.js';
export * from './jsonrpc.js';
export * from './pool.js';
export * from './rate-limit.js';
export * from './stats.js';
export * from './transport.js';
