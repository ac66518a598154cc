/**
 * The stack's functions: the Lambda runner (bundles, environments, the HTTP API and the SQS
 * pollers), and the webhook and command menus registered with the Telegram peer as the deploy
 * script registers them.
 */
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { commandMenus } from '../../core/desk/bot/index.js';
import type { QueueName, StageSettings } from '../../core/desk/settings.js';
import { withManagerCommands } from '../../core/platform/manager/index.js';
import { webhookSecretOf } from '../../core/platform/onboarding/index.js';
import { DynamoTenantRegistry, tenantOfToken } from '../../core/platform/tenants/index.js';
import type { FunctionWiring } from '../../stacks/manifest.js';
import { localClientConfig } from '../aws/common.js';
import type { ConsumerQueue } from '../aws/sqs.js';
import type { LogLine } from '../lambda/environment.js';
import { functionEnv, type StackWiring } from '../lambda/function-env.js';
import { type LocalRunner, startRunner } from '../lambda/runner.js';
import { botIdOf, LOCAL_ADMIN_CHAT_ID, type LocalTelegramOptions } from './identity.js';

/** The running functions of a stack. */
export interface StackFunctions {
  readonly runner: LocalRunner;
  /** The webhook route's URL (`http://127.0.0.1:PORT/telegram`) when a function serves it. */
  readonly webhookUrl: string | undefined;
  stop(): Promise<void>;
}

/** How to run the functions. */
export interface StackFunctionsOptions {
  readonly stage: string;
  readonly settings: StageSettings;
  readonly functions: Readonly<Record<string, FunctionWiring>>;
  /** The project root the entries are relative to. */
  readonly root: string;
  /** Where everything is, as the functions must see it (the metering proxies' endpoints when metered). */
  readonly wiring: StackWiring;
  /** Name each function's SDK in its user agent (`AWS_SDK_UA_APP_ID`), for the meter. */
  readonly userAgentAppIds?: boolean;
  /** The SQS endpoint and queues the pollers receive from. */
  readonly sqs: { readonly endpoint: string; readonly queues: Readonly<Record<QueueName, ConsumerQueue>> };
  readonly onLog?: ((line: LogLine) => void) | undefined;
  /** Registers the webhook with this Bot API root (the local peer); not at all when absent. */
  readonly registerWebhook?: { readonly apiRoot: string; readonly bot: LocalTelegramOptions } | undefined;
  /**
   * The stage's bot, enlisted as a tenant as the deploy script enlists it, so a schedule's tick runs
   * for it: wherever its updates come from (the peer, or real Telegram polled by `npm run dev`).
   */
  readonly enlist?: LocalTelegramOptions | undefined;
}

/** Builds and runs the functions, then registers the webhook route when asked to. */
export async function startStackFunctions(options: StackFunctionsOptions): Promise<StackFunctions> {
  const { functions } = options;
  const runner = await startRunner({
    stage: options.stage,
    settings: options.settings,
    functions,
    root: options.root,
    // Kept with the project's dependencies, shared by every stack that runs these sources.
    buildCache: join(options.root, 'node_modules', '.cache', 'local-lambda'),
    env: (fn) => ({
      ...functionEnv(fn, options.wiring, nameOf(functions, fn)),
      ...(options.userAgentAppIds && { AWS_SDK_UA_APP_ID: nameOf(functions, fn) }),
    }),
    sqs: options.sqs,
    ...(options.onLog ? { onLog: options.onLog } : {}),
  });
  const webhookUrl = runner.routeUrls.webhook;
  try {
    if (webhookUrl && options.registerWebhook) {
      await setWebhook(options.registerWebhook.apiRoot, options.registerWebhook.bot, webhookUrl, options.settings);
    }
    if (options.enlist) await enlist(options.wiring, options.enlist, webhookUrl);
  } catch (error) {
    await runner.stop();
    throw error;
  }
  return { runner, webhookUrl, stop: () => runner.stop() };
}

/** A function's name in the wiring (its SDK app id when metered). */
function nameOf(functions: Readonly<Record<string, FunctionWiring>>, fn: FunctionWiring): string {
  return Object.entries(functions).find(([, wiring]) => wiring === fn)?.[0] ?? 'unknown';
}

/**
 * As the deploy script does: the stage's bot in the tenant list, so a schedule's tick runs for it,
 * and the webhook's base URL (`<url>` of `<url>/telegram`), for the manager bot's onboarding.
 */
async function enlist(wiring: StackWiring, bot: LocalTelegramOptions, webhookUrl: string | undefined): Promise<void> {
  const client = new DynamoDBClient(localClientConfig(wiring.dynamodbEndpoint));
  try {
    const registry = new DynamoTenantRegistry({ client, tableName: wiring.tableName });
    await registry.enlist({ id: String(botIdOf(bot.token)), username: bot.botUsername });
    if (webhookUrl) await registry.setWebhookBase(webhookUrl.replace(/\/telegram$/, ''));
  } finally {
    client.destroy();
  }
}

/** The deploy script's calls, made to the peer: `setWebhook`, then the command menus (`setMyCommands`, the manager's included). */
async function setWebhook(
  apiRoot: string,
  bot: LocalTelegramOptions,
  url: string,
  settings: StageSettings,
): Promise<void> {
  const botId = tenantOfToken(bot.token);
  if (botId === undefined) throw new Error('the local bot token is not a bot token');
  await callPeer(apiRoot, bot, 'setWebhook', {
    url: `${url}/${botId}`,
    secret_token: webhookSecretOf(bot.webhookSecret, botId),
    allowed_updates: settings.webhook.allowedUpdates,
    max_connections: settings.webhook.maxConnections,
  });
  for (const menu of withManagerCommands(commandMenus(LOCAL_ADMIN_CHAT_ID))) {
    await callPeer(apiRoot, bot, 'setMyCommands', menu);
  }
}

async function callPeer(apiRoot: string, bot: LocalTelegramOptions, method: string, params: object): Promise<void> {
  const response = await fetch(`${apiRoot}/bot${bot.token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  const body = (await response.json()) as { ok?: boolean; description?: string };
  if (!response.ok || body.ok !== true) {
    throw new Error(`${method} on the local Telegram peer failed: ${response.status} ${body.description ?? ''}`);
  }
}
