import { AppError } from '../../core/platform/errors.js';
import { type TenantId, tenantOfToken } from '../../core/platform/tenants/index.js';

/** A bot on the deployment as a function serving it knows it. */
export interface TenantProfile {
  readonly id: TenantId;
  readonly username: string;
  readonly token: string;
}

/**
 * The deployment's own bot, whose token and username are the stage's secrets: the first tenant.
 * Its id is its token's numeric prefix.
 */
export function homeTenant(config: { telegram: { token: string; username: string } }): TenantProfile {
  return { id: homeTenantId(config.telegram.token), username: config.telegram.username, token: config.telegram.token };
}

/** The home bot's tenant id: its token's numeric prefix. */
export function homeTenantId(token: string): TenantId {
  const id = tenantOfToken(token);
  if (id === undefined) throw new AppError('config.invalid', 'TELEGRAM_BOT_TOKEN is not a bot token');
  return id;
}

/** A job for a bot this function cannot speak as: parked with its reason, never run as another bot. */
export function unknownTenant(tenant: TenantId): AppError {
  return new AppError('tenant.unknown', `no bot ${tenant} on this deployment`);
}
