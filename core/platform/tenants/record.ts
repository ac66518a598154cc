import * as z from 'zod/mini';
import { LANGUAGES } from '../i18n/index.js';
import { TenantIdSchema } from './tenant.js';

export const TENANT_STATUSES = ['active', 'revoked', 'removed'] as const;
/** `active`: serving; `revoked`: Telegram refused its token (401), waiting for a new one; `removed`: offboarded, purged after `purgeAfter`. */
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const TENANT_PLANS = ['free', 'starter', 'pro', 'business'] as const;
export type TenantPlan = (typeof TENANT_PLANS)[number];

/** A Telegram user or chat id (chats of groups are negative). */
const TelegramId = z.int().check(z.refine((n) => n !== 0, 'a Telegram chat id'));
const UserId = z.int().check(z.positive());
/** Milliseconds since the epoch. */
const Time = z.int().check(z.nonnegative());

export const TenantFeaturesSchema = z.object({
  payouts: z.boolean(),
  assistant: z.boolean(),
  watches: z.boolean(),
  broadcasts: z.boolean(),
});
export type TenantFeatures = z.infer<typeof TenantFeaturesSchema>;

/** The tenant's own Ed25519 treasury key in KMS and its address. */
export const TenantTreasurySchema = z.object({
  keyId: z.string().check(z.minLength(1), z.maxLength(2048)),
  address: z.string().check(z.regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/, 'a base58 address')),
});
export type TenantTreasury = z.infer<typeof TenantTreasurySchema>;

/** One hosted bot, as the registry keeps it (`tenant#<botId>`). */
export const TenantRecordSchema = z.object({
  id: TenantIdSchema,
  /** The bot's username (without `@`), from `getMe`. */
  username: z.string().check(z.regex(/^[A-Za-z0-9_]{1,64}$/, "a bot's username")),
  /** The bot's display name, from `getMe`. */
  name: z.string().check(z.minLength(1), z.maxLength(256)),
  status: z.enum(TENANT_STATUSES),
  plan: z.enum(TENANT_PLANS),
  languages: z.array(z.enum(LANGUAGES)).check(z.minLength(1)),
  /** Telegram users who own the bot on this deployment: they may change or remove it. */
  operators: z.array(UserId).check(z.minLength(1)),
  adminChatId: z.nullable(TelegramId),
  adminUserIds: z.array(UserId),
  features: TenantFeaturesSchema,
  /** The bot token, sealed (`wd1:` envelope text) for `{ purpose: 'bot-token', ownerId: <botId> }`. */
  sealedToken: z.string().check(z.startsWith('wd1:')),
  treasury: z.nullable(TenantTreasurySchema),
  createdAt: Time,
  revokedAt: z.optional(Time),
  removedAt: z.optional(Time),
  /** When `purgeTenant` may delete the tenant's data (set when removed). */
  purgeAfter: z.optional(Time),
});
export type TenantRecord = z.infer<typeof TenantRecordSchema>;
