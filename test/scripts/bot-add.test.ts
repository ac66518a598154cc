import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../core/platform/errors.js';
import { createEnvelopeVault, KmsDataKeys } from '../../core/platform/keys/index.js';
import { openBotToken, webhookSecretOf } from '../../core/platform/onboarding/index.js';
import { main as addBot } from '../../scripts/bot-add.js';
import { main as removeBot } from '../../scripts/bot-remove.js';
import type { TenantScriptDeps } from '../../scripts/tenant-stage.js';
import { DEFAULT_REGION } from '../../stacks/app.js';
import { keyAlias } from '../../stacks/manifest.js';
import { type LocalBot, startLocalBot, startTenantWorld, type TenantWorld } from '../helpers/tenants.js';
import { secretCanary } from '../setup/secrets.js';

const MASTER = secretCanary('bot-add-test-master-secret');
const NOW = 1_800_000_000_000;
const OPERATOR = '7003';
const URL = 'https://hooks.example/';

let world: TenantWorld;
const bots: LocalBot[] = [];
let nextBot = 640_000;

beforeAll(async () => {
  world = await startTenantWorld('bot-add-test');
  await world.kms.ensureKey(keyAlias('wallet-desk', 'test', 'project'), 'SYMMETRIC_DEFAULT');
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

/** Runs a script with the local emulators, `stdin` as its standard input, and captured output. */
async function run(
  script: typeof addBot,
  argv: string[],
  bot: LocalBot,
  { stdin = '', ...overrides }: { stdin?: string } & Omit<TenantScriptDeps, 'stdin'> = {},
) {
  let out = '';
  let err = '';
  const code = await script(argv, {
    dynamodb: world.local.client,
    kms: world.kmsClient,
    apiRoot: bot.peer.apiRoot,
    masterSecret: async () => MASTER,
    stdin: Readable.from([stdin]),
    now: () => NOW,
    write: (text) => {
      out += text;
    },
    writeError: (text) => {
      err += text;
    },
    ...overrides,
  });
  return { code, out, err };
}

const stageArgs = () => ['--stage', 'test', '--table', world.local.tableName];
const addArgs = (...more: string[]) => [...stageArgs(), '--url', URL, '--operator', OPERATOR, ...more];

describe('bot:add', () => {
  it('adds the bot whose token is on standard input: webhook, command menus, sealed token, record', async () => {
    const bot = await newBot();
    const { code, out, err } = await run(addBot, addArgs('--plan', 'pro', '--features', 'assistant,watches'), bot, {
      stdin: `${bot.token}\n`,
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain(`Added @desk_${bot.id}_bot (bot ${bot.id}) on stage test, plan pro.`);
    expect(out).toContain(`webhook: https://hooks.example/telegram/${bot.id}`);
    expect(out).not.toContain(bot.token.split(':')[1]);

    expect(bot.peer.calls('setWebhook')[0]?.params).toMatchObject({
      url: `https://hooks.example/telegram/${bot.id}`,
      secret_token: webhookSecretOf(MASTER, bot.id),
    });
    // The desk's menus, for private chats (no admin chat given), in English and 中文.
    const commands = bot.peer.myCommands('all_private_chats').map((c) => c.command);
    expect(commands).toContain('start');
    expect(bot.peer.myCommands('all_private_chats', 'zh').length).toBeGreaterThan(0);
    // Only what it offers: watches and the assistant, no deposits or withdrawals.
    expect(commands).toEqual(expect.arrayContaining(['watch', 'watches', 'reset']));
    for (const gone of ['deposit', 'withdraw', 'history']) expect(commands).not.toContain(gone);
    const record = await world.registry.get(bot.id);
    expect(record).toMatchObject({
      status: 'active',
      plan: 'pro',
      operators: [Number(OPERATOR)],
      features: { payouts: false, assistant: true, watches: true, broadcasts: false },
      treasury: null,
      createdAt: NOW,
    });
    // Sealed under the stage's project key: a vault on that key opens it.
    const vault = createEnvelopeVault(
      new KmsDataKeys({ client: world.kmsClient, keyId: keyAlias('wallet-desk', 'test', 'project') }),
    );
    expect(await openBotToken(vault, bot.id, record!.sealedToken)).toBe(bot.token);
  });

  it("makes the bot's treasury key, under the stage's alias, when it has payouts", async () => {
    const bot = await newBot();
    const { code, out } = await run(addBot, addArgs('--features', 'payouts'), bot, { stdin: bot.token });
    expect(code).toBe(0);
    const record = await world.registry.get(bot.id);
    expect(record?.treasury).not.toBeNull();
    expect(out).toContain(`treasury address: ${record!.treasury!.address}`);
    const { KeyMetadata } = await world.kmsClient.send(
      new DescribeKeyCommand({ KeyId: `alias/wallet-desk-test-treasury-${bot.id}` }),
    );
    expect(KeyMetadata?.KeyId).toBe(record!.treasury!.keyId);
  });

  it('exits 1 with one line when Telegram rejects the token, never printing it', async () => {
    const bot = await newBot();
    const wrong = `${bot.id}:WRONG${'w'.repeat(32)}`;
    const { code, out, err } = await run(addBot, addArgs(), bot, { stdin: wrong });
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe('bot:add: Telegram rejected this token: check it in @BotFather (/token) and try again\n');
    expect(await world.registry.get(bot.id)).toBeUndefined();
  });

  it('exits 1 when standard input holds no token, and takes none from the command line', async () => {
    const bot = await newBot();
    const empty = await run(addBot, addArgs(), bot, { stdin: '' });
    expect(empty.code).toBe(1);
    expect(empty.err).toContain('standard input holds no bot token');
    const argv = await run(addBot, addArgs('--token', bot.token), bot, { stdin: bot.token });
    expect(argv.code).toBe(1);
    expect(argv.err).toMatch(/^bot:add: .*--token.*\nusage: npm run bot:add/);
    expect(argv.err).not.toContain(bot.token.split(':')[1]);
    expect(bot.peer.calls()).toEqual([]);
  });

  it.each([
    ['no --stage', ['--table', 't-1', '--url', URL, '--operator', OPERATOR]],
    ['no --table', ['--stage', 'test', '--url', URL, '--operator', OPERATOR]],
    ['no --url', ['--stage', 'test', '--table', 't-1', '--operator', OPERATOR]],
    ['no --operator', ['--stage', 'test', '--table', 't-1', '--url', URL]],
    ['an unknown plan', ['--stage', 'test', '--table', 't-1', '--url', URL, '--operator', OPERATOR, '--plan', 'gold']],
    ['an unknown feature', ['--stage', 'test', '--table', 't-1', '--url', URL, '--operator', '1', '--features', 'x']],
    [
      'an unknown language',
      ['--stage', 'test', '--table', 't-1', '--url', URL, '--operator', '1', '--languages', 'fr'],
    ],
    ['a malformed stage', ['--stage', 'prod; rm -rf /', '--table', 't-1', '--url', URL, '--operator', '1']],
    ['a malformed region', ['--stage', 'test', '--table', 't-1', '--url', URL, '--operator', '1', '--region', 'x']],
  ])('exits 1 with usage and no call for %s', async (_name, argv) => {
    const bot = await newBot();
    const { code, out, err } = await run(addBot, argv, bot, { stdin: bot.token });
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/^bot:add: .+\nusage: npm run bot:add -- --stage <stage>/);
    expect(bot.peer.calls()).toEqual([]);
  });

  it("exits 1 for another operator's bot, and when the stage's master secret cannot be read", async () => {
    const bot = await newBot();
    expect((await run(addBot, addArgs(), bot, { stdin: bot.token })).code).toBe(0);
    const taken = await run(addBot, [...stageArgs(), '--url', URL, '--operator', '999'], bot, { stdin: bot.token });
    expect(taken).toMatchObject({
      code: 1,
      err: `bot:add: bot ${bot.id} is already hosted here by another operator\n`,
    });

    const other = await newBot();
    const missing = await run(addBot, addArgs(), other, {
      stdin: other.token,
      masterSecret: async () => {
        throw new AppError('config.invalid', 'TELEGRAM_WEBHOOK_SECRET is not set for stage test');
      },
    });
    expect(missing).toMatchObject({
      code: 1,
      err: 'bot:add: TELEGRAM_WEBHOOK_SECRET is not set for stage test [config.invalid]\n',
    });
    expect(other.peer.calls('setWebhook')).toEqual([]);
  });
});

describe("bot:add's master secret", () => {
  /** A stand-in for SSM's GetParameters holding the stage secrets in `values`, recording each request's region and names. */
  async function startSsm(values: Record<string, string>) {
    const requests: { region: string | undefined; names: string[] }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        const names = (JSON.parse(body) as { Names: string[] }).Names;
        const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
        requests.push({ region, names });
        const found = names.filter((name) => name in values).map((name) => ({ Name: name, Value: values[name] }));
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ Parameters: found, InvalidParameters: names.filter((name) => !(name in values)) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const previous = process.env.AWS_ENDPOINT_URL_SSM;
    process.env.AWS_ENDPOINT_URL_SSM = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      requests,
      stop: () => {
        if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SSM;
        else process.env.AWS_ENDPOINT_URL_SSM = previous;
        return new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  it("is the stage's TELEGRAM_WEBHOOK_SECRET, read from SSM in the stage's region", async () => {
    const stageMaster = secretCanary('stage-webhook-master-secret');
    const ssm = await startSsm({ '/sst/wallet-desk/test/Secret/TELEGRAM_WEBHOOK_SECRET/value': stageMaster });
    try {
      const bot = await newBot();
      const { code, err } = await run(addBot, addArgs(), bot, { stdin: bot.token, masterSecret: undefined });
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(ssm.requests[0]).toEqual({
        region: DEFAULT_REGION,
        names: ['/sst/wallet-desk/test/Secret/TELEGRAM_WEBHOOK_SECRET/value'],
      });
      expect(bot.peer.calls('setWebhook')[0]?.params.secret_token).toBe(webhookSecretOf(stageMaster, bot.id));
    } finally {
      await ssm.stop();
    }
  });

  it('exits 1, before any Telegram call, when the stage has none', async () => {
    const ssm = await startSsm({});
    try {
      const bot = await newBot();
      const { code, err } = await run(addBot, addArgs(), bot, { stdin: bot.token, masterSecret: undefined });
      expect(code).toBe(1);
      expect(err).toBe('bot:add: TELEGRAM_WEBHOOK_SECRET is not set for stage test [config.invalid]\n');
      // Looked for under the stage, then under the app-wide fallback, as the functions do.
      expect(ssm.requests.flatMap((r) => r.names)).toEqual([
        '/sst/wallet-desk/test/Secret/TELEGRAM_WEBHOOK_SECRET/value',
        '/sst/wallet-desk/.fallback/Secret/TELEGRAM_WEBHOOK_SECRET/value',
      ]);
      expect(bot.peer.calls()).toEqual([]);
    } finally {
      await ssm.stop();
    }
  });
});

describe('bot:remove', () => {
  it('removes a bot for its operator, then purges its data after the grace', async () => {
    const bot = await newBot();
    expect((await run(addBot, addArgs(), bot, { stdin: bot.token })).code).toBe(0);
    await world.table.put({ pk: { S: `t${bot.id}/session#1:1` }, sk: { S: 'session' } });
    const removeArgs = [...stageArgs(), '--bot', bot.id, '--operator', OPERATOR];

    const stranger = await run(removeBot, [...stageArgs(), '--bot', bot.id, '--operator', '999'], bot);
    expect(stranger).toMatchObject({ code: 1, err: `bot:remove: user 999 is not an operator of bot ${bot.id}\n` });

    const removed = await run(removeBot, removeArgs, bot);
    expect(removed.code).toBe(0);
    expect(removed.out).toContain(`Removed bot ${bot.id} from stage test`);
    expect(bot.peer.webhookInfo().url).toBe('');
    const { purgeAfter } = (await world.registry.get(bot.id))!;

    const early = await run(removeBot, [...removeArgs, '--purge'], bot);
    expect(early).toMatchObject({
      code: 1,
      err: `bot:remove: bot ${bot.id} may be purged after ${new Date(purgeAfter!).toISOString()}\n`,
    });
    const strangerPurge = await run(removeBot, [...stageArgs(), '--bot', bot.id, '--operator', '999', '--purge'], bot, {
      now: () => purgeAfter!,
    });
    expect(strangerPurge.code).toBe(1);

    const purged = await run(removeBot, [...removeArgs, '--purge'], bot, { now: () => purgeAfter! });
    expect(purged).toMatchObject({ code: 0, out: `Purged bot ${bot.id}: 1 item(s) and its record.\n` });
    expect(await world.registry.get(bot.id)).toBeUndefined();
    expect(await world.table.get(`t${bot.id}/session#1:1`, 'session')).toBeUndefined();
    const gone = await run(removeBot, removeArgs, bot);
    expect(gone).toMatchObject({ code: 1, err: `bot:remove: bot ${bot.id} is not hosted on stage test\n` });
  });

  it('exits 1 with usage for a malformed bot id', async () => {
    const bot = await newBot();
    const { code, err } = await run(removeBot, [...stageArgs(), '--bot', 'abc', '--operator', OPERATOR], bot);
    expect(code).toBe(1);
    expect(err).toMatch(/^bot:remove: --bot .+\nusage: npm run bot:remove/);
  });
});
