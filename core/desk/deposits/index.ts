/** Deposits: Solana Pay requests by reference, polling, crediting once after finalized: the folder's public face. */
export * from './catalog.js';
export * from './claims.js';
export * from './conversation.js';
export * from './dynamodb-store.js';
export * from './handlers.js';
export * from './jobs.js';
export * from './store.js';
export * from './treasury.js';
