/** The desk as a bot module: its composer, menus, limits, context and session: the folder's public face. */
export * from './bot.js';
export * from './commands.js';
export * from './commands-catalog.js';
export * from './context.js';
export * from './limits.js';
export * from './limits-catalog.js';
export * from './menus.js';
