import { createHmac } from 'node:crypto';
import type { TenantId } from './tenant.js';

/**
 * A bot's webhook `secret_token`, derived from the deployment's one webhook secret and the bot's id
 * (base64url of HMAC-SHA256, 43 characters of Telegram's allowed A-Z a-z 0-9 _ -): nothing per bot
 * to store or to rotate apart, and one bot's secret says nothing about another's.
 */
export function webhookSecretFor(deploymentSecret: string, tenant: TenantId): string {
  return createHmac('sha256', deploymentSecret).update(`webhook:${tenant}`).digest('base64url');
}
