import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListAliasesCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEnvelope, JobHandler } from '../../../../core/platform/jobs/index.js';
import { sealJobs } from '../../../../core/platform/jobs/index.js';
import { sealForIntake } from '../../../../core/platform/keys/index.js';
import type { Logger } from '../../../../core/platform/log.js';
import {
  BotListJob,
  BotOnboardJob,
  BotRemoveJob,
  BotsUsageJob,
  managerNotifyHandlers,
  onboardingHandlers,
  tokenIntakeContext,
} from '../../../../core/platform/manager/index.js';
import { botSetupApi } from '../../../../core/platform/onboarding/index.js';
import { DynamoQuotaMeter, PLANS } from '../../../../core/platform/quotas/index.js';
import type { Deliver, TelegramCall } from '../../../../core/platform/telegram/index.js';
import { scopeToTenant } from '../../../../core/platform/tenants/index.js';
import { testBotOptions, testIntakeKey } from '../../../helpers/bot-options.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { type LocalBot, startLocalBot, startTenantWorld, type TenantWorld } from '../../../helpers/tenants.js';
import { secretCanary } from '../../../setup/secrets.js';

const HOME = '123456789';
const OPERATOR = 7_001;
const STRANGER = 7_002;
const MASTER = secretCanary('manager-test-master-secret-that-is-long-enough');

let world: TenantWorld;
const bots: LocalBot[] = [];
let nextBot = 620_000;
const queue = new MemoryJobQueue();
const log = memoryLogger();

async function newBot(): Promise<LocalBot> {
  const bot = await startLocalBot(++nextBot);
  bots.push(bot);
  return bot;
}

let apiRoot = '';
let handlers: JobHandler[];
const WEBHOOK = {
  baseUrl: 'https://desk.example',
  masterSecret: MASTER,
  allowedUpdates: ['message'],
  maxConnections: 10,
};

/** The worker's dependencies on the local table, KMS and the current bot's Telegram peer. */
function workerDeps(webhook: () => Promise<typeof WEBHOOK | undefined>): Parameters<typeof onboardingHandlers>[0] {
  const telegram = (token: string) => botSetupApi(token, { apiRoot, timeoutMs: 2_000 });
  return {
    intake: testIntakeKey(),
    queue,
    commands: [{ commands: [{ command: 'start', description: 'Start' }], scope: { type: 'all_private_chats' } }],
    onboard: {
      registry: world.registry,
      vault: world.vault,
      treasuryKeys: world.treasuryKeys,
      telegram,
      now: Date.now,
    },
    webhook,
    offboard: { registry: world.registry, vault: world.vault, telegram, removalGraceSeconds: 86_400, now: Date.now },
  };
}

beforeAll(async () => {
  world = await startTenantWorld('manager-test');
  handlers = onboardingHandlers(workerDeps(async () => WEBHOOK));
}, 60_000);
afterAll(async () => {
  for (const bot of bots) await bot.peer.stop();
  await world?.stop();
});

let nextUpdate = 1;
/** A manager job as the webhook queues it: the operator's private chat, under the home bot. */
function job<P>(type: { type: string; queue: string; payload: never } | object, payload: P, userId = OPERATOR) {
  const [outgoing] = sealJobs([{ job: type as never, payload, chatId: userId, userId }], {
    idPrefix: `u${nextUpdate++}`,
    traceId: 't',
    tenant: HOME,
    now: new Date(),
  });
  return outgoing!.envelope as JobEnvelope<P>;
}

const run = (envelope: JobEnvelope, handlerLog: Logger = log) =>
  handlers.find((h) => h.job.type === envelope.type)!.run(envelope, handlerLog);

/** The text of the last notice the worker queued for `chatId`. */
function lastNotice(chatId: number): string {
  const found = queue.sent.filter((j) => j.envelope.chatId === chatId).at(-1);
  if (!found) throw new Error(`no notice for ${chatId}`);
  return (found.envelope.payload as { calls: TelegramCall[] }).calls[0]!.params.text as string;
}

const onboardJob = (bot: LocalBot, options: { userId?: number; sealedFor?: number; payouts?: boolean } = {}) =>
  job(
    BotOnboardJob,
    {
      sealed: sealForIntake(
        testBotOptions().intakePublicKey,
        bot.token,
        tokenIntakeContext(options.sealedFor ?? options.userId ?? OPERATOR),
      ),
      payouts: options.payouts ?? true,
      lang: 'en' as const,
    },
    options.userId,
  );

async function treasuryAliases(botId: string): Promise<string[]> {
  const { Aliases } = await world.kmsClient.send(new ListAliasesCommand({}));
  return (Aliases ?? []).map((a) => a.AliasName ?? '').filter((name) => name.endsWith(`-tenant-${botId}`));
}

describe('onboardingHandlers (the vault worker’s part of the manager)', () => {
  it('onboards from a sealed token, and a replayed job makes no second record or treasury key', async () => {
    const bot = await newBot();
    apiRoot = bot.peer.apiRoot;
    const first = onboardJob(bot);
    await run(first);
    expect(lastNotice(OPERATOR)).toBe(
      `✅ @${`desk_${bot.id}_bot`} is on the platform: plan Free, payouts on. Its users can start it now. /mybots lists your bots, /usage shows their use.`,
    );
    const record = await world.registry.get(bot.id);
    expect(record).toMatchObject({
      status: 'active',
      plan: 'free',
      operators: [OPERATOR],
      features: { payouts: true },
    });
    expect(bot.peer.bot().webhookInfo().url).toBe(`https://desk.example/telegram/${bot.id}`);

    // The same job again (SQS redelivers), and a new job for the same token (the operator resent it).
    await run(first);
    await run(onboardJob(bot));
    expect(lastNotice(OPERATOR)).toContain('was already yours');
    expect((await world.registry.get(bot.id))?.treasury).toEqual(record?.treasury);
    expect(await treasuryAliases(bot.id)).toHaveLength(1);
    expect(await world.registry.listOperatedBy(OPERATOR)).toEqual([{ id: bot.id, username: `desk_${bot.id}_bot` }]);
    // Replies derive their ids from the job's: a redelivery's reply is the same job, dropped downstream.
    const firstReplies = queue.sent.filter((j) => j.envelope.id.startsWith(`${first.id}.`));
    expect(new Set(firstReplies.map((j) => j.envelope.id)).size).toBe(1);

    // The token is nowhere in the table, the queued jobs or the log lines.
    const secretPart = bot.token.split(':')[1]!;
    const items = await world.local.client.send(new ScanCommand({ TableName: world.local.tableName }));
    expect(JSON.stringify(items.Items)).not.toContain(secretPart);
    expect(JSON.stringify(queue.sent)).not.toContain(secretPart);
    expect(JSON.stringify(log.lines)).not.toContain(secretPart);
  });

  it('a job delivered twice at once still makes one record and one named treasury key', async () => {
    const bot = await newBot();
    apiRoot = bot.peer.apiRoot;
    const twice = onboardJob(bot);
    await Promise.all([run(twice), run(twice)]);
    expect(await world.registry.get(bot.id)).toMatchObject({ status: 'active', operators: [OPERATOR] });
    expect(await treasuryAliases(bot.id)).toHaveLength(1);
    const { Aliases } = await world.kmsClient.send(new ListAliasesCommand({}));
    const named = Aliases?.find((a) => a.AliasName?.endsWith(`-tenant-${bot.id}`))?.TargetKeyId;
    expect((await world.registry.get(bot.id))?.treasury?.keyId).toBe(named);
    expect((await world.registry.listOperatedBy(OPERATOR)).filter((b) => b.id === bot.id)).toHaveLength(1);
  });

  it('refuses a bot another operator already has here', async () => {
    const bot = await newBot();
    apiRoot = bot.peer.apiRoot;
    await run(onboardJob(bot, { payouts: false }));
    await run(onboardJob(bot, { userId: STRANGER, payouts: false }));
    expect(lastNotice(STRANGER)).toBe(
      '❌ This bot is already on the platform for another operator: only they can change it.',
    );
    expect((await world.registry.get(bot.id))?.operators).toEqual([OPERATOR]);
  });

  it('opens no token sealed for another operator (a job whose operator was changed)', async () => {
    const bot = await newBot();
    apiRoot = bot.peer.apiRoot;
    await run(onboardJob(bot, { userId: STRANGER, sealedFor: OPERATOR }));
    expect(lastNotice(STRANGER)).toBe('❌ Your token could not be opened here. Please send it again.');
    expect(await world.registry.get(bot.id)).toBeUndefined();
  });

  it('tells the operator when Telegram refuses the token (revoked in BotFather)', async () => {
    const bot = await newBot();
    apiRoot = bot.peer.apiRoot;
    bot.peer.revokeBot(bot.token);
    await run(onboardJob(bot));
    expect(lastNotice(OPERATOR)).toContain('Telegram does not accept this token');
    expect(await world.registry.get(bot.id)).toBeUndefined();
  });

  it('removes a bot only for one of its operators; anyone else learns nothing', async () => {
    const bot = await newBot();
    apiRoot = bot.peer.apiRoot;
    await run(onboardJob(bot, { payouts: false }));
    await run(job(BotRemoveJob, { botId: bot.id, lang: 'en' as const }, STRANGER));
    expect(lastNotice(STRANGER)).toBe(`❌ You operate no bot ${bot.id} here.`);
    await run(job(BotRemoveJob, { botId: '999999999', lang: 'en' as const }, STRANGER));
    expect(lastNotice(STRANGER)).toBe('❌ You operate no bot 999999999 here.');
    expect((await world.registry.get(bot.id))?.status).toBe('active');

    await run(job(BotRemoveJob, { botId: bot.id, lang: 'zh' as const }));
    expect(lastNotice(OPERATOR)).toContain(`@desk_${bot.id}_bot 已从平台移除`);
    expect((await world.registry.get(bot.id))?.status).toBe('removed');
    expect(bot.peer.bot().webhookInfo().url).toBe('');
    await run(job(BotRemoveJob, { botId: bot.id, lang: 'en' as const }));
    expect(lastNotice(OPERATOR)).toBe(`Bot ${bot.id} was already removed.`);
  });

  it('leaves a job for a retry, and says nothing yet, until the deploy has recorded the webhook URL', async () => {
    const bot = await newBot();
    apiRoot = bot.peer.apiRoot;
    const early = onboardingHandlers(workerDeps(async () => undefined)).find((h) => h.job === BotOnboardJob)!;
    const before = queue.sent.length;
    await expect(early.run(onboardJob(bot), log)).rejects.toMatchObject({ code: 'manager.no_webhook' });
    expect(queue.sent).toHaveLength(before);
    expect(await world.registry.get(bot.id)).toBeUndefined();
  });

  it('parks a manager job that is not an operator’s private-chat job', async () => {
    const envelope = { ...job(BotRemoveJob, { botId: '1', lang: 'en' as const }), chatId: -100 };
    await expect(run(envelope)).rejects.toMatchObject({ code: 'manager.no_operator' });
  });
});

describe('managerNotifyHandlers (the notify worker’s part)', () => {
  const sent: { jobId: string; calls: TelegramCall[] }[] = [];
  const deliver = (async (jobId: string, calls: TelegramCall[]) => {
    sent.push({ jobId, calls });
    return { sent: calls.length, dropped: 0, blocked: false, repeat: false };
  }) as unknown as Deliver;
  const notify = () =>
    managerNotifyHandlers({
      registry: world.registry,
      deliver,
      meterOf: (record) =>
        new DynamoQuotaMeter({
          client: scopeToTenant(world.local.client, record.id),
          tableName: world.local.tableName,
          plan: PLANS[record.plan],
        }),
    });
  const runNotify = (envelope: JobEnvelope) =>
    notify()
      .find((h) => h.job.type === envelope.type)!
      .run(envelope, log);
  const texts = () => sent.at(-1)!.calls.map((c) => c.params.text as string);

  it('lists the operator’s bots with status and plan, and their usage; another user sees none of them', async () => {
    const operated = await world.registry.listOperatedBy(OPERATOR);
    expect(operated.length).toBeGreaterThanOrEqual(3);
    await runNotify(job(BotListJob, { lang: 'en' as const }));
    const [list] = texts();
    expect(list).toContain('🤖 <b>Your bots</b>');
    for (const { id, username } of operated) expect(list).toContain(`@${username} (<code>${id}</code>)`);
    expect(list).toContain('🟢 active, plan Free');
    expect(list).toContain('⚪ removed, plan Free');

    await runNotify(job(BotsUsageJob, { lang: 'en' as const }));
    const active = (await Promise.all(operated.map((b) => world.registry.get(b.id)))).filter(
      (r) => r?.status !== 'removed',
    );
    expect(texts()).toHaveLength(active.length);
    expect(texts()[0]).toContain('📈 <b>Usage of @');

    await runNotify(job(BotListJob, { lang: 'zh' as const }, 424_242));
    expect(texts()).toEqual(['您在平台上还没有机器人。/addbot 说明如何添加。']);
    await runNotify(job(BotsUsageJob, { lang: 'en' as const }, 424_242));
    expect(texts()).toEqual(['You have no bots on the platform yet. /addbot shows how to add one.']);
  });
});
