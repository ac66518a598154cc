import { Api as HttpApi, Script, type StackContext, use } from 'sst/constructs';
import { stageSettings } from '../core/desk/settings.js';
import type { WebhookRegistrationParams } from '../functions/register-webhook.js';
import { Keys } from './Keys.js';
import { FUNCTIONS, type FunctionWiring } from './manifest.js';
import { Queues } from './Queues.js';
import { Secrets } from './Secrets.js';
import { Storage } from './Storage.js';
import { type WiringResources, wiredFunction } from './wiring.js';

/** Path Telegram delivers updates to, appended to the API URL when registering the webhook. */
export const WEBHOOK_PATH = '/telegram';
/** The only route: Telegram POSTs updates to `WEBHOOK_PATH` (HTTP API payload format 2.0). */
export const WEBHOOK_ROUTE = `POST ${WEBHOOK_PATH}`;

/**
 * The deploy-time function registering the webhook and the command menus: it needs the token, the
 * webhook secret and the admin chat (whose command menu it sets), nothing else.
 */
export const WEBHOOK_REGISTRATION = {
  entry: 'functions/register-webhook.ts',
  secrets: ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET', 'ADMIN_CHAT_ID'],
  sendsTo: [],
  table: 'none',
} as const satisfies FunctionWiring;

/** The deploy-time function deleting the webhook: the token is all `deleteWebhook` takes. */
export const WEBHOOK_UNREGISTRATION = {
  ...WEBHOOK_REGISTRATION,
  secrets: ['TELEGRAM_BOT_TOKEN'],
} as const satisfies FunctionWiring;

/** Six Bot API calls and, at most, one SSM read: generous, but far below SST's 15-minute script default. */
const REGISTRATION_TIMEOUT_SECONDS = 30;

/**
 * Ingress: the HTTP API with `POST /telegram` → the webhook function (sized by
 * `stageSettings(stage).webhook`), and an SST `Script` that on every deploy points Telegram's
 * webhook at this API (`setWebhook` with the secret token, allowed updates and max connections)
 * and on removal deletes it (`deleteWebhook`).
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
  });
  // Telegram calls us server to server: no browser, so no CORS.
  const api = new HttpApi(stack, 'api', { cors: false, routes: { [WEBHOOK_ROUTE]: webhook } });
  const webhookUrl = `${api.url}${WEBHOOK_PATH}`;

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

  stack.addOutputs({ ApiUrl: api.url, WebhookUrl: webhookUrl });
  return { api, webhook };
}
