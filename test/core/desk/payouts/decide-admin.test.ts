import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { payoutHarness } from '../../../helpers/payout-fakes.js';

let table: LocalTable;
beforeAll(async () => {
  table = await startLocalTable('payout-decide-admin-test');
});
afterAll(async () => {
  await table.stop();
});

describe('payout.decide from someone who is not an admin', () => {
  it('is parked as poison and moves no money: the payout stays requested, nothing is signed', async () => {
    const h = payoutHarness(table);
    const { job, payoutId } = await h.request(1_000_000_000n);
    await h.deliver(job);
    const before = { notices: h.notices().length, events: h.events().length };

    // Not an admin at all; an admin's id in the payload but another user acting; no acting user.
    const notAdmin = h.decide(payoutId, true, 4242, 'Mallory');
    const borrowed = { ...h.decide(payoutId, true, 42, 'Ann'), userId: 4242 };
    const nobody = { ...h.decide(payoutId, true, 42, 'Ann'), userId: null };
    expect(await h.deliver(notAdmin, borrowed, nobody)).toEqual({ batchItemFailures: [] });
    expect(h.parked.map((p) => p.reason.code)).toEqual(['admin.not_admin', 'admin.not_admin', 'admin.not_admin']);
    expect(await h.store.get(payoutId)).toMatchObject({ status: 'requested' });
    expect(h.emitted('payout.prepare')).toEqual([]);
    expect(h.notices()).toHaveLength(before.notices);
    expect(h.events()).toHaveLength(before.events);

    // A real admin's decision still goes through afterwards.
    expect(await h.deliver(h.decide(payoutId, true, 42, 'Ann'))).toEqual({ batchItemFailures: [] });
    expect((await h.store.get(payoutId))?.status).not.toBe('requested');
  });
});
