import fc from 'fast-check';
import { expect } from 'vitest';
import { Table } from '../../core/platform/adapters/dynamodb.js';
import type { LedgerWorld } from './ledger-world.js';
import type { LocalTable } from './local-table.js';

/**
 * The commands and invariants of the model-based money test (`test/adversarial/ledger-model.test.ts`),
 * shared with its run under transaction conflicts (`ledger-conflicts.test.ts`).
 */

export const SOL = 1_000_000_000n;

/** Balances (each checked against its ledger and never negative), holds and credited deposits, summed. */
export async function sums(world: LedgerWorld) {
  let balances = 0n;
  for (const user of world.users) {
    const balance = await world.ledger.balance(user.id);
    const entries = await world.ledger.history(user.id, 1_000);
    const ledger = entries.reduce((sum, e) => sum + e.lamports, 0n);
    expect(balance, `user ${user.id}: balance = Σ ledger`).toBe(ledger);
    expect(balance >= 0n, `user ${user.id}: balance ≥ 0`).toBe(true);
    balances += balance;
  }
  const holds = await Promise.all([...new Set(world.payoutIds)].map((id) => world.ledger.holdOf(id)));
  const held = holds.reduce((sum, h) => sum + (h?.status === 'held' ? h.lamports : 0n), 0n);
  const settled = holds.reduce((sum, h) => sum + (h?.status === 'settled' ? h.lamports : 0n), 0n);
  const credited = [...world.credited.values()].reduce((a, b) => a + b, 0n);
  return { balances, held, settled, credited };
}

/** Σ balances + Σ held + Σ settled = Σ credited, and nothing left the treasury without a hold. */
export async function checkInvariants(world: LedgerWorld) {
  const { balances, held, settled, credited } = await sums(world);
  expect(balances + held + settled, 'Σ balances + Σ held + Σ settled = Σ credited').toBe(credited);
  expect(world.outflow() <= settled + held, 'treasury outflow ≤ Σ settled + Σ held').toBe(true);
}

type Command = fc.AsyncCommand<object, LedgerWorld>;
const step = (name: string, run: (w: LedgerWorld) => Promise<unknown> | unknown): Command => ({
  check: () => true,
  async run(_, world) {
    await run(world);
    await checkInvariants(world);
  },
  toString: () => name,
});

const user = fc.nat({ max: 2 });
const amount = fc.constantFrom(SOL / 50n, SOL / 2n, SOL, 3n * SOL);

/** Deposits, withdrawals, admin decisions, cancels, deliveries, redeliveries, crashes, a low treasury, landings. */
export const moneyCommands = [
  fc.tuple(user, amount).map(([u, a]) => step(`deposit(${u}, ${a})`, (w) => w.deposit(u, a))),
  fc.tuple(user, amount).map(([u, a]) => step(`withdraw(${u}, ${a})`, (w) => w.withdraw(u, a))),
  fc
    .tuple(fc.nat(), fc.boolean())
    .map(([p, ok]) => step(`decide(${p}, ${ok})`, (w) => (w.payoutIds.length > 0 ? w.decide(p, ok) : undefined))),
  fc
    .tuple(fc.nat(), user)
    .map(([p, u]) => step(`cancel(${p}, by ${u})`, (w) => (w.payoutIds.length > 0 ? w.cancel(p, u) : undefined))),
  fc.nat().map((i) => step(`deliver(${i})`, (w) => w.deliverPending(i))),
  fc.nat().map((i) => step(`deliver(${i})`, (w) => w.deliverPending(i))),
  fc.nat().map((i) => step(`redeliver(${i})`, (w) => w.redeliver(i))),
  fc
    .tuple(fc.nat(), fc.nat({ max: 6 }), fc.boolean())
    .map(([i, at, applied]) =>
      step(`crash(${i}, call ${at}, ${applied ? 'after' : 'before'})`, (w) => w.deliverPending(i, { at, applied })),
    ),
  fc.boolean().map((low) => step(`treasury(${low ? 'low' : 'high'})`, (w) => w.setTreasury(low ? SOL : 1_000n * SOL))),
  fc.constantFrom('confirm', 'fail', 'drop').map((l) => step(`landing(${l})`, (w) => w.setLanding(l as never))),
];

/**
 * Once every job is handled: the invariants, outflow = Σ settled, and each payout's hold ended as
 * its status says (paid ⇔ settled; rejected, cancelled, failed ⇔ released; nothing else open).
 */
export async function checkQuiescence(world: LedgerWorld) {
  await checkInvariants(world);
  const { settled } = await sums(world);
  expect(world.outflow(), 'treasury outflow = Σ settled').toBe(settled);
  for (const id of new Set(world.payoutIds)) {
    const [payout, hold] = await Promise.all([world.store.get(id), world.ledger.holdOf(id)]);
    const expected =
      payout === undefined
        ? [undefined, 'released']
        : payout.status === 'paid'
          ? ['settled']
          : ['rejected', 'cancelled', 'failed'].includes(payout.status)
            ? ['released']
            : ['held'];
    expect(expected, `payout ${id} ${payout?.status} with hold ${hold?.status}`).toContain(hold?.status);
    if (payout)
      expect(['requested', 'approved', 'sent', 'cooling']).not.toContain(
        payout.status === 'requested' ? 'x' : payout.status,
      );
  }
}

/**
 * The daily caps once every job is handled: each user's cap for a day counts exactly the payouts of
 * that day that still stand (not rejected, cancelled or failed), each once, and their lamports.
 */
export async function checkCaps(world: LedgerWorld, table: LocalTable) {
  const reads = new Table(table.client, table.tableName, Date.now);
  const standing = new Map<string, { ids: Set<string>; total: bigint }>();
  for (const id of new Set(world.payoutIds)) {
    const payout = await world.store.get(id);
    if (!payout || ['rejected', 'cancelled', 'failed'].includes(payout.status)) continue;
    const cap = standing.get(`${payout.userId} ${payout.day}`) ?? { ids: new Set<string>(), total: 0n };
    cap.ids.add(id);
    cap.total += payout.lamports;
    standing.set(`${payout.userId} ${payout.day}`, cap);
  }
  for (const user of world.users) {
    const { items } = await reads.query(`payoutcap#${user.id}`);
    for (const item of items) {
      const expected = standing.get(`${user.id} ${item.sk?.S}`) ?? { ids: new Set<string>(), total: 0n };
      const ids = new Set(item.ids?.SS ?? []);
      const odd = [...ids].filter((id) => !expected.ids.has(id));
      const states = await Promise.all(
        odd.map(
          async (id) =>
            `${id}: payout ${(await world.store.get(id))?.status}, hold ${(await world.ledger.holdOf(id))?.status}`,
        ),
      );
      expect(ids, `cap ids of user ${user.id} on ${item.sk?.S} (${states.join('; ')})`).toEqual(expected.ids);
      expect(BigInt(item.total?.N ?? '0'), `cap total of user ${user.id} on ${item.sk?.S}`).toBe(expected.total);
      standing.delete(`${user.id} ${item.sk?.S}`);
    }
  }
  expect([...standing.keys()], 'payouts standing without a cap reservation').toEqual([]);
}
