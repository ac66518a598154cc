/** The assistant: questions to an LLM, history, quotas, the secret detector: the folder's public face. */
export * from './catalog.js';
export * from './client.js';
export * from './conversation.js';
export * from './dynamodb-history.js';
export * from './dynamodb-quota.js';
export * from './errors.js';
export * from './handlers.js';
export * from './history.js';
export * from './jobs.js';
export * from './markup.js';
export * from './model.js';
export * from './openai-chat.js';
export * from './prompt.js';
export * from './quota.js';
export * from './secrets.js';
