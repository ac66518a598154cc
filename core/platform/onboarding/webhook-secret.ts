import { createHash, createHmac } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { secretMatches } from '../ingress/index.js';
import type { TenantId } from '../tenants/index.js';

/** The deployment's master secret must carry at least this many characters (256 bits of base64url). */
export const MIN_MASTER_SECRET_LENGTH = 43;

/**
 * A bot's `secret_token` for `setWebhook`, derived and never stored:
 * base64url(HMAC-SHA256(masterSecret, 'webhook:' + botId)), 43 characters of A-Za-z0-9_-, which
 * is what Telegram allows (1–256 of them). Each bot gets its own, so one bot's secret opens no
 * other's route. Throws `ConfigError` (never echoing it) for a master secret too short to be one.
 */
export function webhookSecretOf(masterSecret: string, botId: TenantId): string {
  if (masterSecret.length < MIN_MASTER_SECRET_LENGTH) {
    throw new ConfigError(`The webhook master secret must be at least ${MIN_MASTER_SECRET_LENGTH} characters`);
  }
  return createHmac('sha256', masterSecret).update(`webhook:${botId}`).digest('base64url');
}

/**
 * Whether `given` (the `X-Telegram-Bot-Api-Secret-Token` header) is the secret of `botId`, compared
 * in constant time (`secretMatches`): exactly its characters, no other encoding of the same bytes.
 */
export function webhookSecretMatches(masterSecret: string, botId: TenantId, given: string | undefined): boolean {
  const expected = createHash('sha256').update(webhookSecretOf(masterSecret, botId)).digest();
  return secretMatches(expected, given);
}
