/** Telegram: calls, the paced sender, message splitting, the HTTP gateway: the folder's public face. */
export * from './calls.js';
export * from './dynamodb-chat-pace.js';
export * from './gateway.js';
export * from './http.js';
export * from './notice.js';
export * from './pacing.js';
export * from './send.js';
export * from './send-job.js';
export * from './sender.js';
export * from './split.js';
