/**
 * Plans and quotas: what each plan allows a tenant (one bot), the meter that counts its use where
 * it happens, what an over-quota update gets, and the texts (/usage, the polite answer, the
 * operator's notice): the folder's public face.
 */
export * from './catalog.js';
export * from './dynamodb-meter.js';
export * from './gate.js';
export * from './meter.js';
export * from './notice.js';
export * from './over-quota.js';
export * from './plans.js';
export * from './quota.js';
export * from './texts.js';
export * from './usage.js';
