/** Keys: envelope encryption under KMS, secret intake, the secret store: the folder's public face. */
export * from './dynamodb-secrets.js';
export * from './envelope.js';
export * from './errors.js';
export * from './intake.js';
export * from './kms.js';
export * from './ports.js';
export * from './store.js';
export * from './vault.js';
