/**
 * Deploy-time handlers of the SST `Script` in stacks/Api.ts: `register` (on create and update)
 * points Telegram's webhook at this stage's API with `setWebhook` and sets the desk's command
 * menus (`setMyCommands` per language, for private chats and for the admin chat); `unregister`
 * (on delete) calls `deleteWebhook`. Script params carry only public values; the bot token and the webhook secret
 * come from this function's own secret bindings and are never logged.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { commandMenus } from '../core/desk/bot/index.js';
import { ENV } from '../core/desk/settings.js';
import { ConfigError, describeError } from '../core/platform/errors.js';
import { createLogger, type Logger } from '../core/platform/log.js';
import { withManagerCommands } from '../core/platform/manager/index.js';
import { webhookSecretOf } from '../core/platform/onboarding/index.js';
import type { WebhookSettings } from '../core/platform/settings.js';
import { HttpChatGateway } from '../core/platform/telegram/index.js';
import { DynamoTenantRegistry, tenantOfToken } from '../core/platform/tenants/index.js';
import { type SecretName, secretEnvName } from '../stacks/manifest.js';
import { resolveSecrets } from './lib/secrets.js';

/** What the stack passes as Script `params`: the webhook URL and the registration settings. */
export interface WebhookRegistrationParams extends Pick<WebhookSettings, 'allowedUpdates' | 'maxConnections'> {
  /** The API URL + the webhook route path; the bot's id is appended (`…/telegram/<botId>`). */
  readonly url: string;
}

/** Body of Bot API `setWebhook` (the subset we set). */
export interface SetWebhookPayload {
  readonly url: string;
  readonly secret_token: string;
  readonly allowed_updates: readonly string[];
  readonly max_connections: number;
}

// Bot API setWebhook: secret_token is 1–256 characters of A-Z, a-z, 0-9, _ and -.
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * Builds the `setWebhook` body from the registration params and the webhook secret. Pure: it
 * rejects what Telegram would refuse (non-HTTPS URL, malformed secret, max_connections outside
 * 1–100) with errors that never echo the secret.
 */
export function buildSetWebhookPayload(params: WebhookRegistrationParams, secretToken: string): SetWebhookPayload {
  if (!params.url.startsWith('https://')) {
    throw new ConfigError(`Webhook URL must use https: ${params.url}`);
  }
  if (!SECRET_TOKEN.test(secretToken)) {
    throw new ConfigError('TELEGRAM_WEBHOOK_SECRET must be 1–256 characters of A-Z, a-z, 0-9, _ and -');
  }
  if (!Number.isInteger(params.maxConnections) || params.maxConnections < 1 || params.maxConnections > 100) {
    throw new ConfigError(`max_connections must be an integer in 1–100, got ${params.maxConnections}`);
  }
  return {
    url: params.url,
    secret_token: secretToken,
    allowed_updates: [...params.allowedUpdates],
    max_connections: params.maxConnections,
  };
}

const ScriptEventSchema = z.object({
  params: z.object({
    url: z.string().check(z.minLength(1)),
    allowedUpdates: z.array(z.string()),
    maxConnections: z.number(),
  }),
});

/** Script `onCreate`/`onUpdate`: registers this stage's webhook. */
export async function register(event: unknown): Promise<void> {
  const parsed = ScriptEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new ConfigError('Script params are not webhook registration params', { cause: parsed.error });
  }
  const env = await readEnvironment(['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET', 'ADMIN_CHAT_ID']);
  // The bot's own route and secret: the webhook serves every bot of the deployment at /telegram/<botId>.
  const botId = tenantOfToken(env.secrets.TELEGRAM_BOT_TOKEN);
  if (botId === undefined) throw new ConfigError('TELEGRAM_BOT_TOKEN is not a bot token');
  const payload = buildSetWebhookPayload(
    { ...parsed.data.params, url: `${parsed.data.params.url}/${botId}` },
    webhookSecretOf(env.secrets.TELEGRAM_WEBHOOK_SECRET, botId),
  );
  const adminChatId = parseAdminChatId(env.secrets.ADMIN_CHAT_ID);
  await env.telegram.call({ method: 'setWebhook', params: { ...payload } });
  env.log.info('webhook.registered', {
    url: payload.url,
    allowedUpdates: payload.allowed_updates,
    maxConnections: payload.max_connections,
  });
  // The stage's own bot is also the manager bot: its private chats list the operators' commands too.
  const menus = withManagerCommands(commandMenus(adminChatId));
  for (const menu of menus) await env.telegram.call({ method: 'setMyCommands', params: { ...menu } });
  env.log.info('commands.registered', { lists: menus.length });
  // Listed among the tenants, so a schedule's tick runs for the stage's own bot too.
  const me = GetMeSchema.parse(await env.telegram.call({ method: 'getMe', params: {} }));
  const tableName = process.env[ENV.tableName];
  if (!tableName) throw new ConfigError(`${ENV.tableName} is not set`);
  const registry = new DynamoTenantRegistry({ client: new DynamoDBClient({ maxAttempts: 3 }), tableName });
  await registry.enlist({ id: botId, username: me.username });
  env.log.info('tenant.enlisted', { botId });
  // Where bots onboarded through the manager bot point their webhooks (`<base>/telegram/<botId>`).
  await registry.setWebhookBase(parsed.data.params.url.replace(/\/telegram$/, ''));
}

const GetMeSchema = z.object({ username: z.string().check(z.minLength(1)) });

/** `ADMIN_CHAT_ID`: a numeric chat id (the admin group's is negative); the error never echoes it. */
function parseAdminChatId(value: string): number {
  const id = Number(value);
  if (!/^-?\d{1,20}$/.test(value) || !Number.isSafeInteger(id)) {
    throw new ConfigError('ADMIN_CHAT_ID must be a numeric Telegram chat id');
  }
  return id;
}

/**
 * Script `onDelete`: removes the webhook (pending updates are kept for whoever registers next).
 * A failure is logged, not thrown: a revoked token or an unreachable Telegram must not leave the
 * stack stuck in DELETE_FAILED, and a webhook pointing at a removed API harms nothing.
 */
export async function unregister(): Promise<void> {
  const env = await readEnvironment(['TELEGRAM_BOT_TOKEN']);
  try {
    await env.telegram.call({ method: 'deleteWebhook', params: { drop_pending_updates: false } });
    env.log.info('webhook.deleted');
  } catch (error) {
    env.log.warn('webhook.delete_failed', { error: describeError(error) });
  }
}

interface RegistrationEnvironment<N extends SecretName> {
  readonly telegram: HttpChatGateway;
  readonly secrets: Readonly<Record<N, string>>;
  /** Scrubs these secret values from every line. */
  readonly log: Logger;
}

/**
 * The Bot API client and the named secrets, resolved like every handler's config
 * (`resolveSecrets`: plain values are kept, SST's SSM markers fetched). Errors name the
 * variable, never its value.
 */
async function readEnvironment<N extends SecretName>(
  names: readonly ('TELEGRAM_BOT_TOKEN' | N)[],
): Promise<RegistrationEnvironment<N | 'TELEGRAM_BOT_TOKEN'>> {
  const env = await resolveSecrets(process.env);
  const apiRoot = env[ENV.telegramApiRoot];
  if (!apiRoot) throw new ConfigError(`${ENV.telegramApiRoot} is not set`);
  const secrets = {} as Record<N | 'TELEGRAM_BOT_TOKEN', string>;
  for (const name of names) {
    const value = env[secretEnvName(name)];
    if (!value) throw new ConfigError(`${name} is not bound to this function`);
    secrets[name] = value;
  }
  const log = createLogger({ service: 'register-webhook', secrets: Object.values<string>(secrets) });
  return { telegram: new HttpChatGateway({ apiRoot, token: secrets.TELEGRAM_BOT_TOKEN }), secrets, log };
}
