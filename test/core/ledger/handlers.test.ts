import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDepositStore, DynamoLedger } from '../../../core/adapters/dynamodb-ledger.js';
import { DynamoPayoutStore } from '../../../core/adapters/dynamodb-payouts.js';
import { depositIdOf } from '../../../core/deposit/store.js';
import { createConsumer } from '../../../core/jobs/consumer.js';
import { type JobDraft, sealJobs } from '../../../core/jobs/envelope.js';
import { ledgerHandlers } from '../../../core/ledger/handlers.js';
import { DepositDecideJob, LedgerHistoryJob } from '../../../core/ledger/jobs.js';
import { MemoryJobQueue, memoryLogger } from '../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../helpers/local-table.js';

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
  const consume = createConsumer(
    ledgerHandlers({ ledger, queue, payouts, admins: new Set([900, 901]) }),
    memoryLogger(),
  );
  let batch = 0;
  const run = (drafts: JobDraft[], prefix = `j${batch++}`) =>
    consume(
      sealJobs(drafts, { idPrefix: prefix, traceId: prefix, now: new Date() }).map((j, i) => ({
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

const decide = (depositId: string, approve: boolean, adminId = 900): JobDraft => ({
  job: DepositDecideJob,
  payload: { depositId, approve, adminId, adminName: '@boss' },
  chatId: null,
  userId: adminId,
});

describe('deposit.decide', () => {
  it('credits nothing for a decision not made by an admin, or naming another admin (poison)', async () => {
    const h = setup();
    await h.deposits.record({
      signature: 'sigF1',
      userId: 304,
      wallet: 'w',
      lamports: 7n,
      slot: 1,
      blockTime: null,
      lang: 'en',
    });
    const id = depositIdOf('sigF1');
    await h.run([decide(id, true, 4242)]);
    await h.run([{ ...decide(id, true), userId: 4242 }]);
    expect(h.texts(304)).toEqual([]);
    expect(h.events()).toEqual([]);
    // The deposit is still undecided: a real admin's confirmation credits it.
    await h.run([decide(id, true)]);
    expect(h.texts(304)).toHaveLength(1);
  });

  it('credits the user once and tells them in their language, however often admins confirm', async () => {
    const h = setup();
    await h.deposits.record({
      signature: 'sigH1',
      userId: 301,
      wallet: 'w',
      lamports: 2_000_000_000n,
      slot: 1,
      blockTime: null,
      lang: 'zh',
    });
    const id = depositIdOf('sigH1');
    await h.run([decide(id, true), decide(id, true, 901)]);
    await h.run([decide(id, true)], 'j0'); // the first job redelivered
    expect(h.texts(301)).toEqual(['✅ 您的充值 2 SOL 已确认入账。余额：2 SOL']);
    expect(h.events()).toEqual([
      expect.objectContaining({ kind: 'deposit.confirmed', facts: expect.arrayContaining([['by', '@boss']]) }),
    ]);
  });

  it('rejects without crediting; a later confirmation does nothing', async () => {
    const h = setup();
    await h.deposits.record({
      signature: 'sigH2',
      userId: 302,
      wallet: 'w',
      lamports: 5n,
      slot: 1,
      blockTime: null,
      lang: 'en',
    });
    const id = depositIdOf('sigH2');
    await h.run([decide(id, false)]);
    await h.run([decide(id, true)]);
    expect(h.texts(302)).toEqual([
      'Your deposit of 0.000000005 SOL was rejected by an admin. Ask them if you think it is yours.',
    ]);
    await h.run([{ job: LedgerHistoryJob, payload: { lang: 'en' }, chatId: 302, userId: 302 }]);
    expect(h.texts(302).at(-1)).toContain('Balance: <b>0 SOL</b>');
  });
});

describe('ledger.history', () => {
  it('shows the balance and the entries, newest first', async () => {
    const h = setup();
    for (const [sig, lamports] of [
      ['sigH3', 1_000_000_000n],
      ['sigH4', 250_000_000n],
    ] as const) {
      await h.deposits.record({
        signature: sig,
        userId: 303,
        wallet: 'w',
        lamports,
        slot: 1,
        blockTime: null,
        lang: 'en',
      });
      await h.run([decide(depositIdOf(sig), true)]);
    }
    await h.run([{ job: LedgerHistoryJob, payload: { lang: 'en' }, chatId: 303, userId: 303 }]);
    const text = h.texts(303).at(-1)!;
    expect(text).toContain('Balance: <b>1.25 SOL</b>');
    expect(text.indexOf('+0.25')).toBeLessThan(text.indexOf('+1 SOL'));
  });

  it('shows where each withdrawal stands', async () => {
    const h = setup();
    await h.deposits.record({
      signature: 'sigH5',
      userId: 3049,
      wallet: 'w',
      lamports: 5n * 10n ** 9n,
      slot: 1,
      blockTime: null,
      lang: 'en',
    });
    await h.run([decide(depositIdOf('sigH5'), true)]);
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
