import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDepositStore } from '../../../../core/desk/deposits/dynamodb-store.js';
import { DynamoLedger } from '../../../../core/desk/ledger/dynamodb-ledger.js';
import { ledgerHandlers } from '../../../../core/desk/ledger/handlers.js';
import { LedgerHistoryJob } from '../../../../core/desk/ledger/jobs.js';
import { DynamoPayoutStore } from '../../../../core/desk/payouts/dynamodb-store.js';
import { createConsumer } from '../../../../core/platform/jobs/consumer.js';
import { type JobDraft, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { creditDeposit } from '../../../helpers/deposits.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

let table: LocalTable;
beforeAll(async () => {
  table = await startLocalTable('ledger-handlers');
});
afterAll(() => table?.stop());

function setup() {
  const stores = { client: table.client, tableName: table.tableName };
  const queue = new MemoryJobQueue();
  const ledger = new DynamoLedger(stores);
  const payouts = new DynamoPayoutStore(stores);
  const consume = createConsumer(ledgerHandlers({ ledger, queue, payouts }), memoryLogger());
  let batch = 0;
  const run = (drafts: JobDraft[], prefix = `j${batch++}`) =>
    consume(
      sealJobs(drafts, { idPrefix: prefix, traceId: prefix, tenant: TEST_TENANT, now: new Date() }).map((j, i) => ({
        messageId: `${prefix}-${i}`,
        receiptHandle: 'r',
        body: JSON.stringify(j.envelope),
        attributes: { ApproximateReceiveCount: '1' },
      })),
    );
  const texts = (chatId: number) =>
    queue.sent
      .filter((j) => j.envelope.type === 'telegram.send' && j.envelope.chatId === chatId)
      .map((j) => (j.envelope.payload as { calls: { params: { text: string } }[] }).calls[0]!.params.text);
  const events = () => queue.sent.filter((j) => j.envelope.type === 'admin.event').map((j) => j.envelope.payload);
  return { deposits: new DynamoDepositStore(stores), ledger, payouts, queue, run, texts, events };
}

describe('ledger.history', () => {
  it('shows the balance and the entries, newest first', async () => {
    const h = setup();
    for (const [sig, lamports] of [
      ['sigH3', 1_000_000_000n],
      ['sigH4', 250_000_000n],
    ] as const) {
      await creditDeposit(h.deposits, { signature: sig, userId: 303, lamports });
    }
    await h.run([{ job: LedgerHistoryJob, payload: { lang: 'en' }, chatId: 303, userId: 303 }]);
    const text = h.texts(303).at(-1)!;
    expect(text).toContain('Balance: <b>1.25 SOL</b>');
    expect(text.indexOf('+0.25')).toBeLessThan(text.indexOf('+1 SOL'));
  });

  it('shows where each withdrawal stands', async () => {
    const h = setup();
    await creditDeposit(h.deposits, { signature: 'sigH5', userId: 3049, lamports: 5n * 10n ** 9n });
    const base = { userId: 3049, chatId: 3049, lang: 'en' as const, wallet: 'w', day: '2026-12-05' };
    const audit = { at: 1, status: 'cooling' as const, by: 'user:3049' };
    await h.ledger.holdForPayout(3049, 'aaaaaaaaaaaaaaaa', 10n ** 9n);
    await h.payouts.create(
      { ...base, id: 'aaaaaaaaaaaaaaaa', lamports: 10n ** 9n, status: 'cooling', releaseAt: 2 },
      audit,
    );
    await h.run([{ job: LedgerHistoryJob, payload: { lang: 'en' }, chatId: 3049, userId: 3049 }]);
    const text = h.texts(3049).at(-1)!;
    expect(text).toContain('Balance: <b>4 SOL</b>');
    expect(text).toContain('<code>aaaaaaaaaaaaaaaa</code> waiting out its cooling-off period');
  });
});
