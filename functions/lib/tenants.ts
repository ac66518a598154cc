import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AppError } from '../../core/platform/errors.js';
import {
  cachedTenants,
  DynamoTenantRegistry,
  type TenantFeatures,
  type TenantId,
  type TenantPlan,
  type TenantRecord,
  tenantOfToken,
} from '../../core/platform/tenants/index.js';

/** A bot on the deployment as a function serving it knows it. */
export interface TenantProfile {
  readonly id: TenantId;
  readonly username: string;
  /** Its admin chat, if it has one. */
  readonly adminChatId: number | null;
  /** Who may use its admin commands. */
  readonly adminUserIds: ReadonlySet<number>;
  /** Its plan (quotas), and who is told when it passes them; none for the deployment's own bot. */
  readonly plan?: TenantPlan;
  readonly operators: readonly number[];
  /** What it offers (its record's `features`); the deployment's own bot offers everything. */
  readonly features: TenantFeatures;
}

/** Every feature: the deployment's own bot has a treasury, an assistant and admins (the stage's secrets). */
export const HOME_FEATURES: TenantFeatures = { payouts: true, assistant: true, watches: true, broadcasts: true };

/** What a function knows of the deployment's own bot: its secrets. */
export interface HomeBotConfig {
  readonly telegram: { readonly token: string; readonly username: string };
  readonly adminChatId?: number;
  readonly adminUserIds?: ReadonlySet<number>;
}

/**
 * The deployment's own bot, whose token, username and admins are the stage's secrets: the first
 * tenant. Its id is its token's numeric prefix.
 */
export function homeTenant(config: HomeBotConfig): TenantProfile {
  return {
    id: homeTenantId(config.telegram.token),
    username: config.telegram.username,
    adminChatId: config.adminChatId ?? null,
    adminUserIds: config.adminUserIds ?? new Set(),
    operators: [],
    features: HOME_FEATURES,
  };
}

/** The home bot's tenant id: its token's numeric prefix. */
function homeTenantId(token: string): TenantId {
  const id = tenantOfToken(token);
  if (id === undefined) throw new AppError('config.invalid', 'TELEGRAM_BOT_TOKEN is not a bot token');
  return id;
}

/** A registered bot as the functions serve it. */
export function profileOf(record: TenantRecord): TenantProfile {
  return {
    id: record.id,
    username: record.username,
    adminChatId: record.adminChatId,
    adminUserIds: new Set(record.adminUserIds),
    plan: record.plan,
    operators: record.operators,
    features: record.features,
  };
}

/**
 * The bots a function serves: the home bot, and every active bot of the tenant registry (read
 * through a short cache, so a container reads a tenant's record once every few seconds at most,
 * and sees a removal or a revocation within that time).
 */
export function tenantDirectory(options: {
  home: TenantProfile;
  client: DynamoDBClient;
  tableName: string;
  /** The registry cache's clock (default `Date.now`). */
  now?: () => number;
}) {
  const registry = cachedTenants(new DynamoTenantRegistry(options), options.now ? { now: options.now } : {});
  return {
    /** The active bot of `tenant`, its record when registered; undefined for any other id. */
    async get(tenant: TenantId): Promise<{ profile: TenantProfile; record?: TenantRecord } | undefined> {
      if (tenant === options.home.id) return { profile: options.home };
      const record = await registry.get(tenant);
      return record?.status === 'active' ? { profile: profileOf(record), record } : undefined;
    },
  };
}

/** A job for a bot this function cannot speak as: parked with its reason, never run as another bot. */
export function unknownTenant(tenant: TenantId): AppError {
  return new AppError('tenant.unknown', `no active bot ${tenant} on this deployment`);
}

/** What a worker needs of a bot beyond its items: who its admins are, what it offers, and its treasury if it has payouts. */
export interface TenantSettings {
  readonly adminUserIds: ReadonlySet<number>;
  /** A feature switched off has its jobs parked (`feature.off`), never run. */
  readonly features: TenantFeatures;
  /** Its treasury key and address; none for a bot without payouts (its deposit and payout jobs have no handler). */
  readonly treasury: { readonly address: string; readonly keyId?: string } | undefined;
  /** Its record (plan, operators); none for the deployment's own bot. */
  readonly record?: TenantRecord;
}

/**
 * Each bot's settings, as the workers apply them: a registered bot's from its record (read through
 * a short cache; a bot no longer active gets none: its jobs are parked), the stage's own bot's (it
 * has no record) from the stage's secrets.
 */
export function tenantSettings(options: {
  client: DynamoDBClient;
  tableName: string;
  /** The stage's own bot's admins and treasury; it offers every feature. */
  home: Omit<TenantSettings, 'features'>;
  /** The registry cache's clock (default `Date.now`). */
  now?: () => number;
}) {
  const table = new DynamoTenantRegistry(options);
  const registry = cachedTenants(table, options.now ? { now: options.now } : {});
  const home: TenantSettings = { ...options.home, features: HOME_FEATURES };
  // The deployment's own bot is listed among the tenants with no record (webhook registration
  // enlists it). A bot with neither (purged, or an id no bot here ever had) is never taken for it:
  // its jobs are parked, not run with the stage's admins and treasury. Its id never changes in a
  // container's life, so it is read once.
  let homeId: TenantId | undefined;
  const isHome = async (tenant: TenantId) => {
    if (homeId === undefined && (await table.listed(tenant))) homeId = tenant;
    return homeId === tenant;
  };
  return async (tenant: TenantId): Promise<TenantSettings> => {
    const record = await registry.get(tenant);
    if (!record) {
      if (await isHome(tenant)) return home;
      throw unknownTenant(tenant);
    }
    if (record.status !== 'active') throw unknownTenant(tenant);
    return {
      adminUserIds: new Set(record.adminUserIds),
      features: record.features,
      treasury: record.features.payouts && record.treasury ? record.treasury : undefined,
      record,
    };
  };
}
