import { Script, type StackContext, use } from 'sst/constructs';
import { stageSettings } from '../core/desk/settings.js';
import type { WebhookRegistrationParams } from '../functions/register-webhook.js';
import { Keys } from './Keys.js';
import { FUNCTIONS, type FunctionWiring } from './manifest.js';
import { Queues } from './Queues.js';
import { Secrets } from './Secrets.js';
import { Storage } from './Storage.js';
import { type WiringResources, wiredFunction } from './wiring.js';

/**
 * Path Telegram delivers updates to, appended to the webhook function's URL when registering the
 * webhook. A function URL sends every path to the function; the path only names the endpoint.
 */
export const WEBHOOK_PATH = 'telegram';

/**
 * The deploy-time function registering the webhook and the command menus: it needs the token, the
 * webhook secret and the admin chat (whose command menu it sets), and writes two items: the stage's
 * bot in the tenant list (`tenants`), so a schedule's tick runs for it, and the webhook's base URL
 * (`deployment`), where the manager bot's onboarding points new bots.
 */
export const WEBHOOK_REGISTRATION = {
  entry: 'functions/register-webhook.ts',
  secrets: ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET', 'ADMIN_CHAT_ID'],
  sendsTo: [],
  table: { read: [], write: ['tenants', 'deployment'] },
} as const satisfies FunctionWiring;

/** The deploy-time function deleting the webhook: the token is all `deleteWebhook` takes. */
export const WEBHOOK_UNREGISTRATION = {
  ...WEBHOOK_REGISTRATION,
  secrets: ['TELEGRAM_BOT_TOKEN'],
  table: 'none',
} as const satisfies FunctionWiring;

/** Six Bot API calls and, at most, one SSM read: generous, but far below SST's 15-minute script default. */
const REGISTRATION_TIMEOUT_SECONDS = 30;

/**
 * Ingress: the webhook function (sized by `stageSettings(stage).webhook`) behind its own Lambda
 * function URL, and an SST `Script` that on every deploy points Telegram's webhook at that URL
 * (`setWebhook` with the secret token, allowed updates and max connections) and on removal deletes
 * it (`deleteWebhook`).
 *
 * A function URL, not an API Gateway HTTP API: it costs nothing beyond the function's own
 * invocation, where the HTTP API bills every update (see docs/cost.md), and it passes the same
 * payload format 2.0 event. Its auth type is NONE, as the HTTP API route's was: Telegram cannot
 * sign requests, so the webhook itself refuses (401) any request without the secret token, in
 * constant time, before reading or storing anything (`core/platform/ingress/webhook.ts`).
 */
export function Api({ stack }: StackContext) {
  const { table, key } = use(Storage);
  const { keys } = use(Keys);
  const { secrets } = use(Secrets);
  const { queues, deadLetterQueues } = use(Queues);
  const settings = stageSettings(stack.stage).webhook;
  const resources: WiringResources = { table, tableKey: key, secrets, queues, deadLetterQueues, keys };

  const webhook = wiredFunction(stack, 'webhook', FUNCTIONS.webhook, resources, {
    timeout: settings.timeoutSeconds,
    memorySize: settings.memoryMb,
    // Telegram calls us server to server: no browser, so no CORS.
    url: { authorizer: 'none', cors: false },
  });
  if (webhook.url === undefined) throw new Error('the webhook function has no URL');
  // The function URL ends with a slash.
  const webhookUrl = `${webhook.url}${WEBHOOK_PATH}`;

  // Script functions run at deploy time only, so they must never be live-dev stubs.
  const registration = { timeout: REGISTRATION_TIMEOUT_SECONDS, enableLiveDev: false };
  const register = wiredFunction(stack, 'registerWebhook', WEBHOOK_REGISTRATION, resources, {
    ...registration,
    handlerExport: 'register',
  });
  const unregister = wiredFunction(stack, 'unregisterWebhook', WEBHOOK_UNREGISTRATION, resources, {
    ...registration,
    handlerExport: 'unregister',
  });
  // Params are logged by SST's script runner: they carry no secret (the function reads those itself).
  const params: WebhookRegistrationParams = {
    url: webhookUrl,
    allowedUpdates: settings.allowedUpdates,
    maxConnections: settings.maxConnections,
  };
  new Script(stack, 'webhookRegistration', { onCreate: register, onUpdate: register, onDelete: unregister, params });

  stack.addOutputs({ WebhookUrl: webhookUrl });
  return { webhook };
}
