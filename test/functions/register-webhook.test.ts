import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { commandsFor } from '../../core/desk/bot/index.js';
import { conversationTranslator } from '../../core/desk/i18n.js';
import { ENV, stageSettings } from '../../core/desk/settings.js';
import { ConfigError } from '../../core/platform/errors.js';
import { webhookSecretOf } from '../../core/platform/onboarding/index.js';
import { DynamoTenantRegistry } from '../../core/platform/tenants/index.js';
import {
  buildSetWebhookPayload,
  register,
  unregister,
  type WebhookRegistrationParams,
} from '../../functions/register-webhook.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/aws/common.js';
import { startTelegramPeer, type TelegramPeer } from '../../local/telegram/index.js';
import { secretEnvName } from '../../stacks/manifest.js';
import { type LocalTable, startLocalTable } from '../helpers/local-table.js';

const settings = stageSettings('test').webhook;
const PARAMS: WebhookRegistrationParams = {
  url: 'https://abc.execute-api.eu-central-1.amazonaws.com/telegram',
  allowedUpdates: settings.allowedUpdates,
  maxConnections: settings.maxConnections,
};
const TOKEN = '123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr';
const SECRET = 'webhook_Secret-42-of-the-deployment-0123456789abcdef';
/** The bot's own webhook secret, derived from the deployment's. */
const BOT_SECRET = webhookSecretOf(SECRET, '123456789');
const ADMIN_CHAT = -100_777;

describe('buildSetWebhookPayload', () => {
  it('builds the setWebhook body from the url, the secret and settings.webhook', () => {
    expect(buildSetWebhookPayload(PARAMS, SECRET)).toEqual({
      url: PARAMS.url,
      secret_token: SECRET,
      allowed_updates: settings.allowedUpdates,
      max_connections: settings.maxConnections,
    });
  });

  it('rejects a URL that is not https', () => {
    expect(() => buildSetWebhookPayload({ ...PARAMS, url: 'http://x/telegram' }, SECRET)).toThrow(ConfigError);
  });

  it.each(['', 'has space', 'x'.repeat(257), 'semi;colon'])(
    'rejects the malformed secret %j without echoing it',
    (bad) => {
      const attempt = () => buildSetWebhookPayload(PARAMS, bad);
      expect(attempt).toThrow(ConfigError);
      if (bad.length > 3) expect(attempt).not.toThrow(bad);
    },
  );

  it.each([0, 101, 1.5])('rejects max_connections %d (Telegram allows 1–100)', (maxConnections) => {
    expect(() => buildSetWebhookPayload({ ...PARAMS, maxConnections }, SECRET)).toThrow(ConfigError);
  });
});

describe('webhook registration against the Telegram peer', () => {
  let peer: TelegramPeer;
  let output: string[];
  let local: LocalTable;
  beforeAll(async () => {
    peer = await startTelegramPeer({ token: TOKEN, bot: { id: 123456789, username: 'desk_bot', first_name: 'Desk' } });
    peer.group(ADMIN_CHAT, 'Desk admins');
    local = await startLocalTable('register-webhook');
  });
  afterAll(async () => {
    await peer.stop();
    await local?.stop();
  });
  beforeEach(() => {
    output = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    });
    vi.stubEnv(ENV.telegramApiRoot, peer.apiRoot);
    vi.stubEnv(secretEnvName('TELEGRAM_BOT_TOKEN'), TOKEN);
    vi.stubEnv(secretEnvName('TELEGRAM_WEBHOOK_SECRET'), SECRET);
    vi.stubEnv(secretEnvName('ADMIN_CHAT_ID'), String(ADMIN_CHAT));
    vi.stubEnv(ENV.tableName, local.tableName);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', local.db.endpoint);
    vi.stubEnv('AWS_REGION', LOCAL_REGION);
    vi.stubEnv('AWS_ACCESS_KEY_ID', LOCAL_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOCAL_CREDENTIALS.secretAccessKey);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('registers the bot’s own url and secret, allowed updates and max connections, and logs no secret', async () => {
    await register({ params: PARAMS });
    expect(peer.webhookInfo()).toMatchObject({
      url: `${PARAMS.url}/123456789`,
      max_connections: settings.maxConnections,
      allowed_updates: [...settings.allowedUpdates],
    });
    const setWebhook = peer.calls('setWebhook').at(-1);
    expect(setWebhook?.params.secret_token).toBe(BOT_SECRET);
    expect(output.join('')).toContain('webhook.registered');
    expect(output.join('')).not.toContain(SECRET);
    expect(output.join('')).not.toContain(BOT_SECRET);
    expect(output.join('')).not.toContain(TOKEN.split(':')[1]);
  });

  it('lists the stage’s bot among the tenants, so a schedule’s tick runs for it', async () => {
    await register({ params: PARAMS });
    const registry = new DynamoTenantRegistry({ client: local.client, tableName: local.tableName });
    expect((await registry.list()).items).toContainEqual({ id: '123456789', username: 'desk_bot' });
    expect(await registry.active()).toContain('123456789');
  });

  it('records the webhook’s base URL, where bots onboarded through the manager bot point theirs', async () => {
    await register({ params: PARAMS });
    const registry = new DynamoTenantRegistry({ client: local.client, tableName: local.tableName });
    expect(await registry.webhookBase()).toBe(PARAMS.url.replace(/\/telegram$/, ''));
  });

  it('sets the command menus: user and manager commands in private chats, admin commands in the admin chat, in both languages', async () => {
    await register({ params: PARAMS });
    const names = (list: { command: string }[]) => list.map((c) => c.command);
    expect(names(peer.myCommands('all_private_chats'))).toEqual([
      ...commandsFor('user').map((c) => c.name),
      'addbot',
      'mybots',
      'usage',
      'removebot',
    ]);
    expect(peer.myCommands('all_private_chats', 'zh').find((c) => c.command === 'addbot')?.description).toBe(
      '将您自己的机器人添加到平台',
    );
    expect(peer.myCommands('all_private_chats', 'zh').find((c) => c.command === 'withdraw')?.description).toBe(
      conversationTranslator('zh')('command.withdraw'),
    );
    expect(names(peer.myCommands(`chat:${ADMIN_CHAT}`))).toEqual([...commandsFor('admin').map((c) => c.name), 'help']);
    expect(names(peer.myCommands(`chat:${ADMIN_CHAT}`, 'zh'))).toContain('broadcast');
    expect(output.join('')).toContain('commands.registered');
  });

  it('refuses to run without a numeric ADMIN_CHAT_ID, before calling Telegram', async () => {
    const before = peer.calls().length;
    vi.stubEnv(secretEnvName('ADMIN_CHAT_ID'), 'admins');
    await expect(register({ params: PARAMS })).rejects.toThrow('ADMIN_CHAT_ID must be a numeric Telegram chat id');
    expect(peer.calls()).toHaveLength(before);
  });

  it('fails with Telegram’s reason, and without the token, when Telegram refuses', async () => {
    vi.stubEnv(secretEnvName('TELEGRAM_BOT_TOKEN'), '123456789:WRONGWRONGWRONGWRONGWRONGWRONGWRONG');
    const error = await register({ params: PARAMS }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'telegram.unauthorized' });
    expect(String(error)).toContain('Unauthorized');
    expect(String(error)).not.toContain('WRONGWRONG');
  });

  it('rejects script params that are not registration params before calling Telegram', async () => {
    const before = peer.calls().length;
    await expect(register({ params: { url: PARAMS.url } })).rejects.toBeInstanceOf(ConfigError);
    expect(peer.calls()).toHaveLength(before);
  });

  it('refuses to run when the webhook secret is not bound to it', async () => {
    vi.stubEnv(secretEnvName('TELEGRAM_WEBHOOK_SECRET'), '');
    await expect(register({ params: PARAMS })).rejects.toThrow('TELEGRAM_WEBHOOK_SECRET is not bound');
  });

  it('unregisters by deleting the webhook and keeping pending updates', async () => {
    await register({ params: PARAMS });
    await unregister();
    expect(peer.webhookInfo().url).toBe('');
    expect(peer.calls('deleteWebhook').at(-1)?.params).toEqual({ drop_pending_updates: false });
  });

  it('does not block stack removal when Telegram cannot be reached', async () => {
    vi.stubEnv(ENV.telegramApiRoot, 'http://127.0.0.1:9');
    await expect(unregister()).resolves.toBeUndefined();
    expect(output.join('')).toContain('webhook.delete_failed');
  });
});
