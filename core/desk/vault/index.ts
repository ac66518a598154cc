/** Users' secrets: /setsecret, /secrets, /checksecret, /delsecret: the folder's public face. */
export * from './context.js';
export * from './conversation.js';
export * from './handlers.js';
export * from './jobs.js';
export * from './session.js';
