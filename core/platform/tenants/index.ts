/** Tenants: the bots one deployment hosts, and the scope of everything each owns: the folder's public face. */

export * from './dynamodb-scope.js';
export * from './tenant.js';
export * from './webhook-secret.js';
