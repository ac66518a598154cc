import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCaps, checkQuiescence, moneyCommands, SOL } from '../helpers/ledger-model.js';
import { ledgerWorld } from '../helpers/ledger-world.js';
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
 * and once every job is handled: outflow = Σ settled, each payout's hold ended as its status
 * says (paid ⇔ settled; rejected, cancelled, failed ⇔ released; nothing else still open), and each
 * daily cap counts the payouts that stand, once each. (Commands and checks: `helpers/ledger-model.ts`.)
 *
 * `MODEL_RUNS` sets the number of sequences (CI runs a bounded number; `MODEL_RUNS=500 npx vitest
 * run test/adversarial/ledger-model.test.ts` runs a longer search).
 */
const RUNS = Number(process.env.MODEL_RUNS ?? 12);

let table: LocalTable;
beforeAll(async () => {
  table = await startLocalTable('ledger-model');
});
afterAll(() => table?.stop());

describe('the money flow under random interleavings (model-based)', () => {
  it(`keeps balances, holds, payments and the chain in agreement after every step (${RUNS} sequences)`, {
    timeout: 600_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(moneyCommands, { maxCommands: 30 }), async (cmds) => {
        const world = ledgerWorld(table, { users: 3, settings: { coolingSeconds: 0 } });
        try {
          await world.ready;
          world.setTreasury(1_000n * SOL);
          await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
          // Quiescence: the chain behaves, the treasury is funded, every job is handled.
          world.setLanding('confirm');
          world.setTreasury(1_000n * SOL);
          expect(await world.drain()).toBe(0);
          await checkQuiescence(world);
          await checkCaps(world, table);
        } finally {
          world.stop();
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });
});
