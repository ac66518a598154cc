/** Tenants: the bots one deployment hosts, and the scope of everything each owns: the folder's public face. */
export * from './bot-api.js';
export * from './cache.js';
export * from './catalog.js';
export * from './dynamodb-registry.js';
export * from './dynamodb-scope.js';
export * from './offboard.js';
export * from './onboard.js';
export * from './record.js';
export * from './revocation.js';
export * from './sealing.js';
export * from './tenant.js';
export * from './treasury.js';
export * from './webhook-secret.js';
