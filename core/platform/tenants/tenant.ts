import * as z from 'zod/mini';

/**
 * A tenant is one Telegram bot on the deployment, named by the bot's numeric id (the part of its
 * token before the colon, and `getMe().id`). Every item a tenant owns lives under partition keys
 * starting with {@link tenantKeyPrefix}; deployment-wide items (the tenant registry, the RPC cache)
 * have no such prefix.
 */
export const TenantIdSchema = z.string().check(z.regex(/^[1-9]\d{0,19}$/, "a bot's numeric Telegram id"));
export type TenantId = string;

/** The tenant a bot token belongs to (its numeric prefix), or undefined for a string that is no token. */
export function tenantOfToken(token: string): TenantId | undefined {
  const match = /^([1-9]\d{0,19}):[A-Za-z0-9_-]{20,100}$/.exec(token);
  return match?.[1];
}

/** The start of every partition key of the tenant's items: `t<botId>/`. */
export function tenantKeyPrefix(tenant: TenantId): string {
  return `t${tenant}/`;
}
