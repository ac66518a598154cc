/** Watches: balance alerts on addresses, polled on a schedule: the folder's public face. */
export * from './cadence.js';
export * from './catalog.js';
export * from './conversation.js';
export * from './dynamodb-store.js';
export * from './handlers.js';
export * from './jobs.js';
export * from './store.js';
export * from './watchlist.js';
