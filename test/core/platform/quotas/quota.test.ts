import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoQuotaMeter,
  meteredQuota,
  PLANS,
  type Plan,
  quotaRefusalText,
  quotaUserText,
  tenantQuota,
  UNLIMITED,
} from '../../../../core/platform/quotas/index.js';
import type { TelegramCall } from '../../../../core/platform/telegram/index.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const DAY = 86_400_000;
let local: LocalTable;
/** A UTC day ahead (the local DynamoDB deletes items whose TTL is behind the real time), at 13:30. */
let clock = Math.ceil(Date.now() / DAY) * DAY + 2 * DAY;
beforeAll(async () => {
  local = await startLocalTable('tenant-quota');
});
afterAll(() => local.stop());

function metered(limits: Partial<Plan['limits']>) {
  clock += 3 * DAY;
  const now = () => clock + 13.5 * 3_600_000;
  const plan: Plan = { ...PLANS.free, limits: { ...PLANS.free.limits, ...limits } };
  const queue = new MemoryJobQueue();
  const log = memoryLogger();
  const meter = new DynamoQuotaMeter({ ...local, plan, now });
  const quota = meteredQuota({
    meter,
    plan,
    tenant: TEST_TENANT,
    bot: 'shop_bot',
    operators: [7001, 7002],
    queue,
    log,
    now,
  });
  const notices = () =>
    queue.sent.flatMap((job) => (job.envelope.payload as { calls: TelegramCall[] }).calls.map((c) => c.params));
  return { quota, meter, notices, log, now };
}

describe('TenantQuota', () => {
  it('UNLIMITED passes every use and writes nothing; a bot with no plan gets it', async () => {
    expect(await UNLIMITED.count('broadcastsPerDay', 'b')).toEqual({ ok: true });
    expect(await UNLIMITED.hold('storedBytes', 'k', 10 ** 12)).toEqual({ ok: true });
    await expect(UNLIMITED.release('storedBytes', 'k')).resolves.toBeUndefined();
    const quota = tenantQuota({
      plan: undefined,
      ...local,
      tenant: TEST_TENANT,
      bot: 'home_bot',
      operators: [],
      queue: new MemoryJobQueue(),
      log: memoryLogger(),
    });
    expect(quota).toBe(UNLIMITED);
  });

  it('refuses over the plan with the limit and reset, and tells each operator once per window, in both languages', async () => {
    const { quota, notices, log, now } = metered({ broadcastsPerDay: 1 });
    expect(await quota.count('broadcastsPerDay', 'b1')).toEqual({ ok: true });
    const refused = await quota.count('broadcastsPerDay', 'b2');
    expect(refused).toEqual({
      ok: false,
      refusal: {
        metric: 'broadcastsPerDay',
        used: 1,
        limit: 1,
        plan: expect.objectContaining({ name: 'free' }),
        bot: 'shop_bot',
        resetsAt: Math.ceil(now() / DAY) * DAY,
      },
    });
    await quota.count('broadcastsPerDay', 'b3');
    expect(notices().map((n) => n.chat_id)).toEqual([7001, 7002]);
    expect(String(notices()[0]!.text)).toContain('@shop_bot reached a quota of its Free plan');
    expect(String(notices()[0]!.text)).toContain('已达到当前套餐');
    expect(log.lines.filter((l) => l.event === 'quota.over')).toHaveLength(2);
  });

  it('refuses a gauge past the limit (no reset), and gives back on release', async () => {
    const { quota, meter } = metered({ watchedAddresses: 1 });
    expect(await quota.hold('watchedAddresses', 'a')).toEqual({ ok: true });
    const refused = await quota.hold('watchedAddresses', 'b');
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.refusal.resetsAt).toBeUndefined();
    await quota.release('watchedAddresses', 'a');
    expect((await meter.usage()).metrics.find((m) => m.metric === 'watchedAddresses')?.used).toBe(0);
    expect(await quota.hold('watchedAddresses', 'b')).toEqual({ ok: true });
  });
});

describe('quota texts for the desk', () => {
  const refusal = (metric: 'broadcastsPerDay' | 'assistantQuestionsPerDay' | 'storedBytes', resetsAt?: number) => ({
    metric,
    used: 1,
    limit: 1,
    plan: PLANS.free,
    bot: 'shop_bot',
    ...(resetsAt !== undefined && { resetsAt }),
  });
  const now = Date.UTC(2026, 11, 7, 13, 30);
  const midnight = Date.UTC(2026, 11, 8);

  it('tells whoever asked the limit, when it resets and the plan that raises it (English and Chinese)', () => {
    expect(quotaRefusalText('en', refusal('broadcastsPerDay', midnight), now)).toBe(
      [
        '⚠️ <b>@shop_bot reached a quota of its Free plan</b>: 1 broadcasts a day.',
        'No more broadcasts can be sent until it resets.',
        'It resets at 00:00 UTC (in 10 h 30 min).',
        'Upgrade to the Starter plan ($29 a month) for 3 broadcasts a day.',
      ].join('\n'),
    );
    expect(quotaRefusalText('zh', refusal('broadcastsPerDay', midnight), now)).toContain('将于 UTC 00:00 重置');
  });

  it('answers a user politely: questions wait for the day’s end, stored things for later', () => {
    expect(quotaUserText('en', refusal('assistantQuestionsPerDay', midnight), now)).toBe(
      '⏳ The assistant cannot take more questions today. Please ask again in 10 h 30 min.',
    );
    expect(quotaUserText('zh', refusal('assistantQuestionsPerDay', midnight), now)).toBe(
      '⏳ 助手今天无法再回答更多问题。请在 10 小时 30 分钟后再问。',
    );
    expect(quotaUserText('en', refusal('storedBytes'), now)).toBe(
      '⏳ This bot cannot take on more right now. Please try again later.',
    );
  });
});
