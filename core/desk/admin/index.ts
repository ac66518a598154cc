/** The admin desk: the admin gate, decisions, /stats, /user, /block, the digest of admin events: the folder's public face. */
export * from './access.js';
export * from './alarms.js';
export * from './catalog.js';
export * from './conversation.js';
export * from './digest.js';
export * from './dynamodb-digest.js';
export * from './dynamodb-seen-users.js';
export * from './dynamodb-stats.js';
export * from './events.js';
export * from './gate.js';
export * from './session.js';
export * from './stats.js';
export * from './stats-catalog.js';
export * from './stats-conversation.js';
export * from './users.js';
export * from './users-conversation.js';
