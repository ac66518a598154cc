/** Ingress: the webhook contract, update validation, exactly-once processing: the folder's public face. */
export * from './process.js';
export * from './reply-pace.js';
export * from './update.js';
export * from './webhook.js';
