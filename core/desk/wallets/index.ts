/** Wallets: linking, screens, labels, balances, verification: the folder's public face. */
export * from './book.js';
export * from './conversation.js';
export * from './dynamodb-book.js';
export * from './handlers.js';
export * from './jobs.js';
export * from './screens.js';
export * from './session.js';
