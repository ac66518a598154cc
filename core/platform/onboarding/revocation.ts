import { LANGUAGES, type Language } from '../i18n/index.js';
import type { DynamoTenantRegistry, TenantId } from '../tenants/index.js';
import { isUnauthorized } from './bot-api.js';
import { tenantTranslator } from './catalog.js';

/** What to tell a revoked bot's operators, in every language (through another bot: this one's token no longer works). */
export interface RevocationNotice {
  readonly botId: TenantId;
  readonly operators: readonly number[];
  readonly text: Readonly<Record<Language, string>>;
}

export type RevocationOutcome =
  /** The call failed for another reason: nothing changed. */
  | { readonly kind: 'not_unauthorized' }
  /** This call marked the tenant revoked: send the notice, once. */
  | { readonly kind: 'revoked'; readonly notice: RevocationNotice }
  /** Already revoked or removed (or unknown) by the time this call answered: nothing to send. */
  | { readonly kind: 'unchanged' };

/**
 * After a failed Bot API call of tenant `botId`: when Telegram answered 401 (the token is revoked
 * or wrong), moves the tenant from `active` to `revoked` (conditional, so of many failing calls
 * only one does it) and returns the notice for its operators. Any other failure changes nothing.
 */
export async function noteUnauthorized(
  botId: TenantId,
  error: unknown,
  deps: { readonly registry: Pick<DynamoTenantRegistry, 'setStatus'>; readonly now: () => number },
): Promise<RevocationOutcome> {
  if (!isUnauthorized(error)) return { kind: 'not_unauthorized' };
  const changed = await deps.registry.setStatus(botId, 'active', 'revoked', { revokedAt: deps.now() });
  if (changed === 'conflict') return { kind: 'unchanged' };
  const text = Object.fromEntries(
    LANGUAGES.map((language) => [
      language,
      tenantTranslator(language)('tenant.revoked', { username: changed.username }),
    ]),
  ) as Record<Language, string>;
  return { kind: 'revoked', notice: { botId, operators: changed.operators, text } };
}
