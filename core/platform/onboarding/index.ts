/** Onboarding: a bot joins the deployment (getMe, its webhook and commands, its sealed token and treasury key) and leaves it again: the folder's public face. */
export * from './bot-api.js';
export * from './catalog.js';
export * from './offboard.js';
export * from './onboard.js';
export * from './revocation.js';
export * from './sealing.js';
export * from './treasury.js';
export * from './webhook-secret.js';
