import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDepositStore } from '../../../../core/desk/deposits/dynamodb-store.js';
import { depositIdOf } from '../../../../core/desk/deposits/store.js';
import { DynamoLedger } from '../../../../core/desk/ledger/dynamodb-ledger.js';
import { claimOf } from '../../../helpers/deposits.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';

let local: LocalTable;
let deposits: DynamoDepositStore;
let ledger: DynamoLedger;

beforeAll(async () => {
  local = await startLocalTable('deposits-test');
  const stores = { client: local.client, tableName: local.db.tableName };
  deposits = new DynamoDepositStore(stores);
  ledger = new DynamoLedger(stores);
});
afterAll(() => local?.stop());

describe('DynamoDepositStore', () => {
  it('keeps a reference with its first owner: the same claim again is fine, another owner is refused', async () => {
    const claim = claimOf('refOwner1', 11, { lamports: 5n });
    await deposits.putClaim(claim);
    await deposits.putClaim(claim);
    await expect(deposits.putClaim(claimOf('refOwner1', 12))).rejects.toThrow(/another user/);
    expect(await deposits.claim('refOwner1')).toEqual(claim);
    expect(await deposits.claims(['refOwner1', 'refUnknown'])).toEqual([claim]);
  });

  it('lists claims created in the window and still open, oldest first', async () => {
    const now = 5_000_000_000_000;
    await deposits.putClaim({ ...claimOf('refOld', 13, { createdAt: now - 3 * 86_400_000 }) });
    await deposits.putClaim(claimOf('refB', 13, { createdAt: now - 2_000 }));
    await deposits.putClaim(claimOf('refA', 14, { createdAt: now - 3_000 }));
    await deposits.putClaim({ ...claimOf('refShort', 14, { createdAt: now - 1_000 }), expiresAt: now - 1 });
    const open = await deposits.openClaims(now - 86_400_000, now, 10);
    expect(open.map((c) => c.reference)).toEqual(['refA', 'refB']);
    expect(await deposits.openClaims(now - 86_400_000, now, 1)).toHaveLength(1);
  });

  it('records a signature once, concurrent finders included, and counts it pending once', async () => {
    const claim = claimOf('refRec', 21);
    await deposits.putClaim(claim);
    const before = await ledger.pendingDeposits();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        deposits.record({ signature: 'sigR1', lamports: 12_345_678_901_234_567n, slot: 9, blockTime: null, claim }),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.every((r) => r.deposit.status === 'pending' && r.deposit.userId === 21)).toBe(true);
    expect(await ledger.pendingDeposits()).toBe(before + 1);
  });

  it('credits a pending deposit once, with its ledger entry, however many deciders race', async () => {
    const claim = claimOf('refRace', 77, { lang: 'zh' });
    await deposits.putClaim(claim);
    await deposits.record({ signature: 'sigL1', lamports: 1_500_000_000n, slot: 1, blockTime: null, claim });
    expect((await deposits.byId(depositIdOf('sigL1')))?.status).toBe('pending');
    const decisions = await Promise.all([
      deposits.decide('sigL1', { action: 'confirm', by: 'auto' }),
      ...Array.from({ length: 7 }, (_, i) => deposits.decide('sigL1', { action: 'confirm', by: 900 + i })),
      deposits.decide('sigL1', { action: 'reject', by: 999 }),
    ]);
    const won = decisions.filter((d) => d.outcome === 'credited' || d.outcome === 'rejected');
    expect(won).toHaveLength(1);
    expect(decisions.filter((d) => d.outcome === 'decided')).toHaveLength(8);
    const credited = won[0]!.outcome === 'credited';
    expect(await ledger.balance(77)).toBe(credited ? 1_500_000_000n : 0n);
    expect(await ledger.history(77, 10)).toHaveLength(credited ? 1 : 0);
    expect((await deposits.decide('sigL1', { action: 'reject', by: 901 })).outcome).toBe('decided');
    expect(await ledger.balance(77)).toBe(credited ? 1_500_000_000n : 0n);
  });

  it('rejects without crediting, and knows no deposit by an unknown id', async () => {
    const claim = claimOf('refRej', 80, { lang: 'zh' });
    await deposits.putClaim(claim);
    await deposits.record({ signature: 'sigL4', lamports: 5n, slot: 1, blockTime: null, claim });
    const rejected = await deposits.decide('sigL4', { action: 'reject', by: 900 });
    expect(rejected).toMatchObject({ outcome: 'rejected', deposit: { lang: 'zh', lamports: 5n, decidedBy: 900 } });
    expect((await deposits.decide('sigL4', { action: 'confirm', by: 900 })).outcome).toBe('decided');
    expect(await ledger.balance(80)).toBe(0n);
    expect(await deposits.byId('aaaaaaaaaaaaaaaa')).toBeUndefined();
    expect(await deposits.decide('nosuchsig', { action: 'confirm', by: 1 })).toEqual({ outcome: 'missing' });
  });

  it('credits an unattributed deposit only by an explicit assignment, once, recording who did it', async () => {
    await deposits.record({ signature: 'sigU1', lamports: 42n, slot: 1, blockTime: null, reason: 'no_reference' });
    expect(await deposits.get('sigU1')).toMatchObject({ status: 'unattributed', userId: null, reason: 'no_reference' });
    // A Confirm button cannot credit it: it has no owner.
    expect((await deposits.decide('sigU1', { action: 'confirm', by: 900 })).outcome).toBe('wrong_state');
    const [first, second] = await Promise.all([
      deposits.decide('sigU1', { action: 'assign', by: 900, userId: 81 }),
      deposits.decide('sigU1', { action: 'assign', by: 901, userId: 82 }),
    ]);
    expect([first!.outcome, second!.outcome].sort()).toEqual(['credited', 'decided']);
    const owner = (await deposits.get('sigU1'))!.userId!;
    expect(await ledger.balance(owner)).toBe(42n);
    expect(await ledger.balance(owner === 81 ? 82 : 81)).toBe(0n);
    expect((await deposits.get('sigU1'))!.decidedBy).toBe(owner === 81 ? 900 : 901);
  });

  it('keeps the treasury scan cursor per address', async () => {
    expect(await deposits.cursor('t1')).toBeUndefined();
    await deposits.setCursor('t1', 'newest');
    expect(await deposits.cursor('t1')).toBe('newest');
    expect(await deposits.cursor('t2')).toBeUndefined();
  });
});
