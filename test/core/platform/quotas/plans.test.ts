import { describe, expect, it } from 'vitest';
import { METRICS, PLAN_NAMES, PLANS, PlanNameSchema, upgradeFor } from '../../../../core/platform/quotas/index.js';

describe('plans', () => {
  it('sells the free tier and plans at $29, $99 and $299 a month', () => {
    expect(PLAN_NAMES.map((name) => [PLANS[name].name, PLANS[name].priceUsd])).toEqual([
      ['free', 0],
      ['starter', 29],
      ['pro', 99],
      ['business', 299],
    ]);
  });

  it('raises every limit from each plan to the next, so an upgrade always helps', () => {
    for (let i = 1; i < PLAN_NAMES.length; i++) {
      const [lower, higher] = [PLANS[PLAN_NAMES[i - 1]!], PLANS[PLAN_NAMES[i]!]];
      for (const metric of METRICS) expect(higher.limits[metric], metric).toBeGreaterThan(lower.limits[metric]);
      for (const metric of METRICS) expect(upgradeFor(lower.name, metric)).toBe(higher);
    }
    for (const metric of METRICS) expect(upgradeFor('business', metric)).toBeUndefined();
  });

  it('keeps a plan at its update ceiling all month (730 h) under half its price at the cost goal of $3 per million updates (the free tier under $1)', () => {
    for (const plan of Object.values(PLANS)) {
      const worstMonth = (plan.limits.updatesPerHour * 730 * 3) / 1_000_000;
      expect(worstMonth, plan.name).toBeLessThan(plan.priceUsd === 0 ? 1 : plan.priceUsd / 2);
    }
  });

  it('parses a plan name, and refuses anything else', () => {
    for (const name of PLAN_NAMES) expect(PlanNameSchema.parse(name)).toBe(name);
    for (const bad of ['Pro', 'enterprise', '', 1, null]) expect(PlanNameSchema.safeParse(bad).success).toBe(false);
  });
});
