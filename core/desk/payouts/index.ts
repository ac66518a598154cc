/** Payouts: /withdraw, holds, admin decisions, the treasury transfer sent once: the folder's public face. */
export * from './catalog.js';
export * from './conversation.js';
export * from './dynamodb-store.js';
export * from './handlers.js';
export * from './jobs.js';
export * from './session.js';
export * from './store.js';
export * from './tx-send.js';
