import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPayoutStore } from '../../../../core/desk/payouts/dynamodb-store.js';
import type { AuditEntry, NewPayout, PayoutTransaction } from '../../../../core/desk/payouts/store.js';
import { DynamoWalletBook } from '../../../../core/desk/wallets/dynamodb-book.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';

let local: LocalTable;
let store: DynamoPayoutStore;

beforeAll(async () => {
  local = await startLocalTable('payouts-test');
  store = new DynamoPayoutStore({ client: local.client, tableName: local.tableName });
});
afterAll(async () => {
  await local.stop();
});

let serial = 0;
/** A payout of its own (ids and users never collide between tests on the shared table). */
function newPayout(overrides: Partial<NewPayout> = {}): NewPayout {
  serial++;
  return {
    id: `payout${String(serial).padStart(10, 'a')}`,
    userId: 1000 + serial,
    chatId: 1000 + serial,
    lang: 'en',
    wallet: 'Wallet1111111111111111111111111111111111111',
    lamports: 25_000_000n,
    day: '2030-01-02',
    ...overrides,
  };
}

const entry = (status: AuditEntry['status'], by: string, job?: string): AuditEntry => ({
  at: 1_000 + serial,
  status,
  by,
  ...(job ? { job } : {}),
});

const tx = (signature: string): PayoutTransaction => ({
  signature,
  transaction: Buffer.from(`bytes of ${signature}`).toString('base64'),
  lastValidBlockHeight: 250,
});

describe('DynamoPayoutStore', () => {
  it('creates a payout once, as requested at attempt 0, and returns the stored one on a second create', async () => {
    const fresh = newPayout();
    const first = await store.create(fresh, entry('requested', `user:${fresh.userId}`, 'job-1'));
    expect(first.created).toBe(true);
    expect(first.payout).toMatchObject({ ...fresh, status: 'requested', attempt: 0 });
    expect(first.payout.tx).toBeUndefined();

    const again = await store.create({ ...fresh, lamports: 99n, wallet: 'Other' }, entry('requested', 'user:0'));
    expect(again.created).toBe(false);
    expect(again.payout).toEqual(first.payout);
    expect(await store.get(fresh.id)).toEqual(first.payout);
  });

  it('returns undefined for a payout that does not exist, and never creates one by a transition', async () => {
    expect(await store.get('nosuchpayoutxxxx')).toBeUndefined();
    expect(
      await store.transition(
        'nosuchpayoutxxxx',
        { status: 'requested' },
        { status: 'approved' },
        entry('approved', 'a'),
      ),
    ).toBeUndefined();
    expect(await store.get('nosuchpayoutxxxx')).toBeUndefined();
  });

  it('applies a transition only when the guard matches, appending audit entries in order', async () => {
    const fresh = newPayout();
    await store.create(fresh, entry('requested', 'user:1', 'j0'));

    // Wrong status: nothing changes, nothing is recorded.
    expect(
      await store.transition(fresh.id, { status: 'approved' }, { status: 'sent' }, entry('sent', 'x')),
    ).toBeUndefined();

    const approved = await store.transition(
      fresh.id,
      { status: 'requested' },
      { status: 'approved', attempt: 1 },
      entry('approved', 'admin:7', 'j1'),
    );
    expect(approved).toMatchObject({ status: 'approved', attempt: 1 });

    // Wrong attempt.
    expect(
      await store.transition(
        fresh.id,
        { status: 'approved', attempt: 2 },
        { status: 'sent', tx: tx('S1') },
        entry('sent', 'x'),
      ),
    ).toBeUndefined();

    const sent = await store.transition(
      fresh.id,
      { status: 'approved', attempt: 1 },
      { status: 'sent', tx: tx('S1') },
      entry('sent', 'signer', 'j2'),
    );
    expect(sent).toMatchObject({ status: 'sent', attempt: 1, tx: tx('S1') });

    // Wrong signature (an older transaction's outcome).
    expect(
      await store.transition(fresh.id, { status: 'sent', signature: 'S0' }, { status: 'paid' }, entry('paid', 'x')),
    ).toBeUndefined();

    const paid = await store.transition(
      fresh.id,
      { status: 'sent', signature: 'S1' },
      { status: 'paid' },
      entry('paid', 'chain', 'j3'),
    );
    expect(paid?.status).toBe('paid');
    expect(paid?.tx).toEqual(tx('S1'));
    expect(paid?.history.map((h) => [h.status, h.by, h.job])).toEqual([
      ['requested', 'user:1', 'j0'],
      ['approved', 'admin:7', 'j1'],
      ['sent', 'signer', 'j2'],
      ['paid', 'chain', 'j3'],
    ]);
    expect(await store.get(fresh.id)).toEqual(paid);
  });

  it('keeps audit notes and omits the fields an entry does not have', async () => {
    const fresh = newPayout();
    await store.create(fresh, { at: 5, status: 'requested', by: 'user:1' });
    const failed = await store.transition(
      fresh.id,
      { status: 'requested' },
      { status: 'failed' },
      { at: 6, status: 'failed', by: 'chain', job: 'j', note: 'treasury balance too low' },
    );
    expect(failed?.history).toEqual([
      { at: 5, status: 'requested', by: 'user:1' },
      { at: 6, status: 'failed', by: 'chain', job: 'j', note: 'treasury balance too low' },
    ]);
  });

  it('lets exactly one of two racing transitions from the same guard apply', async () => {
    const fresh = newPayout();
    await store.create(fresh, entry('requested', 'user:1'));
    const results = await Promise.all([
      store.transition(
        fresh.id,
        { status: 'requested' },
        { status: 'approved', attempt: 1 },
        entry('approved', 'admin:1'),
      ),
      store.transition(fresh.id, { status: 'requested' }, { status: 'rejected' }, entry('rejected', 'admin:2')),
      store.transition(
        fresh.id,
        { status: 'requested' },
        { status: 'approved', attempt: 1 },
        entry('approved', 'admin:3'),
      ),
    ]);
    const applied = results.filter((r) => r !== undefined);
    expect(applied).toHaveLength(1);
    const stored = await store.get(fresh.id);
    expect(stored?.history).toHaveLength(2);
    expect(stored?.status).toBe(applied[0]?.status);
    expect(stored?.history[1]?.by).toBe(applied[0]?.history[1]?.by);
  });

  it('sets a transaction and clears it with tx: null', async () => {
    const fresh = newPayout();
    await store.create(fresh, entry('requested', 'user:1'));
    await store.transition(
      fresh.id,
      { status: 'requested' },
      { status: 'approved', attempt: 1 },
      entry('approved', 'a'),
    );
    await store.transition(
      fresh.id,
      { status: 'approved', attempt: 1 },
      { status: 'sent', tx: tx('S1') },
      entry('sent', 's'),
    );
    const retried = await store.transition(
      fresh.id,
      { status: 'sent', signature: 'S1' },
      { status: 'approved', attempt: 2, tx: null },
      entry('approved', 'chain'),
    );
    expect(retried).toMatchObject({ status: 'approved', attempt: 2 });
    expect(retried?.tx).toBeUndefined();
    expect((await store.get(fresh.id))?.tx).toBeUndefined();
    // The next attempt records its own transaction; the old signature no longer matches anything.
    const resent = await store.transition(
      fresh.id,
      { status: 'approved', attempt: 2 },
      { status: 'sent', tx: tx('S2') },
      entry('sent', 's'),
    );
    expect(resent?.tx?.signature).toBe('S2');
    expect(
      await store.transition(fresh.id, { status: 'sent', signature: 'S1' }, { status: 'paid' }, entry('paid', 'c')),
    ).toBeUndefined();
  });

  it('round-trips lamports above 2^53 exactly', async () => {
    const lamports = 2n ** 53n + 12_345n;
    const fresh = newPayout({ lamports });
    expect((await store.create(fresh, entry('requested', 'u'))).payout.lamports).toBe(lamports);
    expect((await store.get(fresh.id))?.lamports).toBe(lamports);
    const approved = await store.transition(
      fresh.id,
      { status: 'requested' },
      { status: 'approved' },
      entry('approved', 'a'),
    );
    expect(approved?.lamports).toBe(lamports);
  });

  describe('daily caps', () => {
    let userId = 50_000;
    const cap = 10_000_000_000n;
    const day = '2030-03-04';
    const reserve = (user: number, payoutId: string, lamports: bigint, d = day) =>
      store.reserve({ userId: user, day: d, payoutId, lamports, capLamports: cap });

    it('counts a reservation once per payout id, however often it is repeated', async () => {
      const user = ++userId;
      expect(await reserve(user, 'p1', 6_000_000_000n)).toEqual({ ok: true });
      expect(await reserve(user, 'p1', 6_000_000_000n)).toEqual({ ok: true });
      expect(await reserve(user, 'p1', 6_000_000_000n)).toEqual({ ok: true });
      // Counted once: 6 of 10 SOL used, so 4 more fit and 4.000000001 do not.
      expect(await reserve(user, 'p2', 4_000_000_001n)).toEqual({ ok: false, used: 6_000_000_000n });
      expect(await reserve(user, 'p3', 4_000_000_000n)).toEqual({ ok: true });
      expect(await reserve(user, 'p4', 1n)).toEqual({ ok: false, used: cap });
    });

    it('counts concurrent repeats of one reservation once', async () => {
      const user = ++userId;
      const results = await Promise.all(Array.from({ length: 5 }, () => reserve(user, 'p1', 3_000_000_000n)));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(await reserve(user, 'probe', cap)).toEqual({ ok: false, used: 3_000_000_000n });
    });

    it('refuses an amount over the cap on its own, reporting what is used', async () => {
      const user = ++userId;
      expect(await reserve(user, 'p1', cap + 1n)).toEqual({ ok: false, used: 0n });
      expect(await reserve(user, 'p2', cap)).toEqual({ ok: true });
    });

    it('releases once, freeing the room, and ignores releases of unknown reservations', async () => {
      const user = ++userId;
      await reserve(user, 'p1', 7_000_000_000n);
      await store.release({ userId: user, day, payoutId: 'never', lamports: 7_000_000_000n });
      expect(await reserve(user, 'p2', 7_000_000_000n)).toEqual({ ok: false, used: 7_000_000_000n });

      await store.release({ userId: user, day, payoutId: 'p1', lamports: 7_000_000_000n });
      await store.release({ userId: user, day, payoutId: 'p1', lamports: 7_000_000_000n });
      // Released once: 0 used (a second release would have made it negative and let 17 SOL through).
      expect(await reserve(user, 'p3', cap)).toEqual({ ok: true });
      expect(await reserve(user, 'p4', 1n)).toEqual({ ok: false, used: cap });
    });

    it('releases a user nothing never reserved, without creating a counter', async () => {
      const user = ++userId;
      await store.release({ userId: user, day, payoutId: 'p1', lamports: 5n });
      expect(await reserve(user, 'p2', cap)).toEqual({ ok: true });
    });

    it('keeps caps per user and per day', async () => {
      const a = ++userId;
      const b = ++userId;
      expect(await reserve(a, 'p1', cap)).toEqual({ ok: true });
      expect(await reserve(b, 'p2', cap)).toEqual({ ok: true });
      expect(await reserve(a, 'p3', cap, '2030-03-05')).toEqual({ ok: true });
      expect(await reserve(a, 'p4', 1n)).toEqual({ ok: false, used: cap });
    });

    it('counts amounts above 2^53 exactly', async () => {
      const user = ++userId;
      const big = 2n ** 60n;
      const reserveBig = (payoutId: string, lamports: bigint) =>
        store.reserve({ userId: user, day, payoutId, lamports, capLamports: big + 1n });
      expect(await reserveBig('p1', big)).toEqual({ ok: true });
      expect(await reserveBig('p2', 2n)).toEqual({ ok: false, used: big });
      expect(await reserveBig('p3', 1n)).toEqual({ ok: true });
    });
  });
});

/** An item as stored, read past the adapter. */
async function rawItem(pk: string, sk: string) {
  const { Item } = await local.client.send(
    new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
  );
  return Item;
}

describe('DynamoWalletBook', () => {
  it('adds a wallet idempotently, keeps users apart and lists the oldest first', async () => {
    let clock = 1_000_000;
    const book = new DynamoWalletBook({ client: local.client, tableName: local.tableName, now: () => clock });
    // Sort keys in the reverse of verification order, so a listing by key would be wrong.
    await book.add(1, 'Zeta');
    clock += 1000;
    await book.add(1, 'Mu');
    clock += 1000;
    await book.add(1, 'Alpha');
    clock += 1000;
    await book.add(1, 'Zeta'); // verified again later: the first time stays
    await book.add(2, 'Beta');

    expect(await book.list(1)).toEqual(['Zeta', 'Mu', 'Alpha']);
    expect(await book.list(2)).toEqual(['Beta']);
    expect(await book.list(3)).toEqual([]);
    expect(await book.has(1, 'Mu')).toBe(true);
    expect(await book.has(2, 'Mu')).toBe(false);
    expect(await book.has(1, 'Beta')).toBe(false);
  });

  it('removes a wallet idempotently, from that user only', async () => {
    const book = new DynamoWalletBook({ client: local.client, tableName: local.tableName });
    await book.add(11, 'Kept');
    await book.add(11, 'Gone');
    await book.add(12, 'Gone');
    await book.remove(11, 'Gone');
    await book.remove(11, 'Gone');
    await book.remove(11, 'Never');
    expect(await book.has(11, 'Gone')).toBe(false);
    expect(await book.has(11, 'Never')).toBe(false);
    expect(await book.list(11)).toEqual(['Kept']);
    expect(await book.has(12, 'Gone')).toBe(true);
  });

  it('lets the latest user action win whatever order the writes arrive in', async () => {
    let clock = 5_000_000;
    const book = new DynamoWalletBook({ client: local.client, tableName: local.tableName, now: () => clock });
    // Verified as asked at 100, removed at 200: a late verification asked at 150 does not bring it back.
    await book.add(21, 'Late', 100);
    await book.remove(21, 'Late', 200);
    await book.add(21, 'Late', 150);
    expect(await book.has(21, 'Late')).toBe(false);
    // A removal arriving before the verification asked earlier than it.
    await book.remove(21, 'Early', 200);
    await book.add(21, 'Early', 100);
    expect(await book.list(21)).toEqual([]);
    // Verified again after the removal: back, with a fresh first-verification time.
    clock += 1000;
    await book.add(21, 'Late', 300);
    expect(await book.list(21)).toEqual(['Late']);
    // A removal asked before that verification, arriving after it, changes nothing.
    await book.remove(21, 'Late', 250);
    expect(await book.has(21, 'Late')).toBe(true);
    // Verifying a wallet already in the book keeps its first time (and so its place in the list).
    await book.add(21, 'Other', 400);
    clock += 1000;
    await book.add(21, 'Late', 500);
    expect(await book.list(21)).toEqual(['Late', 'Other']);
  });

  it('lets a removed wallet expire from the table', async () => {
    const clock = 7_000_000_000;
    const book = new DynamoWalletBook({ client: local.client, tableName: local.tableName, now: () => clock });
    await book.add(31, 'Temp', clock);
    await book.remove(31, 'Temp', clock + 1);
    const item = await rawItem('wallets#31', 'Temp');
    expect(item?.verifiedAt).toBeUndefined();
    expect(Number(item?.expiresAt?.N)).toBe(Math.floor(clock / 1000) + 15 * 86_400);
    await book.add(31, 'Temp', clock + 2);
    const back = await rawItem('wallets#31', 'Temp');
    expect(back?.expiresAt).toBeUndefined();
    expect(back?.verifiedAt?.N).toBe(String(clock));
  });
});

describe('DynamoPayoutStore open payouts', () => {
  it('counts payouts until they end, each once however often it is created or ended', async () => {
    const before = await store.countOpen();
    const [a, b] = [newPayout(), newPayout()];
    await Promise.all([store.create(a, entry('requested', 'user:1')), store.create(a, entry('requested', 'user:1'))]);
    await store.create(b, entry('requested', 'user:2'));
    expect(await store.countOpen()).toBe(before + 2);
    // Approved and sent are still open; rejected and paid are not.
    await store.transition(
      a.id,
      { status: 'requested' },
      { status: 'approved', attempt: 1 },
      entry('approved', 'admin:1'),
    );
    expect(await store.countOpen()).toBe(before + 2);
    const rejects = await Promise.all([
      store.transition(b.id, { status: 'requested' }, { status: 'rejected' }, entry('rejected', 'admin:1')),
      store.transition(b.id, { status: 'requested' }, { status: 'rejected' }, entry('rejected', 'admin:2')),
    ]);
    expect(rejects.filter(Boolean)).toHaveLength(1);
    expect(rejects.find(Boolean)?.status).toBe('rejected');
    await store.transition(a.id, { status: 'approved' }, { status: 'sent', tx: tx('sigO1') }, entry('sent', 'signer'));
    await store.transition(a.id, { status: 'sent', signature: 'sigO1' }, { status: 'paid' }, entry('paid', 'chain'));
    expect(await store.countOpen()).toBe(before);
  });
});

describe('DynamoWalletBook count', () => {
  it('counts verified wallets once each, down again when removed, ignoring repeats and stale actions', async () => {
    const book = new DynamoWalletBook({ client: local.client, tableName: local.tableName });
    const before = await book.count();
    await Promise.all([book.add(501, 'WalletA', 10), book.add(501, 'WalletA', 11), book.add(502, 'WalletA', 10)]);
    expect(await book.count()).toBe(before + 2);
    await book.remove(501, 'WalletA', 20);
    await book.remove(501, 'WalletA', 21);
    // An action older than the removal changes nothing.
    await book.add(501, 'WalletA', 15);
    expect(await book.count()).toBe(before + 1);
    await book.add(501, 'WalletA', 30);
    expect(await book.count()).toBe(before + 2);
  });
});
