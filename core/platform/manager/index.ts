/** The manager bot: operators add, list, meter and remove their bots by talking to the deployment's own bot: the folder's public face. */
export * from './catalog.js';
export * from './commands.js';
export * from './handlers.js';
export * from './intake.js';
export * from './jobs.js';
export * from './token.js';
export * from './webhook.js';
