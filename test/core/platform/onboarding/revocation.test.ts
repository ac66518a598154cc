import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../../../core/platform/errors.js';
import { botSetupApi, noteUnauthorized, tenantMessages } from '../../../../core/platform/onboarding/index.js';
import { TelegramRejectedError } from '../../../../core/platform/telegram/index.js';
import { rejection } from '../../../helpers/rejection.js';
import {
  type LocalBot,
  startLocalBot,
  startTenantWorld,
  type TenantWorld,
  tenantRecord,
} from '../../../helpers/tenants.js';

let world: TenantWorld;
let bot: LocalBot;
let nextBot = 630_000;

beforeAll(async () => {
  world = await startTenantWorld('revocation-test');
  bot = await startLocalBot(++nextBot);
});
afterAll(async () => {
  await bot?.peer.stop();
  await world?.stop();
});

/** What a Bot API call with a token Telegram no longer accepts fails with (the peer answers 401). */
async function unauthorizedFailure(): Promise<unknown> {
  return rejection(botSetupApi(`${bot.id}:REVOKED${'r'.repeat(30)}`, { apiRoot: bot.peer.apiRoot }).getMe());
}

describe('noteUnauthorized', () => {
  it("marks the tenant revoked on Telegram's 401, once, and returns the notice for its operators in both languages", async () => {
    const id = String(++nextBot);
    await world.registry.create(tenantRecord(id, { operators: [11, 12], username: 'shop_bot' }));
    const error = await unauthorizedFailure();
    const outcome = await noteUnauthorized(id, error, { registry: world.registry, now: () => 4_000 });
    expect(outcome).toEqual({
      kind: 'revoked',
      notice: {
        botId: id,
        operators: [11, 12],
        text: {
          en: expect.stringContaining('@shop_bot'),
          zh: expect.stringContaining('@shop_bot'),
        },
      },
    });
    if (outcome.kind !== 'revoked') throw new Error('not revoked');
    expect(outcome.notice.text.en).toContain('Telegram no longer accepts the token');
    expect(outcome.notice.text.zh).toContain('令牌');
    expect(await world.registry.get(id)).toMatchObject({ status: 'revoked', revokedAt: 4_000 });
    // The next failing call finds it revoked already: no second notice.
    expect(await noteUnauthorized(id, error, { registry: world.registry, now: () => 5_000 })).toEqual({
      kind: 'unchanged',
    });
    expect((await world.registry.get(id))?.revokedAt).toBe(4_000);
  });

  it('gives one notice when many calls fail at once', async () => {
    const id = String(++nextBot);
    await world.registry.create(tenantRecord(id));
    const error = await unauthorizedFailure();
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => noteUnauthorized(id, error, { registry: world.registry, now: () => 1 })),
    );
    expect(outcomes.filter((o) => o.kind === 'revoked')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'unchanged')).toHaveLength(5);
  });

  it('changes nothing for any other failure, or for a removed or unknown bot', async () => {
    const id = String(++nextBot);
    await world.registry.create(tenantRecord(id));
    for (const error of [
      new TransientError('telegram.unavailable', 'Telegram getMe answered 502'),
      new TelegramRejectedError(400, 'Bad Request: chat not found'),
      new Error('401'),
      undefined,
    ]) {
      expect(await noteUnauthorized(id, error, { registry: world.registry, now: () => 1 })).toEqual({
        kind: 'not_unauthorized',
      });
    }
    expect((await world.registry.get(id))?.status).toBe('active');
    await world.registry.setStatus(id, 'active', 'removed', { removedAt: 1, purgeAfter: 2 });
    const error = await unauthorizedFailure();
    expect(await noteUnauthorized(id, error, { registry: world.registry, now: () => 3 })).toEqual({
      kind: 'unchanged',
    });
    expect(await noteUnauthorized('1', error, { registry: world.registry, now: () => 3 })).toEqual({
      kind: 'unchanged',
    });
  });

  it('has the notice in English and 中文 with the same placeholders', () => {
    expect(Object.keys(tenantMessages.zh)).toEqual(Object.keys(tenantMessages.en));
    for (const key of Object.keys(tenantMessages.en) as (keyof typeof tenantMessages.en)[]) {
      const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(tenantMessages.zh[key])).toEqual(names(tenantMessages.en[key]));
    }
  });
});
