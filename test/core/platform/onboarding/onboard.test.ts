import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KeyVault } from '../../../../core/platform/keys/index.js';
import {
  botSetupApi,
  type CommandList,
  type OnboardDeps,
  type OnboardRequest,
  onboardBot,
  openBotToken,
  webhookSecretOf,
} from '../../../../core/platform/onboarding/index.js';
import { memoryLogger } from '../../../helpers/fakes.js';
import { type LocalBot, startLocalBot, startTenantWorld, type TenantWorld } from '../../../helpers/tenants.js';
import { secretCanary } from '../../../setup/secrets.js';

const MASTER = secretCanary('onboard-test-master-secret');
const NOW = 1_800_000_000_000;
const OPERATOR = 7_001;
const FEATURES = { payouts: false, assistant: true, watches: true, broadcasts: false };
const COMMANDS: CommandList[] = [
  { commands: [{ command: 'start', description: 'Start' }], scope: { type: 'all_private_chats' } },
  { commands: [{ command: 'start', description: '开始' }], scope: { type: 'all_private_chats' }, language_code: 'zh' },
];

let world: TenantWorld;
const bots: LocalBot[] = [];
let nextBot = 610_000;

beforeAll(async () => {
  world = await startTenantWorld('onboard-test');
});
afterEach(() => {
  world.kms.setFault(null);
});
afterAll(async () => {
  for (const bot of bots) await bot.peer.stop();
  await world?.stop();
});

async function newBot(): Promise<LocalBot> {
  const bot = await startLocalBot(++nextBot);
  bots.push(bot);
  return bot;
}

function deps(bot: LocalBot, overrides: Partial<OnboardDeps> = {}) {
  const log = memoryLogger();
  const value: OnboardDeps = {
    registry: world.registry,
    vault: world.vault,
    treasuryKeys: world.treasuryKeys,
    telegram: (token) => botSetupApi(token, { apiRoot: bot.peer.apiRoot, timeoutMs: 2_000 }),
    webhook: {
      baseUrl: 'https://desk.example/',
      masterSecret: MASTER,
      allowedUpdates: ['message', 'callback_query'],
      maxConnections: 40,
    },
    now: () => NOW,
    log,
    ...overrides,
  };
  return { deps: value, log };
}

const request = (bot: LocalBot, overrides: Partial<OnboardRequest> = {}): OnboardRequest => ({
  token: bot.token,
  operatorUserId: OPERATOR,
  plan: 'starter',
  features: FEATURES,
  commands: COMMANDS,
  ...overrides,
});

/** Neither the outcome nor a log line holds the token. */
function expectNoToken(bot: LocalBot, ...values: unknown[]) {
  for (const value of values) expect(JSON.stringify(value)).not.toContain(bot.token.split(':')[1]);
}

describe('onboardBot', () => {
  it("sets the bot's webhook and commands, seals its token and writes its record", async () => {
    const bot = await newBot();
    const { deps: d, log } = deps(bot);
    const outcome = await onboardBot(request(bot, { adminUserIds: [9], adminChatId: -100_77 }), d);
    expect(outcome).toMatchObject({ kind: 'onboarded', created: true });
    if (outcome.kind !== 'onboarded') throw new Error('not onboarded');
    expect(outcome.tenant).toMatchObject({
      id: bot.id,
      username: `desk_${bot.id}_bot`,
      name: `Desk ${bot.id}`,
      status: 'active',
      plan: 'starter',
      languages: ['en', 'zh'],
      operators: [OPERATOR],
      adminChatId: -100_77,
      adminUserIds: [9],
      features: FEATURES,
      treasury: null,
      createdAt: NOW,
    });
    expect(await world.registry.get(bot.id)).toEqual(outcome.tenant);
    expect(await openBotToken(world.vault, bot.id, outcome.tenant.sealedToken)).toBe(bot.token);

    const [webhook] = bot.peer.calls('setWebhook');
    expect(webhook?.params).toEqual({
      url: `https://desk.example/telegram/${bot.id}`,
      secret_token: webhookSecretOf(MASTER, bot.id),
      allowed_updates: ['message', 'callback_query'],
      max_connections: 40,
    });
    expect(bot.peer.webhookInfo()).toMatchObject({
      url: `https://desk.example/telegram/${bot.id}`,
      max_connections: 40,
    });
    expect(bot.peer.myCommands('all_private_chats')).toEqual([{ command: 'start', description: 'Start' }]);
    expect(bot.peer.myCommands('all_private_chats', 'zh')).toEqual([{ command: 'start', description: '开始' }]);
    expectNoToken(bot, outcome, log.lines);
    expect(log.lines.map((line) => line.event)).toContain('tenant.onboarded');
  });

  it("creates the tenant's own treasury key when it has payouts", async () => {
    const bot = await newBot();
    const outcome = await onboardBot(request(bot, { features: { ...FEATURES, payouts: true } }), deps(bot).deps);
    if (outcome.kind !== 'onboarded') throw new Error(`not onboarded: ${outcome.kind}`);
    expect(outcome.tenant.treasury).toEqual(await world.treasuryKeys.ensure(bot.id));
  });

  it('refuses what is no token, without calling Telegram or echoing it', async () => {
    const bot = await newBot();
    const { deps: d, log } = deps(bot);
    for (const token of ['', 'not a token', `${bot.id}:short`, `0${bot.token}`, ` ${bot.token}`, `${bot.token}\n`]) {
      const outcome = await onboardBot(request(bot, { token }), d);
      expect(outcome, token).toEqual({ kind: 'invalid_token' });
    }
    expect(bot.peer.calls()).toEqual([]);
    expect(log.lines).toEqual([]);
  });

  it('refuses invalid options, naming the fields', async () => {
    const bot = await newBot();
    const outcome = await onboardBot(
      request(bot, { plan: 'gold' as 'free', operatorUserId: -1, languages: ['fr' as 'en'] }),
      deps(bot).deps,
    );
    expect(outcome).toEqual({
      kind: 'invalid_request',
      detail: expect.stringMatching(/operatorUserId.*plan.*languages/),
    });
    expectNoToken(bot, outcome);
    expect(bot.peer.calls()).toEqual([]);
  });

  it('reports a token Telegram rejects (401), and writes nothing', async () => {
    const bot = await newBot();
    const wrong = `${bot.id}:WRONG${'x'.repeat(30)}`;
    const { deps: d, log } = deps(bot);
    const outcome = await onboardBot(request(bot, { token: wrong }), d);
    expect(outcome).toEqual({ kind: 'token_rejected' });
    expect(await world.registry.get(bot.id)).toBeUndefined();
    expect(JSON.stringify(log.lines)).not.toContain('WRONG');
  });

  it('rejects a token whose getMe names another bot', async () => {
    const bot = await newBot();
    const impostor = await newBot();
    // The impostor's peer answers getMe with its own id for a token claiming this bot's id.
    const outcome = await onboardBot(
      request(bot),
      deps(bot, { telegram: () => botSetupApi(impostor.token, { apiRoot: impostor.peer.apiRoot }) }).deps,
    );
    expect(outcome).toEqual({ kind: 'token_rejected' });
    expect(impostor.peer.calls('setWebhook')).toEqual([]);
    expect(await world.registry.get(bot.id)).toBeUndefined();
  });

  it('is unavailable when Telegram is down, and writes nothing', async () => {
    const bot = await startLocalBot(++nextBot);
    const apiRoot = bot.peer.apiRoot;
    await bot.peer.stop();
    const outcome = await onboardBot(
      request(bot),
      deps(bot, { telegram: (token) => botSetupApi(token, { apiRoot, timeoutMs: 1_000 }) }).deps,
    );
    expect(outcome).toEqual({ kind: 'unavailable', step: 'getMe', code: 'telegram.unreachable' });
    expect(await world.registry.get(bot.id)).toBeUndefined();
  });

  it('refuses a bot another operator hosts here, before touching its webhook', async () => {
    const bot = await newBot();
    expect((await onboardBot(request(bot), deps(bot).deps)).kind).toBe('onboarded');
    const before = await world.registry.get(bot.id);
    const webhooks = bot.peer.calls('setWebhook').length;
    const outcome = await onboardBot(request(bot, { operatorUserId: 9_999, plan: 'business' }), deps(bot).deps);
    expect(outcome).toEqual({ kind: 'taken', botId: bot.id });
    expect(bot.peer.calls('setWebhook')).toHaveLength(webhooks);
    expect(await world.registry.get(bot.id)).toEqual(before);
  });

  it('is safe to retry after a failure past setWebhook: one record, the same webhook and treasury', async () => {
    const bot = await newBot();
    const withPayouts = request(bot, { features: { ...FEATURES, payouts: true } });
    // KMS goes down just as the token is sealed: the webhook and commands are set, nothing is written.
    const failingVault: KeyVault = {
      seal: (plaintext, context) => {
        world.kms.setFault('unavailable');
        return world.vault.seal(plaintext, context);
      },
      open: (envelope, context) => world.vault.open(envelope, context),
    };
    const first = await onboardBot(withPayouts, deps(bot, { vault: failingVault }).deps);
    expect(first).toEqual({ kind: 'unavailable', step: 'seal', code: 'keys.unavailable' });
    expect(bot.peer.calls('setWebhook')).toHaveLength(1);
    expect(await world.registry.get(bot.id)).toBeUndefined();
    world.kms.setFault(null);

    const second = await onboardBot(withPayouts, deps(bot).deps);
    if (second.kind !== 'onboarded') throw new Error(`not onboarded: ${second.kind}`);
    expect(second.created).toBe(true);
    const third = await onboardBot(withPayouts, deps(bot, { now: () => NOW + 5 }).deps);
    if (third.kind !== 'onboarded') throw new Error(`not onboarded: ${third.kind}`);
    expect(third.created).toBe(false);
    expect(third.tenant.treasury).toEqual(second.tenant.treasury);
    expect(third.tenant.createdAt).toBe(NOW);
    const webhooks = bot.peer.calls('setWebhook').map((call) => call.params);
    expect(webhooks).toHaveLength(3);
    expect(new Set(webhooks.map((params) => JSON.stringify(params))).size).toBe(1);
    expect(await world.registry.listOperatedBy(OPERATOR)).toContainEqual({
      id: bot.id,
      username: `desk_${bot.id}_bot`,
    });
  });

  it('is unavailable when KMS fails making the treasury key, before the webhook is set', async () => {
    const bot = await newBot();
    world.kms.setFault('unavailable');
    const outcome = await onboardBot(request(bot, { features: { ...FEATURES, payouts: true } }), deps(bot).deps);
    expect(outcome).toEqual({ kind: 'unavailable', step: 'treasury', code: 'keys.unavailable' });
    expect(bot.peer.calls('setWebhook')).toEqual([]);
  });

  it('reports a webhook URL or command list Telegram refuses, and writes nothing', async () => {
    const bot = await newBot();
    const badUrl = await onboardBot(
      request(bot),
      deps(bot, { webhook: { ...deps(bot).deps.webhook, baseUrl: 'ftp://desk.example' } }).deps,
    );
    expect(badUrl).toMatchObject({ kind: 'refused', step: 'setWebhook', code: 'telegram.rejected' });
    // The admin chat's list needs a chat the bot is in.
    const badScope = await onboardBot(
      request(bot, {
        commands: [
          { commands: [{ command: 'stats', description: 'Stats' }], scope: { type: 'chat', chat_id: -100_123 } },
        ],
      }),
      deps(bot).deps,
    );
    expect(badScope).toMatchObject({ kind: 'refused', step: 'setMyCommands', code: 'telegram.rejected' });
    expect(await world.registry.get(bot.id)).toBeUndefined();
    expectNoToken(bot, badUrl, badScope);
  });

  it('is unavailable when DynamoDB is away, and succeeds on retry', async () => {
    const bot = await newBot();
    await world.local.db.stop();
    let outcome: Awaited<ReturnType<typeof onboardBot>>;
    try {
      outcome = await onboardBot(request(bot), deps(bot).deps);
    } finally {
      await world.local.db.start();
    }
    expect(outcome).toEqual({ kind: 'unavailable', step: 'registry', code: 'dynamodb.unavailable' });
    expect((await onboardBot(request(bot), deps(bot).deps)).kind).toBe('onboarded');
  });

  it('takes a new token for a revoked bot from its operator, and makes it active again', async () => {
    const bot = await newBot();
    await onboardBot(request(bot), deps(bot).deps);
    await world.registry.setStatus(bot.id, 'active', 'revoked', { revokedAt: NOW + 1 });
    const again = await onboardBot(request(bot), deps(bot).deps);
    if (again.kind !== 'onboarded') throw new Error(`not onboarded: ${again.kind}`);
    expect(again.created).toBe(false);
    expect(await world.registry.get(bot.id)).toEqual(again.tenant);
    expect(again.tenant.status).toBe('active');
    expect(again.tenant.revokedAt).toBeUndefined();
  });
});
