import { describe, expect, it } from 'vitest';
import { LANGUAGES, translators } from '../../../../core/platform/i18n/index.js';
import {
  METRICS,
  overQuotaOperatorText,
  overQuotaUserText,
  PLANS,
  quotaMessages,
  type Usage,
  usageReport,
} from '../../../../core/platform/quotas/index.js';

const texts = translators([quotaMessages]);
const en = texts('en');
const zh = texts('zh');
const now = Date.UTC(2026, 11, 7, 14, 37, 30);
const hourEnd = Date.UTC(2026, 11, 7, 15);
const dayEnd = Date.UTC(2026, 11, 8);

const usage: Usage = {
  plan: PLANS.pro,
  metrics: [
    { metric: 'updatesPerHour', used: 12_345, limit: 15_000, resetsAt: hourEnd },
    { metric: 'broadcastsPerDay', used: 10, limit: 10, resetsAt: dayEnd },
    { metric: 'assistantQuestionsPerDay', used: 3, limit: 500, resetsAt: dayEnd },
    { metric: 'storedBytes', used: 4_250_000, limit: 500_000_000 },
    { metric: 'watchedAddresses', used: 0, limit: 500 },
  ],
};

describe('the /usage report', () => {
  it('shows the plan and its price, each metric used / limit with its %, and when counters reset', () => {
    expect(usageReport(en, usage, { bot: 'desk_bot', now })).toBe(
      [
        '📈 <b>Usage of @desk_bot</b>',
        'Plan: <b>Pro</b> ($99 a month)',
        '',
        '🟡 Updates this hour: <b>12,345</b> / 15,000 (82%) · resets at 15:00 UTC, in 23 min',
        '🔴 Broadcasts today: <b>10</b> / 10 (100%) · resets at 00:00 UTC, in 9 h 23 min',
        '🟢 Assistant questions today: <b>3</b> / 500 (0%) · resets at 00:00 UTC, in 9 h 23 min',
        '🟢 Stored data: <b>4.3 MB</b> / 500 MB (0%)',
        '🟢 Watched addresses: <b>0</b> / 500 (0%)',
        '',
        'Need more? The Business plan ($299 a month) raises these limits.',
      ].join('\n'),
    );
  });

  it('speaks Chinese', () => {
    const report = usageReport(zh, usage, { bot: 'desk_bot', now });
    expect(report).toContain('套餐：<b>专业版</b>（每月 $99）');
    expect(report).toContain('🟡 本小时更新数：<b>12,345</b> / 15,000（82%）· UTC 15:00 重置，还有 23 分钟');
    expect(report).toContain('需要更多？商业版（每月 $299）可提高这些上限。');
  });

  it('names the free tier as free, offers no upgrade on the largest plan, and shows a plan over its limit after a downgrade', () => {
    const free = usageReport(en, { plan: PLANS.free, metrics: [] }, { bot: 'b', now });
    expect(free).toContain('Plan: <b>Free</b> (no charge)');
    const largest = usageReport(
      en,
      { plan: PLANS.business, metrics: [{ metric: 'watchedAddresses', used: 6_000, limit: 5_000 }] },
      { bot: 'b', now },
    );
    expect(largest).toContain('🔴 Watched addresses: <b>6,000</b> / 5,000 (120%)');
    expect(largest).not.toContain('Need more?');
  });

  it('escapes the bot name it interpolates', () => {
    const report = usageReport(en, { plan: PLANS.free, metrics: [] }, { bot: '<i>x&y</i>', now });
    expect(report).toContain('@&lt;i&gt;x&amp;y&lt;/i&gt;');
    const notice = overQuotaOperatorText(en, { bot: '<i>', plan: PLANS.free, metric: 'storedBytes', now });
    expect(notice).toContain('@&lt;i&gt;');
  });
});

describe("the operator's notice", () => {
  it('names the quota, its limit, what it stops, when it resets and the plan that raises it', () => {
    expect(
      overQuotaOperatorText(en, { bot: 'desk_bot', plan: PLANS.pro, metric: 'updatesPerHour', resetsAt: hourEnd, now }),
    ).toBe(
      [
        '⚠️ <b>@desk_bot reached a quota of its Pro plan</b>: 15,000 updates an hour.',
        'Until it resets, the bot does not process its users’ messages: each chat gets one short “busy, try again later” answer.',
        'It resets at 15:00 UTC (in 23 min).',
        'Upgrade to the Business plan ($299 a month) for 60,000 updates an hour.',
      ].join('\n'),
    );
  });

  it('has no reset line for a gauge, and says so on the largest plan', () => {
    const notice = overQuotaOperatorText(zh, { bot: 'desk_bot', plan: PLANS.business, metric: 'storedBytes', now });
    expect(notice).toBe(
      [
        '⚠️ <b>@desk_bot 已达到当前套餐（商业版）的配额</b>：5 GB 存储空间。',
        '在删除部分数据或升级套餐之前，机器人不再存储新内容。',
        '这已是最高套餐：此上限无法再提高。',
      ].join('\n'),
    );
  });

  it('exists for every metric on every plan, in both languages', () => {
    for (const language of LANGUAGES)
      for (const plan of Object.values(PLANS))
        for (const metric of METRICS) {
          const notice = overQuotaOperatorText(texts(language), { bot: 'b', plan, metric, resetsAt: hourEnd, now });
          expect(notice, `${language} ${plan.name} ${metric}`).not.toMatch(/\{\w+\}/);
        }
  });
});

describe("the bot's users' polite answer", () => {
  it('says when to try again, rounding up to whole minutes and hours', () => {
    expect(overQuotaUserText(en, 1)).toBe(
      '⏳ This bot is very busy right now and cannot answer. Please try again in 1 min.',
    );
    expect(overQuotaUserText(en, 3_600)).toContain('try again in 1 h.');
    expect(overQuotaUserText(en, 3_601)).toContain('try again in 1 h 1 min.');
    expect(overQuotaUserText(zh, 5 * 3_600 + 12 * 60)).toBe(
      '⏳ 本机器人目前非常繁忙，暂时无法回复。请在 5 小时 12 分钟后再试。',
    );
  });

  it('is plain text short enough for a toast, with no blame on the user and nothing of the plan', () => {
    for (const language of LANGUAGES) {
      const t = texts(language);
      for (const text of [overQuotaUserText(t, 86_400), overQuotaUserText(t)]) {
        expect(text.length).toBeLessThanOrEqual(200);
        expect(text).not.toMatch(/[<>]/);
        expect(text).not.toMatch(/plan|quota|limit|you sent|too many|套餐|配额|上限/i);
      }
    }
  });
});
