import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LedgerWorld, ledgerWorld } from '../helpers/ledger-world.js';
import { type LocalTable, startLocalTable } from '../helpers/local-table.js';

/**
 * Model-based property test of the money flow: random interleavings of deposits, withdrawal
 * requests, admin approvals and rejections, user cancels, a treasury running low, transactions
 * that land, fail or expire, SQS redeliveries of handled jobs, and workers crashing mid-job
 * (before or after a DynamoDB call took effect). After every step:
 *
 * - each user's balance equals the sum of their ledger, and is never negative;
 * - Σ balances + Σ held + Σ settled = Σ credited deposits;
 * - lamports that left the treasury ≤ Σ settled + Σ held (nothing is paid without a hold);
 *
 * and once every job is handled: outflow = Σ settled, and each payout's hold ended as its status
 * says (paid ⇔ settled; rejected, cancelled, failed ⇔ released; nothing else still open).
 *
 * `MODEL_RUNS` sets the number of sequences (CI runs a bounded number; `MODEL_RUNS=500 npx vitest
 * run test/adversarial/ledger-model.test.ts` runs a longer search).
 */
const RUNS = Number(process.env.MODEL_RUNS ?? 12);
const SOL = 1_000_000_000n;

let table: LocalTable;
beforeAll(async () => {
  table = await startLocalTable('ledger-model');
});
afterAll(() => table?.stop());

async function sums(world: LedgerWorld) {
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

async function checkInvariants(world: LedgerWorld) {
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
const commands = [
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

describe('the money flow under random interleavings (model-based)', () => {
  it(`keeps balances, holds, payments and the chain in agreement after every step (${RUNS} sequences)`, {
    timeout: 600_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30 }), async (cmds) => {
        const world = ledgerWorld(table, { users: 3, settings: { coolingSeconds: 0 } });
        try {
          await world.ready;
          world.setTreasury(1_000n * SOL);
          await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
          // Quiescence: the chain behaves, the treasury is funded, every job is handled.
          world.setLanding('confirm');
          world.setTreasury(1_000n * SOL);
          expect(await world.drain()).toBe(0);
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
        } finally {
          world.stop();
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });
});
