import * as z from 'zod/mini';
import { AppError, describeError, TransientError } from '../errors.js';
import { LANGUAGES } from '../i18n/index.js';
import type { KeyVault } from '../keys/index.js';
import type { Logger } from '../log.js';
import {
  TENANT_PLANS,
  TenantFeaturesSchema,
  type TenantId,
  type TenantRecord,
  type TenantRegistry,
  tenantOfToken,
} from '../tenants/index.js';
import { type BotSetupApi, type CommandList, isUnauthorized } from './bot-api.js';
import { sealBotToken } from './sealing.js';
import type { TreasuryKeys } from './treasury.js';
import { webhookSecretOf } from './webhook-secret.js';

/** The Bot API setup calls of a token (`botSetupApi(token, { apiRoot })`). */
export type BotApiFactory = (token: string) => BotSetupApi;

/** How the deployment registers its bots' webhooks. */
export interface WebhookRoute {
  /** The deployment's webhook base URL; a bot's is `<baseUrl>/telegram/<botId>`. */
  readonly baseUrl: string;
  /** The deployment's master secret, from which each bot's `secret_token` is derived. */
  readonly masterSecret: string;
  readonly allowedUpdates: readonly string[];
  readonly maxConnections: number;
}

export interface OnboardDeps {
  readonly registry: TenantRegistry;
  readonly vault: KeyVault;
  readonly treasuryKeys: TreasuryKeys;
  readonly telegram: BotApiFactory;
  readonly webhook: WebhookRoute;
  readonly now: () => number;
  readonly log?: Logger;
}

const UserId = z.int().check(z.positive());

/** What an operator asks for, besides the token. */
const OnboardOptionsSchema = z.object({
  operatorUserId: UserId,
  plan: z.enum(TENANT_PLANS),
  features: TenantFeaturesSchema,
  languages: z._default(z.array(z.enum(LANGUAGES)).check(z.minLength(1)), [...LANGUAGES]),
  adminChatId: z._default(z.nullable(z.int().check(z.refine((n) => n !== 0))), null),
  adminUserIds: z._default(z.array(UserId), []),
  /** The `setMyCommands` calls to make, in order. */
  commands: z._default(
    z.array(
      z.object({
        commands: z.array(z.object({ command: z.string(), description: z.string() })),
        scope: z.optional(z.object({ type: z.string(), chat_id: z.optional(z.int()) })),
        language_code: z.optional(z.string()),
      }),
    ),
    [],
  ),
});
export type OnboardOptions = Omit<z.input<typeof OnboardOptionsSchema>, 'commands'> & {
  readonly commands?: readonly CommandList[];
};
export type OnboardRequest = OnboardOptions & { readonly token: string };

/** The steps of onboarding, in order (an outcome names the one that failed). */
export type OnboardStep = 'getMe' | 'registry' | 'treasury' | 'setWebhook' | 'setMyCommands' | 'seal' | 'record';

export type OnboardOutcome =
  /** Set up and recorded; `created` false when an operator set an existing tenant up again (a new token, a retry). */
  | { readonly kind: 'onboarded'; readonly tenant: TenantRecord; readonly created: boolean }
  /** The options are not valid (`detail` names the fields; it never holds the token). */
  | { readonly kind: 'invalid_request'; readonly detail: string }
  /** The text is not a bot token (`<bot id>:<secret>`). */
  | { readonly kind: 'invalid_token' }
  /** The bot is hosted here for another operator. */
  | { readonly kind: 'taken'; readonly botId: TenantId }
  /**
   * `token_rejected`: Telegram rejected this token (401, or `getMe` names another bot);
   * `unavailable`: a dependency failed in a way a retry can fix (Telegram, DynamoDB or KMS down, a
   * concurrent change), safe to retry; `refused`: a dependency refused for good (Telegram refused
   * the webhook URL, KMS access denied...).
   */
  | StepFailure<OnboardStep>;

/**
 * Puts a bot on the deployment: checks the token with `getMe`, refuses a bot another operator
 * hosts here, creates its treasury key when it has payouts, points its webhook at
 * `<baseUrl>/telegram/<botId>` with its derived secret, sets its commands, seals the token and
 * writes the record, last. Nothing is written before Telegram accepted the token, and every step
 * is idempotent (the same webhook and secret, the treasury key found by its alias, the record
 * created or replaced conditionally), so any failure can be retried as is. The token never
 * appears in an outcome or a log line.
 */
export async function onboardBot(request: OnboardRequest, deps: OnboardDeps): Promise<OnboardOutcome> {
  const { token, ...rest } = request;
  const botId = typeof token === 'string' ? tenantOfToken(token) : undefined;
  if (botId === undefined) return { kind: 'invalid_token' };
  const parsed = OnboardOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || 'request'))];
    return { kind: 'invalid_request', detail: `invalid ${fields.join(', ')}` };
  }
  const options = parsed.data;
  const log = deps.log?.child({ botId });
  let step: OnboardStep = 'getMe';
  try {
    const api = deps.telegram(token);
    const me = await api.getMe();
    if (String(me.id) !== botId) return { kind: 'token_rejected' };

    step = 'registry';
    const existing = await deps.registry.read(botId);
    if (existing && !existing.record.operators.includes(options.operatorUserId)) {
      log?.warn('tenant.onboard_taken', { operator: options.operatorUserId });
      return { kind: 'taken', botId };
    }

    step = 'treasury';
    // A treasury once made is kept, payouts on or off: its address may hold funds.
    const treasury = options.features.payouts
      ? await deps.treasuryKeys.ensure(botId)
      : (existing?.record.treasury ?? null);

    step = 'setWebhook';
    await api.setWebhook({
      url: `${deps.webhook.baseUrl.replace(/\/+$/, '')}/telegram/${botId}`,
      secret_token: webhookSecretOf(deps.webhook.masterSecret, botId),
      allowed_updates: [...deps.webhook.allowedUpdates],
      max_connections: deps.webhook.maxConnections,
    });

    step = 'setMyCommands';
    for (const list of options.commands) await api.setMyCommands(list);

    step = 'seal';
    const sealedToken = await sealBotToken(deps.vault, botId, token);

    step = 'record';
    const record: TenantRecord = {
      id: botId,
      username: me.username,
      name: me.first_name.slice(0, 256) || me.username,
      status: 'active',
      plan: options.plan,
      languages: options.languages,
      operators: existing?.record.operators ?? [options.operatorUserId],
      adminChatId: options.adminChatId,
      adminUserIds: options.adminUserIds,
      features: options.features,
      sealedToken,
      treasury,
      createdAt: existing?.record.createdAt ?? deps.now(),
    };
    const written = existing
      ? await deps.registry.replace(record, existing.version)
      : await deps.registry.create(record);
    if (written === 'conflict' || written === 'exists') {
      // Someone else changed or created it between our read and write: the caller retries, and the
      // retry sees what they wrote (and refuses if it is another operator's).
      return { kind: 'unavailable', step, code: 'tenants.changed' };
    }
    log?.info('tenant.onboarded', { created: !existing, plan: record.plan, payouts: record.features.payouts });
    return { kind: 'onboarded', tenant: record, created: !existing };
  } catch (error) {
    return stepFailure(step, error, log);
  }
}

/** What a failed step of onboarding or offboarding comes to. */
export type StepFailure<S extends string> =
  | { readonly kind: 'token_rejected' }
  | { readonly kind: 'unavailable'; readonly step: S; readonly code: string }
  | { readonly kind: 'refused'; readonly step: S; readonly code: string; readonly detail: string };

/** A failed step as an outcome: 401 → token_rejected, transient → unavailable, refused → refused; anything else is a bug and thrown. */
export function stepFailure<S extends string>(step: S, error: unknown, log: Logger | undefined): StepFailure<S> {
  log?.warn('tenant.step_failed', { step, error: describeError(error) });
  if (isUnauthorized(error)) return { kind: 'token_rejected' };
  if (error instanceof TransientError) return { kind: 'unavailable', step, code: error.code };
  if (error instanceof AppError) return { kind: 'refused', step, code: error.code, detail: error.message };
  throw error;
}
