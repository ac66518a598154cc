/** Indicative values: the price source (cached, rate-capped, failing over) and how values read: the folder's public face. */
export * from './catalog.js';
export * from './quote.js';
export * from './source.js';
export * from './value.js';
