import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { commandMenus } from '../../../core/desk/bot/index.js';
import { QUEUE_NAMES, type QueueName, stageSettings } from '../../../core/desk/settings.js';
import { withManagerCommands } from '../../../core/platform/manager/index.js';
import { webhookSecretOf } from '../../../core/platform/onboarding/index.js';
import { DynamoTenantRegistry } from '../../../core/platform/tenants/index.js';
import { localClientConfig } from '../../../local/aws/common.js';
import type { ConsumerQueue } from '../../../local/aws/sqs.js';
import type { StackWiring } from '../../../local/lambda/function-env.js';
import { startStackDataDir } from '../../../local/stack/data-dir.js';
import { startStackDynamoDb } from '../../../local/stack/dynamodb.js';
import { startStackFunctions } from '../../../local/stack/functions.js';
import { botIdOf, LOCAL_ADMIN_CHAT_ID, localTelegramIdentity } from '../../../local/stack/identity.js';
import { startStackTelegram } from '../../../local/stack/telegram.js';
import { localSecrets } from '../../../local/stack/wiring.js';
import type { FunctionWiring } from '../../../stacks/manifest.js';
import { listeningServers, reachable } from './reachable.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const settings = stageSettings('local');
const identity = localTelegramIdentity();
const bot = { ...identity, id: botIdOf(identity.token) };
const FUNCTIONS: Record<string, FunctionWiring> = {
  webhook: { entry: 'test/fixtures/functions/http-echo.ts', secrets: [], sendsTo: [], table: 'none' },
};
const nowhere = 'http://127.0.0.1:9';
const queueUrls = Object.fromEntries(QUEUE_NAMES.map((q) => [q, `${nowhere}/000000000000/${q}`])) as Record<
  QueueName,
  string
>;
/** Where everything is: nowhere, as the echo function reaches for nothing. */
const wiring: StackWiring = {
  stage: 'local',
  tableName: 'local-table',
  queueUrls,
  dlqUrls: queueUrls,
  dynamodbEndpoint: nowhere,
  sqsEndpoint: nowhere,
  kmsEndpoint: nowhere,
  keyIds: { project: 'p', treasury: 't', intake: 'i' },
  telegramApiRoot: nowhere,
  aiBaseUrl: nowhere,
  secrets: localSecrets(bot, {
    solanaRpcUrls: '[]',
    priceUrls: '[]',
    treasuryAddress: '',
    intakePublicKey: '',
    aiApiKey: '',
  }),
};

async function start(
  registerWebhook: { apiRoot: string; bot: typeof bot } | undefined,
  table?: { endpoint: string; tableName: string },
) {
  const dataDir = await startStackDataDir('local');
  try {
    return {
      dataDir,
      functions: await startStackFunctions({
        stage: 'local',
        settings,
        functions: FUNCTIONS,
        root: ROOT,
        wiring: table ? { ...wiring, dynamodbEndpoint: table.endpoint, tableName: table.tableName } : wiring,
        sqs: { endpoint: nowhere, queues: {} as Record<QueueName, ConsumerQueue> },
        onLog: () => undefined,
        registerWebhook,
        // The bot is enlisted where there is a table to enlist it in.
        ...(table && { enlist: bot }),
      }),
    };
  } catch (error) {
    await dataDir.stop();
    throw error;
  }
}

describe('startStackFunctions', () => {
  it("runs the functions, registers the webhook route (the bot's path, its derived secret), the command menus and the bot as a tenant, and stops them", async () => {
    const telegram = await startStackTelegram({ bot });
    const tableDir = await startStackDataDir('local');
    const dynamodb = await startStackDynamoDb({ dataDir: tableDir.path, stage: 'local', functions: FUNCTIONS });
    const client = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
    try {
      const { dataDir, functions } = await start({ apiRoot: telegram.peer.apiRoot, bot }, dynamodb);
      try {
        expect(functions.webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/telegram$/);
        expect(telegram.peer.webhookInfo().url).toBe(`${functions.webhookUrl}/${bot.id}`);
        // The bot's own secret, derived from the deployment's: Telegram sends it with every update.
        expect(telegram.peer.calls('setWebhook').map((call) => call.params.secret_token)).toEqual([
          webhookSecretOf(bot.webhookSecret, String(bot.id)),
        ]);
        // As the deploy script enlists it: the stage's bot is a tenant, so a schedule's tick runs for it.
        const registry = new DynamoTenantRegistry({ client, tableName: dynamodb.tableName });
        expect(await registry.active()).toEqual([String(bot.id)]);
        // As the deploy script sets them: user (and the manager bot's) commands in private chats, admin ones in the admin chat, both languages.
        for (const menu of withManagerCommands(commandMenus(LOCAL_ADMIN_CHAT_ID))) {
          const scope = menu.scope.type === 'chat' ? `chat:${menu.scope.chat_id}` : menu.scope.type;
          expect(telegram.peer.myCommands(scope, menu.language_code)).toEqual(menu.commands);
        }
        expect(telegram.peer.myCommands('all_private_chats', 'zh').map((c) => c.command)).toContain('deposit');
        expect(telegram.peer.myCommands('all_private_chats').map((c) => c.command)).toContain('addbot');
        const echoed = await fetch(`${functions.webhookUrl}/${bot.id}`, { method: 'POST', body: '{}' });
        expect(echoed.ok).toBe(true);
        expect(functions.runner.stats().functions.webhook?.invocations).toBe(1);
      } finally {
        await functions.stop();
        await dataDir.stop();
      }
      expect(await reachable(functions.webhookUrl ?? '')).toBe(false);
    } finally {
      client.destroy();
      await dynamodb.stop();
      await tableDir.stop();
      await telegram.stop();
    }
  });

  it('leaves the webhook unregistered without a peer to register it with', async () => {
    const { dataDir, functions } = await start(undefined);
    await functions.stop();
    await dataDir.stop();
    expect(functions.webhookUrl).toBeDefined();
  });

  it('reports no crash for the invocations the stop itself ends (Ctrl-C mid-request)', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const { dataDir, functions } = await start(undefined);
      const inFlight = fetch(`${functions.webhookUrl}/${bot.id}`, {
        method: 'POST',
        headers: { 'x-echo-sleep': '20000' },
        body: '{}',
      }).catch(() => undefined);
      await expect.poll(() => functions.runner.stats().functions.webhook?.busy, { timeout: 20_000 }).toBe(1);
      await functions.stop();
      await dataDir.stop();
      await inFlight;
      // The killed invocation settles as a crash (counted), after the stop returned.
      await expect.poll(() => functions.runner.stats().functions.webhook?.errors, { timeout: 20_000 }).toBe(1);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });

  it('stops the runner it started when the webhook cannot be registered', async () => {
    const before = listeningServers();
    await expect(start({ apiRoot: nowhere, bot })).rejects.toThrow();
    expect(listeningServers()).toBe(before);
  });
});
