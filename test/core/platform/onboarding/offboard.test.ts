import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Table } from '../../../../core/platform/adapters/index.js';
import { createEnvelopeVault, KmsDataKeys } from '../../../../core/platform/keys/index.js';
import {
  botSetupApi,
  DEFAULT_REMOVAL_GRACE_SECONDS,
  type OffboardDeps,
  offboardBot,
  onboardBot,
  type PurgeDeps,
  purgeTenant,
} from '../../../../core/platform/onboarding/index.js';
import { TENANT_KEYS } from '../../../../core/platform/tenants/index.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import { memoryLogger } from '../../../helpers/fakes.js';
import { type LocalBot, startLocalBot, startTenantWorld, type TenantWorld } from '../../../helpers/tenants.js';
import { secretCanary } from '../../../setup/secrets.js';

const MASTER = secretCanary('offboard-test-master-secret');
const NOW = 1_800_000_000_000;
const GRACE = 3_600;
const OPERATOR = 7_002;

let world: TenantWorld;
const bots: LocalBot[] = [];
let nextBot = 620_000;

beforeAll(async () => {
  world = await startTenantWorld('offboard-test');
});
afterEach(() => {
  world.kms.setFault(null);
});
afterAll(async () => {
  for (const bot of bots) await bot.peer.stop();
  await world?.stop();
});

/** A bot onboarded by OPERATOR, with a treasury. */
async function hostedBot(id = ++nextBot): Promise<LocalBot> {
  const bot = await startLocalBot(id);
  bots.push(bot);
  const outcome = await onboardBot(
    {
      token: bot.token,
      operatorUserId: OPERATOR,
      plan: 'pro',
      features: { payouts: true, assistant: false, watches: false, broadcasts: false },
    },
    {
      registry: world.registry,
      vault: world.vault,
      treasuryKeys: world.treasuryKeys,
      telegram: (token) => botSetupApi(token, { apiRoot: bot.peer.apiRoot }),
      webhook: {
        baseUrl: 'https://desk.example',
        masterSecret: MASTER,
        allowedUpdates: ['message'],
        maxConnections: 10,
      },
      now: () => NOW,
    },
  );
  expect(outcome.kind).toBe('onboarded');
  return bot;
}

function offboardDeps(bot: LocalBot, overrides: Partial<OffboardDeps> = {}): OffboardDeps {
  return {
    registry: world.registry,
    vault: world.vault,
    telegram: (token) => botSetupApi(token, { apiRoot: bot.peer.apiRoot, timeoutMs: 1_000 }),
    removalGraceSeconds: GRACE,
    now: () => NOW + 10,
    log: memoryLogger(),
    ...overrides,
  };
}

describe('offboardBot', () => {
  it('deletes the webhook and marks the tenant removed, to be purged after the grace', async () => {
    const bot = await hostedBot();
    expect(bot.peer.webhookInfo().url).not.toBe('');
    const outcome = await offboardBot(bot.id, OPERATOR, offboardDeps(bot));
    expect(outcome).toEqual({ kind: 'removed', purgeAfter: NOW + 10 + GRACE * 1000 });
    expect(bot.peer.webhookInfo().url).toBe('');
    expect(await world.registry.get(bot.id)).toMatchObject({
      status: 'removed',
      removedAt: NOW + 10,
      purgeAfter: NOW + 10 + GRACE * 1000,
    });
    expect(await offboardBot(bot.id, OPERATOR, offboardDeps(bot))).toEqual({
      kind: 'already_removed',
      purgeAfter: NOW + 10 + GRACE * 1000,
    });
    expect(DEFAULT_REMOVAL_GRACE_SECONDS).toBe(30 * 86_400);
  });

  it('lets only an operator of the bot remove it', async () => {
    const bot = await hostedBot();
    expect(await offboardBot(bot.id, 9_999, offboardDeps(bot))).toEqual({ kind: 'not_operator' });
    expect(bot.peer.calls('deleteWebhook')).toEqual([]);
    expect((await world.registry.get(bot.id))?.status).toBe('active');
    expect(await offboardBot('999999999', OPERATOR, offboardDeps(bot))).toEqual({ kind: 'not_found' });
  });

  it('removes a bot whose token Telegram already refuses (401)', async () => {
    const bot = await hostedBot();
    const stranger = await startLocalBot(++nextBot);
    bots.push(stranger);
    // The stranger's peer refuses this bot's token, as Telegram does a revoked one.
    const outcome = await offboardBot(
      bot.id,
      OPERATOR,
      offboardDeps(bot, { telegram: (token) => botSetupApi(token, { apiRoot: stranger.peer.apiRoot }) }),
    );
    expect(outcome.kind).toBe('removed');
  });

  it('changes nothing when Telegram or KMS is down', async () => {
    const bot = await hostedBot();
    const down = await startLocalBot(++nextBot);
    await down.peer.stop();
    const unreachable = await offboardBot(
      bot.id,
      OPERATOR,
      offboardDeps(bot, { telegram: (token) => botSetupApi(token, { apiRoot: down.peer.apiRoot, timeoutMs: 500 }) }),
    );
    expect(unreachable).toEqual({ kind: 'unavailable', step: 'deleteWebhook', code: 'telegram.unreachable' });
    world.kms.setFault('unavailable');
    // A fresh vault, so no data key is cached.
    const vault = createEnvelopeVault(new KmsDataKeys({ client: world.kmsClient, keyId: world.dataKeyId }));
    expect(await offboardBot(bot.id, OPERATOR, offboardDeps(bot, { vault }))).toEqual({
      kind: 'unavailable',
      step: 'open',
      code: 'keys.unavailable',
    });
    expect((await world.registry.get(bot.id))?.status).toBe('active');
    expect(bot.peer.webhookInfo().url).not.toBe('');
  });
});

describe('onboarding a removed bot again', () => {
  it('restores it for its operator before the purge: active, no purge date, its data kept', async () => {
    const bot = await hostedBot();
    await world.table.put({ pk: { S: `t${bot.id}/balance#1` }, sk: { S: 'balance' } });
    const { treasury } = (await world.registry.get(bot.id))!;
    await offboardBot(bot.id, OPERATOR, offboardDeps(bot));
    const again = await onboardBot(
      {
        token: bot.token,
        operatorUserId: OPERATOR,
        plan: 'pro',
        features: { payouts: false, assistant: false, watches: false, broadcasts: false },
      },
      {
        registry: world.registry,
        vault: world.vault,
        treasuryKeys: world.treasuryKeys,
        telegram: (token) => botSetupApi(token, { apiRoot: bot.peer.apiRoot }),
        webhook: {
          baseUrl: 'https://desk.example',
          masterSecret: MASTER,
          allowedUpdates: ['message'],
          maxConnections: 10,
        },
        now: () => NOW + 20,
      },
    );
    expect(again).toMatchObject({ kind: 'onboarded', created: false });
    const record = await world.registry.get(bot.id);
    expect(record).toMatchObject({ status: 'active', createdAt: NOW });
    expect(record?.removedAt).toBeUndefined();
    expect(record?.purgeAfter).toBeUndefined();
    // Payouts off now, but the treasury key (and what its address holds) is not forgotten.
    expect(record?.treasury).toEqual(treasury);
    expect(bot.peer.webhookInfo().url).toBe(`https://desk.example/telegram/${bot.id}`);
    expect(await world.table.get(`t${bot.id}/balance#1`, 'balance')).toBeDefined();
  });
});

describe('purgeTenant', () => {
  const purgeDeps = (now: number, pageSize?: number): PurgeDeps => ({
    registry: world.registry,
    table: {
      scanKeys: (prefix, options) =>
        world.table.scanKeys(prefix, { ...options, ...(pageSize === undefined ? {} : { limit: pageSize }) }),
      delete: (pk, sk) => world.table.delete(pk, sk),
    },
    now: () => now,
  });

  async function put(pk: string, sk: string) {
    await world.table.put({ pk: { S: pk }, sk: { S: sk }, v: { S: 'x' } });
  }

  it("deletes every item under t<botId>/ and then the record, and nothing of anyone else's", async () => {
    // Bot ids 62 and 621: t62/ must not take t621/ with it.
    const bot = await hostedBot(62);
    const neighbour = await hostedBot(621);
    for (let i = 0; i < 12; i++) await put(`t${bot.id}/session#${i}:${i}`, 'session');
    await put(`t${bot.id}/ledger#1`, 'e#1');
    await put(`t${bot.id}/ledger#1`, 'e#2');
    await put(`t${neighbour.id}/session#1:1`, 'session');
    await put(`session#${bot.id}`, 'session');
    const { treasury } = (await world.registry.get(bot.id))!;

    await offboardBot(bot.id, OPERATOR, offboardDeps(bot));
    const { purgeAfter } = (await world.registry.get(bot.id))!;
    // Pages of 5 keys, so the purge walks several pages.
    expect(await purgeTenant(bot.id, purgeDeps(purgeAfter!, 5))).toEqual({ kind: 'purged', items: 14, treasury });

    expect((await world.table.scanKeys(`t${bot.id}/`)).keys).toEqual([]);
    expect(await world.registry.get(bot.id)).toBeUndefined();
    expect(await world.table.get(TENANT_KEYS.all(bot.id).pk, TENANT_KEYS.all(bot.id).sk)).toBeUndefined();
    expect((await world.registry.listOperatedBy(OPERATOR)).map((t) => t.id)).not.toContain(bot.id);
    expect(await world.table.get(`t${neighbour.id}/session#1:1`, 'session')).toBeDefined();
    expect(await world.table.get(`session#${bot.id}`, 'session')).toBeDefined();
    expect((await world.registry.get(neighbour.id))?.status).toBe('active');
    expect(await purgeTenant(bot.id, purgeDeps(purgeAfter!))).toEqual({ kind: 'not_found' });
  });

  it('refuses a tenant not removed, and one whose grace is not over', async () => {
    const bot = await hostedBot();
    await put(`t${bot.id}/session#1:1`, 'session');
    expect(await purgeTenant(bot.id, purgeDeps(NOW * 2))).toEqual({ kind: 'not_removed' });
    await offboardBot(bot.id, OPERATOR, offboardDeps(bot));
    const { purgeAfter } = (await world.registry.get(bot.id))!;
    expect(await purgeTenant(bot.id, purgeDeps(purgeAfter! - 1))).toEqual({ kind: 'too_early', purgeAfter });
    expect(await world.table.get(`t${bot.id}/session#1:1`, 'session')).toBeDefined();
    expect((await world.registry.get(bot.id))?.status).toBe('removed');
  });

  it('fails as transient when the scan cannot reach DynamoDB, deleting nothing', async () => {
    const bot = await hostedBot();
    await put(`t${bot.id}/x#1`, 'x');
    await offboardBot(bot.id, OPERATOR, offboardDeps(bot));
    const { purgeAfter } = (await world.registry.get(bot.id))!;
    // Nothing listens on port 9 of the loopback.
    const away = new DynamoDBClient({ ...localClientConfig('http://127.0.0.1:9'), maxAttempts: 1 });
    try {
      await expect(
        purgeTenant(bot.id, { ...purgeDeps(purgeAfter!), table: new Table(away, world.local.tableName, Date.now) }),
      ).rejects.toMatchObject({ code: 'dynamodb.unavailable' });
    } finally {
      away.destroy();
    }
    expect(await world.table.get(`t${bot.id}/x#1`, 'x')).toBeDefined();
    expect((await world.registry.get(bot.id))?.status).toBe('removed');
  });

  it('can be run again after it failed halfway', async () => {
    const bot = await hostedBot();
    for (let i = 0; i < 6; i++) await put(`t${bot.id}/x#${i}`, 'x');
    await offboardBot(bot.id, OPERATOR, offboardDeps(bot));
    const { purgeAfter } = (await world.registry.get(bot.id))!;
    let deletes = 0;
    const failing: PurgeDeps = {
      ...purgeDeps(purgeAfter!, 2),
      table: {
        scanKeys: (prefix, options) => world.table.scanKeys(prefix, { ...options, limit: 2 }),
        delete: async (pk, sk) => {
          if (++deletes > 3) throw new Error('DynamoDB went away');
          await world.table.delete(pk, sk);
        },
      },
    };
    await expect(purgeTenant(bot.id, failing)).rejects.toThrow('went away');
    expect((await world.registry.get(bot.id))?.status).toBe('removed');
    const again = await purgeTenant(bot.id, purgeDeps(purgeAfter!));
    expect(again).toMatchObject({ kind: 'purged' });
    expect((await world.table.scanKeys(`t${bot.id}/`)).keys).toEqual([]);
  });
});
