/** HTTP helpers: the folder's public face. */
export * from './retry-after.js';
