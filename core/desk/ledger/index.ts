/** The ledger: internal balances, their entries, payout holds: the folder's public face. */
export * from './dynamodb-ledger.js';
export * from './handlers.js';
export * from './jobs.js';
export * from './ledger.js';
