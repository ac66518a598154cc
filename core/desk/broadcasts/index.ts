/** Broadcasts: the admin's /broadcast, paged fan-out, progress and cancel: the folder's public face. */
export * from './conversation.js';
export * from './dynamodb-store.js';
export * from './handlers.js';
export * from './jobs.js';
export * from './message.js';
export * from './session.js';
export * from './store.js';
