import type { EncryptionContext, KeyVault } from '../keys/index.js';
import { BOT_TOKEN_PURPOSE } from '../settings.js';
import type { TenantId } from '../tenants/index.js';

/** The encryption context of a tenant's bot token: opening it as another tenant's fails. */
export function botTokenContext(botId: TenantId): EncryptionContext {
  return { purpose: BOT_TOKEN_PURPOSE, ownerId: botId };
}

/** The bot token sealed for its tenant (an envelope text, safe to store in the record). */
export function sealBotToken(vault: KeyVault, botId: TenantId, token: string): Promise<string> {
  return vault.seal(new TextEncoder().encode(token), botTokenContext(botId));
}

/**
 * The token sealed in `sealed` for `botId`; fails with `WrongContextError` for an envelope of
 * another tenant, `CiphertextRejectedError` for an altered one.
 */
export async function openBotToken(vault: KeyVault, botId: TenantId, sealed: string): Promise<string> {
  return new TextDecoder().decode(await vault.open(sealed, botTokenContext(botId)));
}
