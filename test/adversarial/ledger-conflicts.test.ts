import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDepositStore } from '../../core/desk/deposits/dynamodb-store.js';
import { DynamoLedger } from '../../core/desk/ledger/dynamodb-ledger.js';
import { DynamoPayoutStore } from '../../core/desk/payouts/dynamodb-store.js';
import { TransientError } from '../../core/platform/errors.js';
import { creditDeposit } from '../helpers/deposits.js';
import { checkCaps, checkQuiescence, moneyCommands, SOL } from '../helpers/ledger-model.js';
import { ledgerWorld } from '../helpers/ledger-world.js';
import { externalEndpoint, type LocalTable, startLocalTable } from '../helpers/local-table.js';

/**
 * The money flow when DynamoDB cancels transactions with `TransactionConflict`, as AWS does under
 * contention and the local engines never did: the local table's conflict switch cancels a share of
 * every `TransactWriteItems` (a deposit's credit, a payout's hold, its release or settlement, a
 * payout's creation or end, a wallet's verification). The code reads a conflict as transient, so the
 * job fails and SQS delivers it again; these tests check that nothing is lost or applied twice.
 */
const RUNS = Number(process.env.MODEL_RUNS ?? 8);
/** Share of transactions cancelled with a conflict. */
const CONFLICTS = 0.3;

let table: LocalTable;
let users = 0;
beforeAll(async () => {
  table = await startLocalTable('ledger-conflicts');
});
afterEach(() => table.db.setTransactionConflicts({}));
afterAll(() => table?.stop());

/** Runs `attempt` again while it fails as transient, as SQS redelivers a failed job (bounded). */
async function untilDone<T>(attempt: () => Promise<T>, cancelled: { count: number }): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof TransientError) || tries === 50) throw error;
      cancelled.count++;
    }
  }
}

function stores() {
  const db = { client: table.client, tableName: table.tableName };
  return { ledger: new DynamoLedger(db), deposits: new DynamoDepositStore(db), payouts: new DynamoPayoutStore(db) };
}

describe.skipIf(externalEndpoint)('the money flow when transactions are cancelled by conflicts', () => {
  it('reports a conflict to the caller as transient, and nothing of the transaction is written', async () => {
    const { ledger, deposits } = stores();
    const user = 70_000 + ++users;
    await creditDeposit(deposits, { signature: `conflict-credit-${user}`, userId: user, lamports: SOL });
    table.db.setTransactionConflicts({ next: 1 });
    await expect(ledger.holdForPayout(user, `conflict-hold-${user}`, SOL / 2n)).rejects.toMatchObject({
      code: 'dynamodb.unavailable',
      message: expect.stringContaining('TransactionConflict'),
    });
    expect(await ledger.balance(user)).toBe(SOL);
    expect(await ledger.holdOf(`conflict-hold-${user}`)).toBeUndefined();
    expect(await ledger.history(user, 10)).toHaveLength(1);
  });

  it('debits one balance exactly as far as it goes when thirty holds race and some are cancelled', async () => {
    const { ledger, deposits } = stores();
    const user = 70_000 + ++users;
    await creditDeposit(deposits, { signature: `race-credit-${user}`, userId: user, lamports: 10n * SOL });
    table.db.setTransactionConflicts({ fraction: CONFLICTS });
    const cancelled = { count: 0 };
    const ids = Array.from({ length: 30 }, (_, i) => `race-${user}-${i}`);

    const outcomes = await Promise.all(
      ids.map((id) => untilDone(() => ledger.holdForPayout(user, id, SOL), cancelled)),
    );
    // SQS delivers every request again: each answers what became of it, and nothing moves twice.
    const again = await Promise.all(ids.map((id) => untilDone(() => ledger.holdForPayout(user, id, SOL), cancelled)));

    expect(cancelled.count).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === 'held')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'insufficient')).toHaveLength(20);
    expect(again).toEqual(outcomes);
    expect(await ledger.balance(user)).toBe(0n);
    const entries = await ledger.history(user, 100);
    expect(entries.reduce((sum, e) => sum + e.lamports, 0n)).toBe(0n);
    expect(entries).toHaveLength(11);
  });

  it('ends each hold once when releases and settlements race and some are cancelled', async () => {
    const { ledger, deposits } = stores();
    const user = 70_000 + ++users;
    await creditDeposit(deposits, { signature: `end-credit-${user}`, userId: user, lamports: 20n * SOL });
    const ids = Array.from({ length: 20 }, (_, i) => `end-${user}-${i}`);
    for (const id of ids) expect(await ledger.holdForPayout(user, id, SOL)).toBe('held');
    table.db.setTransactionConflicts({ fraction: CONFLICTS });
    const cancelled = { count: 0 };

    const ends = await Promise.all(
      ids.flatMap((id, i) => [
        untilDone(() => (i % 2 === 0 ? ledger.releaseHold(id) : ledger.settleHold(id)), cancelled),
        untilDone(() => ledger.releaseHold(id), cancelled),
        untilDone(() => ledger.settleHold(id), cancelled),
      ]),
    );

    expect(cancelled.count).toBeGreaterThan(0);
    expect(ends.every((end) => end === 'released' || end === 'settled')).toBe(true);
    const holds = await Promise.all(ids.map((id) => ledger.holdOf(id)));
    const released = holds.filter((h) => h?.status === 'released').length;
    const settled = holds.filter((h) => h?.status === 'settled').length;
    expect(released + settled).toBe(20);
    // Each release credited its hold back once; each settlement paid it out once.
    expect(await ledger.balance(user)).toBe(BigInt(released) * SOL);
    const entries = await ledger.history(user, 100);
    expect(entries.filter((e) => e.kind === 'refund')).toHaveLength(released);
    expect(entries.reduce((sum, e) => sum + e.lamports, 0n)).toBe(BigInt(released) * SOL);
  });

  it('credits a deposit once when its confirmations race and some are cancelled', async () => {
    const { ledger, deposits } = stores();
    const user = 70_000 + ++users;
    table.db.setTransactionConflicts({ fraction: CONFLICTS });
    const cancelled = { count: 0 };
    const signature = `deposit-race-${user}`;

    const decisions = await Promise.all(
      Array.from({ length: 10 }, () =>
        untilDone(() => creditDeposit(deposits, { signature, userId: user, lamports: 3n * SOL }), cancelled),
      ),
    );

    expect(decisions.filter((d) => d.outcome === 'credited')).toHaveLength(1);
    expect(decisions.filter((d) => d.outcome !== 'credited').every((d) => d.outcome === 'decided')).toBe(true);
    expect(await ledger.balance(user)).toBe(3n * SOL);
    expect(await ledger.history(user, 10)).toHaveLength(1);
    expect(await ledger.pendingDeposits()).toBe(0);
  });

  it('counts a payout once against the daily cap and the open payouts when its request is retried after conflicts', async () => {
    const { payouts } = stores();
    const user = 70_000 + ++users;
    table.db.setTransactionConflicts({ fraction: CONFLICTS });
    const cancelled = { count: 0 };
    const openBefore = await payouts.countOpen();
    const day = '2030-06-01';

    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        untilDone(async () => {
          const id = `cap-${user}-${i % 4}`;
          const reserved = await payouts.reserve({
            userId: user,
            day,
            payoutId: id,
            lamports: SOL,
            capLamports: 3n * SOL,
          });
          if (!reserved.ok) return;
          await payouts.create(
            { id, userId: user, chatId: user, lang: 'en', wallet: 'Wallet1', lamports: SOL, day },
            { at: 1, status: 'requested', by: `user:${user}`, job: `job-${i}` },
          );
        }, cancelled),
      ),
    );

    const created = (await Promise.all([0, 1, 2, 3].map((i) => payouts.get(`cap-${user}-${i}`)))).filter(Boolean);
    expect(created).toHaveLength(3);
    expect(await payouts.countOpen()).toBe(openBefore + 3);
    expect(
      await payouts.reserve({ userId: user, day, payoutId: 'one-more', lamports: 1n, capLamports: 3n * SOL }),
    ).toEqual({
      ok: false,
      used: 3n * SOL,
    });
  });

  it(`keeps the money model's invariants when ${CONFLICTS * 100}% of transactions are cancelled (${RUNS} sequences)`, {
    timeout: 600_000,
  }, async () => {
    const cancelledBefore = table.db.transactionConflicts;
    await fc.assert(
      // Long sequences ('max' size), so every run meets conflicts.
      fc.asyncProperty(fc.commands(moneyCommands, { maxCommands: 40, size: 'max' }), async (cmds) => {
        const world = ledgerWorld(table, { users: 3, settings: { coolingSeconds: 0 } });
        try {
          await world.ready;
          table.db.setTransactionConflicts({ fraction: CONFLICTS });
          world.setTreasury(1_000n * SOL);
          await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
          // Quiescence, with conflicts still on: every job is delivered until it is handled.
          world.setLanding('confirm');
          world.setTreasury(1_000n * SOL);
          expect(await world.drain(5_000)).toBe(0);
          table.db.setTransactionConflicts({});
          await checkQuiescence(world);
          await checkCaps(world, table);
        } finally {
          world.stop();
          table.db.setTransactionConflicts({});
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    // The switch did cancel transactions along the way (else this test proves nothing).
    expect(table.db.transactionConflicts - cancelledBefore).toBeGreaterThan(RUNS);
  });
});
