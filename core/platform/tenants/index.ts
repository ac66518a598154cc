/** Tenants: the bots one deployment hosts, their registry, and the scope of everything each owns: the folder's public face. */
export * from './cache.js';
export * from './dynamodb-registry.js';
export * from './dynamodb-scope.js';
export * from './record.js';
export * from './tenant.js';
