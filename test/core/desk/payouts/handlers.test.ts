import { createPublicKey, verify } from 'node:crypto';
import { SystemInstruction, SystemProgram, Transaction } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKHASH_MAX_AGE_MS } from '../../../../core/desk/payouts/handlers.js';
import {
  PayoutCancelJob,
  PayoutDecideJob,
  PayoutPrepareJob,
  PayoutSettleJob,
} from '../../../../core/desk/payouts/jobs.js';
import { decodeBase58 } from '../../../../core/desk/solana/address.js';
import { MEMO_PROGRAM_ID } from '../../../../core/desk/solana/signer.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { type PayoutHarness, payoutHarness } from '../../../helpers/payout-fakes.js';

let table: LocalTable;
beforeAll(async () => {
  table = await startLocalTable('payout-flow-test');
});
afterAll(async () => {
  await table.stop();
});

const SOL = 1_000_000_000n;

/** A payout requested and approved, its `payout.prepare` (and anything after it) not delivered yet. */
async function approved(h: PayoutHarness, lamports = 2n * SOL) {
  const { job, payoutId } = await h.request(lamports);
  await h.deliver(job);
  await h.deliver(h.decide(payoutId, true));
  return payoutId;
}

/** The signed transactions handed to `tx.send`. */
const sendPayloads = (h: PayoutHarness) =>
  h.emitted('tx.send').map((e) => e.payload as { transaction: string; lastValidBlockHeight: number; payoutId: string });

const unique = <T>(values: readonly T[]) => [...new Set(values)];

describe('payout flow', () => {
  it('links the paid transaction only when the stage has an explorer: without one, the admins get the signature', async () => {
    const h = payoutHarness(table, { explorerTxUrl: null });
    const { job, payoutId } = await h.request(1_000_000_000n);
    expect((await h.deliver(job)).batchItemFailures).toEqual([]);
    expect(await h.deliver(h.decide(payoutId, true, 42, 'Ann'))).toEqual({ batchItemFailures: [] });
    expect(await h.drain()).toEqual([]);
    const paid = await h.store.get(payoutId);
    expect(paid?.status).toBe('paid');
    const told = h.notices().at(-1)?.text ?? '';
    expect(told).toContain(`Withdrawal <code>${payoutId}</code>`);
    expect(told).not.toContain('<a href');
    expect(h.events().at(-1)?.facts).toContainEqual(['tx', paid!.tx!.signature]);
  });

  it('pays an approved withdrawal: request, admin approval, KMS signature, send, settle', async () => {
    const h = payoutHarness(table);
    const lamports = 1_500_000_000n;
    const { job, payoutId } = await h.request(lamports);

    expect((await h.deliver(job)).batchItemFailures).toEqual([]);
    expect(await h.store.get(payoutId)).toMatchObject({ status: 'requested', userId: h.userId, wallet: h.recipient });
    expect(h.notices()).toEqual([
      expect.objectContaining({
        chatId: h.userId,
        text: expect.stringContaining(`Withdrawal <code>${payoutId}</code>`),
      }),
    ]);
    expect(h.notices()[0]?.text).toContain('1.5 SOL');
    const [asked] = h.events();
    expect(asked).toMatchObject({
      kind: 'withdrawal.requested',
      facts: expect.arrayContaining([['payout', payoutId]]),
    });
    expect(asked?.actions?.map((a) => a.data)).toEqual([`po:ok:${payoutId}`, `po:no:${payoutId}`]);

    // The admin presses Approve; the rest of the flow follows from what each step emits.
    expect(await h.deliver(h.decide(payoutId, true, 42, 'Ann'))).toEqual({ batchItemFailures: [] });
    expect(await h.drain(['payout.settle'])).toEqual([]);

    const [sent] = sendPayloads(h);
    expect(sendPayloads(h)).toHaveLength(1);
    const tx = Transaction.from(Buffer.from(sent!.transaction, 'base64'));
    expect(tx.verifySignatures()).toBe(true);
    expect(tx.feePayer?.toBase58()).toBe(h.treasury);
    expect(tx.recentBlockhash).toBe(h.solana.blockhashes[0]);
    const [transfer, memo] = tx.instructions;
    expect(transfer?.programId.equals(SystemProgram.programId)).toBe(true);
    const decoded = SystemInstruction.decodeTransfer(transfer!);
    expect(decoded.fromPubkey.toBase58()).toBe(h.treasury);
    expect(decoded.toPubkey.toBase58()).toBe(h.recipient);
    expect(BigInt(decoded.lamports)).toBe(lamports);
    expect(memo?.programId.toBase58()).toBe(MEMO_PROGRAM_ID);
    expect(memo?.data.toString('utf8')).toBe(`payout ${payoutId}`);
    // Really signed by the treasury key, and recorded before it was sent.
    const signature = tx.signatures[0]!.signature!;
    const treasuryKey = createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(decodeBase58(h.treasury)!)]),
      format: 'der',
      type: 'spki',
    });
    expect(verify(null, tx.serializeMessage(), treasuryKey, signature)).toBe(true);
    const recorded = await h.store.get(payoutId);
    expect(recorded).toMatchObject({ status: 'sent', attempt: 1 });
    expect(recorded?.tx?.transaction).toBe(sent!.transaction);
    expect(sent?.lastValidBlockHeight).toBe(recorded?.tx?.lastValidBlockHeight);

    const [settle] = h.pending('payout.settle');
    expect(settle?.payload).toEqual({ payoutId, signature: recorded?.tx?.signature, outcome: 'confirmed' });
    expect(await h.drain()).toEqual([]);

    const paid = await h.store.get(payoutId);
    expect(paid?.status).toBe('paid');
    expect(paid?.history.map((e) => [e.status, e.by])).toEqual([
      ['requested', `user:${h.userId}`],
      ['approved', 'admin:42'],
      ['sent', 'signer'],
      ['paid', 'chain'],
    ]);
    const link = `https://explorer.test/tx/${recorded!.tx!.signature}`;
    expect(h.notices().at(-1)?.text).toContain(`<a href="${link}">`);
    expect(h.events().map((e) => e.kind)).toEqual(['withdrawal.requested', 'withdrawal.approved', 'withdrawal.paid']);
    expect(h.events()[1]?.facts).toContainEqual(['by', 'Ann']);
    expect(h.events()[2]?.facts).toContainEqual(['tx', link]);
    expect(h.solana.sent.map((b) => Buffer.from(b).toString('base64'))).toEqual([sent!.transaction]);
    expect(h.signingKey.state.signs).toBe(1);
    // A paid withdrawal keeps counting against the day's cap.
    const cap = BigInt(h.settings.dailyCapLamports);
    expect(await h.capRoom(cap - lamports)).toBe(true);
    expect(await h.capRoom(cap - lamports + 1n)).toBe(false);
  });
});

describe('payout.request', () => {
  it('makes one payout and one cap reservation of a request delivered again, also concurrently', async () => {
    const h = payoutHarness(table);
    const lamports = 4n * SOL;
    const { job, payoutId } = await h.request(lamports);
    await h.deliver(job);
    await h.deliver(job);
    await Promise.all([h.deliver(job), h.deliver(job)]);

    const payout = await h.store.get(payoutId);
    expect(payout?.history).toHaveLength(1);
    // Counted once: the rest of the cap is still free, and not a lamport more.
    const cap = BigInt(h.settings.dailyCapLamports);
    expect(await h.capRoom(cap - lamports)).toBe(true);
    expect(await h.capRoom(cap - lamports + 1n)).toBe(false);
    // Its messages carry the same job ids each time, so they are sent once.
    expect(unique(h.notices().map((m) => m.id))).toHaveLength(1);
    expect(unique(h.events().map((e) => e.id))).toHaveLength(1);
  });

  it.each([
    ['below the minimum', 9_999_999n],
    ['above the maximum', 10n * SOL + 1n],
  ])('refuses an amount %s, naming the limits', async (_, lamports) => {
    const h = payoutHarness(table);
    const { job, payoutId } = await h.request(lamports);
    expect((await h.deliver(job)).batchItemFailures).toEqual([]);
    expect(await h.store.get(payoutId)).toBeUndefined();
    expect(
      h
        .notices()
        .map((m) => m.text)
        .join(''),
    ).toMatch(/(below the minimum|above the maximum).*0\.01 SOL.*10 SOL|10 SOL.*0\.01 SOL/);
    expect(h.events()).toEqual([]);
    expect(await h.capRoom(BigInt(h.settings.dailyCapLamports))).toBe(true);
  });

  it('refuses a wallet the user has not verified', async () => {
    const h = payoutHarness(table);
    const stranger = payoutHarness(table).recipient; // verified, but by another user
    const { job, payoutId } = await h.request(SOL, stranger);
    await h.deliver(job);
    expect(await h.store.get(payoutId)).toBeUndefined();
    expect(h.notices()[0]?.text).toContain('is not one of your verified wallets');
    expect(h.events()).toEqual([]);
  });

  it('refuses a request over what is left of the daily cap, saying how much is left', async () => {
    const h = payoutHarness(table, { settings: { dailyCapLamports: 15_000_000_000 } });
    const first = await h.request(10n * SOL);
    const second = await h.request(8n * SOL);
    await h.deliver(first.job);
    await h.deliver(second.job);
    expect(await h.store.get(first.payoutId)).toBeDefined();
    expect(await h.store.get(second.payoutId)).toBeUndefined();
    expect(h.notices().at(-1)?.text).toBe(
      'That is over your daily withdrawal limit. You can still withdraw 5 SOL today.',
    );
    // The refused request reserved nothing.
    expect(await h.capRoom(5n * SOL)).toBe(true);
    expect(await h.capRoom(5n * SOL + 1n)).toBe(false);
  });

  it('refuses while the treasury is too low, releases the cap and tells the admins', async () => {
    // The amount plus the fee reserve is more than the treasury holds.
    const h = payoutHarness(table, { treasuryLamports: SOL });
    const { job, payoutId } = await h.request(SOL);
    expect((await h.deliver(job)).batchItemFailures).toEqual([]);
    expect(await h.store.get(payoutId)).toBeUndefined();
    expect(h.notices().map((m) => m.text)).toEqual([
      'Withdrawals are paused for the moment. The admins have been told; please try again later.',
    ]);
    expect(h.events()).toEqual([
      expect.objectContaining({ kind: 'error', facts: expect.arrayContaining([['treasury', '1 SOL']]) }),
    ]);
    expect(h.events()[0]?.actions).toBeUndefined();
    expect(await h.capRoom(BigInt(h.settings.dailyCapLamports))).toBe(true);
  });
});

describe('payout.decide', () => {
  it('lets the first approval win: a second admin and a redelivered press change nothing', async () => {
    const h = payoutHarness(table);
    const { job, payoutId } = await h.request(2n * SOL);
    await h.deliver(job);
    const first = h.decide(payoutId, true, 42, 'Ann');
    const second = h.decide(payoutId, true, 43, 'Bob');
    await h.deliver(first);
    await h.deliver(second);
    await h.deliver(first);
    await Promise.all([h.deliver(first), h.deliver(h.decide(payoutId, true, 44, 'Cy'))]);
    expect(await h.drain()).toEqual([]);

    const payout = await h.store.get(payoutId);
    expect(payout?.status).toBe('paid');
    expect(payout?.history.filter((e) => e.status === 'approved').map((e) => e.by)).toEqual(['admin:42']);
    expect(unique(h.emitted('payout.prepare').map((e) => e.id))).toHaveLength(1);
    expect(unique(h.emitted('payout.sign').map((e) => e.id))).toHaveLength(1);
    // However many times the repeats were delivered, one transaction was signed and sent.
    expect(h.signingKey.state.signs).toBe(1);
    expect(unique(sendPayloads(h).map((p) => p.transaction))).toHaveLength(1);
    expect(unique(h.solana.sent.map((b) => Buffer.from(b).toString('hex')))).toHaveLength(1);
    expect(
      unique(
        h
          .events()
          .filter((e) => e.kind === 'withdrawal.approved')
          .map((e) => e.id),
      ),
    ).toHaveLength(1);
  });

  it('ignores a rejection after an approval', async () => {
    const h = payoutHarness(table);
    const payoutId = await approved(h, 3n * SOL);
    await h.deliver(h.decide(payoutId, false, 43, 'Bob'));
    expect(await h.store.get(payoutId)).toMatchObject({ status: 'approved', attempt: 1 });
    expect(h.events().map((e) => e.kind)).not.toContain('withdrawal.rejected');
    expect(
      h
        .notices()
        .map((m) => m.text)
        .join('\n'),
    ).not.toContain('rejected');
    // The cap stays reserved for the approved payout.
    const cap = BigInt(h.settings.dailyCapLamports);
    expect(await h.capRoom(cap - 3n * SOL + 1n)).toBe(false);
  });

  it('rejects a requested payout once: cap released, user and admins told, later approvals ignored', async () => {
    const h = payoutHarness(table);
    const { job, payoutId } = await h.request(2n * SOL);
    await h.deliver(job);
    const reject = h.decide(payoutId, false, 43, 'Bob');
    await h.deliver(reject);
    await h.deliver(reject);
    const before = h.queue.sent.length;
    await h.deliver(h.decide(payoutId, true, 42, 'Ann'));
    expect(h.queue.sent).toHaveLength(before);

    const payout = await h.store.get(payoutId);
    expect(payout?.status).toBe('rejected');
    expect(payout?.history.map((e) => [e.status, e.by])).toEqual([
      ['requested', `user:${h.userId}`],
      ['rejected', 'admin:43'],
    ]);
    expect(h.emitted('payout.prepare')).toEqual([]);
    expect(h.notices().at(-1)?.text).toContain('was rejected by an admin');
    expect(
      unique(
        h
          .events()
          .filter((e) => e.kind === 'withdrawal.rejected')
          .map((e) => e.id),
      ),
    ).toHaveLength(1);
    expect(await h.capRoom(BigInt(h.settings.dailyCapLamports))).toBe(true);
  });

  it('does nothing for a payout that does not exist', async () => {
    const h = payoutHarness(table);
    expect((await h.deliver(h.decide('abcdefghijklmnop', true))).batchItemFailures).toEqual([]);
    expect(h.queue.sent).toEqual([]);
    expect(h.parked).toEqual([]);
  });
});

describe('payout.prepare', () => {
  it('fails an approved payout when the treasury ran low since the request, releasing its cap', async () => {
    const h = payoutHarness(table);
    const payoutId = await approved(h, 2n * SOL);
    h.solana.wallet(h.treasury, 2n * SOL); // the fee reserve no longer fits
    expect(await h.drain()).toEqual([]);

    expect(await h.store.get(payoutId)).toMatchObject({ status: 'failed' });
    expect(h.emitted('payout.sign')).toEqual([]);
    expect(h.signingKey.state.signs).toBe(0);
    expect(h.notices().at(-1)?.text).toContain('could not be sent');
    expect(h.events().at(-1)).toMatchObject({
      kind: 'withdrawal.failed',
      facts: expect.arrayContaining([['reason', 'treasury balance too low']]),
    });
    expect(await h.capRoom(BigInt(h.settings.dailyCapLamports))).toBe(true);
  });
});

describe('payout.sign', () => {
  it('sends the recorded bytes again when redelivered after recording, never signing twice', async () => {
    const h = payoutHarness(table);
    const payoutId = await approved(h);
    await h.drain(['payout.sign']);
    const [sign] = h.take('payout.sign');
    await h.deliver(sign!);
    await h.deliver(sign!);

    expect(h.signingKey.state.signs).toBe(1);
    const sends = h.emitted('tx.send');
    expect(sends).toHaveLength(2);
    expect(unique(sends.map((e) => e.id))).toHaveLength(1);
    const payout = await h.store.get(payoutId);
    expect(unique(sendPayloads(h).map((p) => p.transaction))).toEqual([payout?.tx?.transaction]);
    expect(payout?.history.filter((e) => e.status === 'sent')).toHaveLength(1);
  });

  it('records one signature of two concurrent signs of an attempt, and both send that transaction', async () => {
    const h = payoutHarness(table);
    const payoutId = await approved(h);
    // Two prepares (the original and a stray one) fetch different blockhashes.
    const [prepare] = h.take('payout.prepare');
    await h.deliver(prepare!);
    await h.deliver(h.seal({ job: PayoutPrepareJob, payload: prepare!.payload, chatId: null, userId: h.userId }));
    const signs = h.take('payout.sign');
    expect(unique(signs.map((s) => (s.payload as { blockhash: string }).blockhash))).toHaveLength(2);

    await Promise.all(signs.map((s) => h.deliver(s)));

    const payout = await h.store.get(payoutId);
    expect(payout?.history.filter((e) => e.status === 'sent')).toHaveLength(1);
    const sends = sendPayloads(h);
    expect(sends).toHaveLength(2);
    expect(unique(sends.map((p) => p.transaction))).toEqual([payout?.tx?.transaction]);
  });

  it('fails as transient with the key retry delay while KMS is unavailable, then signs once when it is back', async () => {
    const h = payoutHarness(table);
    const payoutId = await approved(h);
    await h.drain(['payout.sign']);
    const [sign] = h.take('payout.sign');

    h.signingKey.state.down = 'sign';
    const result = await h.deliver(sign!);
    expect(result.batchItemFailures).toHaveLength(1);
    expect(h.delayed).toEqual([
      { messageIds: [result.batchItemFailures[0]!.itemIdentifier], seconds: h.settings.keyRetrySeconds },
    ]);
    expect(h.parked).toEqual([]);
    const waiting = await h.store.get(payoutId);
    expect(waiting).toMatchObject({ status: 'approved', attempt: 1 });
    expect(waiting?.tx).toBeUndefined();
    expect(h.emitted('tx.send')).toEqual([]);

    h.signingKey.state.down = false;
    expect((await h.deliver(sign!)).batchItemFailures).toEqual([]);
    expect(h.signingKey.state.signs).toBe(1);
    expect(await h.store.get(payoutId)).toMatchObject({ status: 'sent' });
    expect(h.emitted('tx.send')).toHaveLength(1);
  });

  it('drops a signature made over a stale blockhash and prepares the payout again', async () => {
    const h = payoutHarness(table);
    const payoutId = await approved(h);
    await h.drain(['payout.sign']);
    const [sign] = h.take('payout.sign');

    h.clock.offsetMs = BLOCKHASH_MAX_AGE_MS + 1_000;
    expect((await h.deliver(sign!)).batchItemFailures).toEqual([]);
    const payout = await h.store.get(payoutId);
    expect(payout).toMatchObject({ status: 'approved', attempt: 1 });
    expect(payout?.tx).toBeUndefined();
    expect(h.emitted('tx.send')).toEqual([]);
    expect(h.pending('payout.prepare').map((e) => e.id)).toEqual([`${sign!.id}.0`]);

    // Prepared again, it is signed over a fresh blockhash and paid.
    h.clock.offsetMs = 0;
    expect(await h.drain()).toEqual([]);
    const paid = await h.store.get(payoutId);
    expect(paid?.status).toBe('paid');
    expect(Transaction.from(Buffer.from(paid!.tx!.transaction, 'base64')).recentBlockhash).toBe(
      h.solana.blockhashes[1],
    );
    expect(h.solana.sent).toHaveLength(1);
  });

  it('parks the job without signing when the key is not the configured treasury', async () => {
    const h = payoutHarness(table, { treasury: payoutHarness(table).treasury });
    const payoutId = await approved(h);
    expect(await h.drain(['payout.sign'])).toEqual([]);
    const [sign] = h.take('payout.sign');
    expect((await h.deliver(sign!)).batchItemFailures).toEqual([]);
    expect(h.parked.map((p) => p.reason.code)).toEqual(['payout.treasury_mismatch']);
    expect(h.signingKey.state.signs).toBe(0);
    expect(await h.store.get(payoutId)).toMatchObject({ status: 'approved' });
    expect(h.emitted('tx.send')).toEqual([]);
  });
});

describe('payout.settle', () => {
  it('signs a new attempt when the transaction expired unlanded', async () => {
    const h = payoutHarness(table);
    h.solana.landing = 'drop';
    const payoutId = await approved(h);
    await h.drain(['payout.settle']);
    const first = await h.store.get(payoutId);
    const [settle] = h.take('payout.settle');
    expect(settle?.payload).toMatchObject({ outcome: 'expired', signature: first?.tx?.signature });

    await h.deliver(settle!);
    const retried = await h.store.get(payoutId);
    expect(retried).toMatchObject({ status: 'approved', attempt: 2 });
    expect(retried?.tx).toBeUndefined();
    expect(retried?.history.at(-1)).toMatchObject({ status: 'approved', by: 'chain' });
    expect(h.pending('payout.prepare').map((e) => e.id)).toEqual([`${settle!.id}.0`]);

    // The new attempt lands.
    h.solana.landing = 'confirm';
    expect(await h.drain()).toEqual([]);
    const paid = await h.store.get(payoutId);
    expect(paid).toMatchObject({ status: 'paid', attempt: 2 });
    expect(paid?.tx?.signature).not.toBe(first?.tx?.signature);
    expect(paid?.history.map((e) => e.status)).toEqual(['requested', 'approved', 'sent', 'approved', 'sent', 'paid']);
  });

  it('fails the payout after maxAttempts expired transactions, releasing the cap and telling everyone', async () => {
    const h = payoutHarness(table, { settings: { maxAttempts: 2 } });
    h.solana.landing = 'drop';
    const payoutId = await approved(h);
    expect(await h.drain()).toEqual([]);

    const payout = await h.store.get(payoutId);
    expect(payout).toMatchObject({ status: 'failed', attempt: 2 });
    expect(payout?.history.map((e) => e.status)).toEqual([
      'requested',
      'approved',
      'sent',
      'approved',
      'sent',
      'failed',
    ]);
    expect(unique(h.solana.sent.map((b) => Buffer.from(b).toString('hex')))).toHaveLength(2);
    expect(h.notices().at(-1)?.text).toContain('could not be sent');
    expect(h.events().at(-1)).toMatchObject({
      kind: 'withdrawal.failed',
      facts: expect.arrayContaining([['reason', 'expired 2 time(s) without landing']]),
    });
    expect(await h.capRoom(BigInt(h.settings.dailyCapLamports))).toBe(true);
  });

  it('fails the payout and releases the cap when its transaction failed on chain', async () => {
    const h = payoutHarness(table);
    h.solana.landing = 'fail';
    const payoutId = await approved(h);
    expect(await h.drain()).toEqual([]);
    expect(await h.store.get(payoutId)).toMatchObject({ status: 'failed', attempt: 1 });
    expect(h.solana.sent).toHaveLength(1);
    expect(h.events().at(-1)?.kind).toBe('withdrawal.failed');
    expect(await h.capRoom(BigInt(h.settings.dailyCapLamports))).toBe(true);
  });

  it('ignores the outcome of an older attempt’s transaction', async () => {
    const h = payoutHarness(table);
    h.solana.landing = 'drop';
    const payoutId = await approved(h);
    await h.drain(['payout.settle']);
    const old = (await h.store.get(payoutId))!.tx!.signature;
    await h.deliver(h.take('payout.settle')[0]!);
    await h.drain(['payout.settle']); // attempt 2 signed and sent, its outcome not in yet
    const current = await h.store.get(payoutId);
    expect(current).toMatchObject({ status: 'sent', attempt: 2 });
    const before = h.queue.sent.length;

    for (const outcome of ['confirmed', 'failed', 'expired'] as const) {
      const stray = h.seal({
        job: PayoutSettleJob,
        payload: { payoutId, signature: old, outcome },
        chatId: null,
        userId: h.userId,
      });
      expect((await h.deliver(stray)).batchItemFailures).toEqual([]);
    }
    expect(await h.store.get(payoutId)).toEqual(current);
    expect(h.queue.sent).toHaveLength(before);
  });

  it('tells the user once when the confirmation is delivered again', async () => {
    const h = payoutHarness(table);
    const payoutId = await approved(h);
    await h.drain(['payout.settle']);
    const [settle] = h.take('payout.settle');
    await h.deliver(settle!);
    await h.deliver(settle!);

    const payout = await h.store.get(payoutId);
    expect(payout?.history.filter((e) => e.status === 'paid')).toHaveLength(1);
    const paidNotices = h.notices().filter((m) => m.text.startsWith('✅ Withdrawal'));
    expect(paidNotices).toHaveLength(2);
    expect(unique(paidNotices.map((m) => m.id))).toHaveLength(1);
    expect(
      unique(
        h
          .events()
          .filter((e) => e.kind === 'withdrawal.paid')
          .map((e) => e.id),
      ),
    ).toHaveLength(1);
  });
});

describe('payout redeliveries after the payout moved on', () => {
  // A payout can come back to a status (approved again after an expired attempt): an old job
  // redelivered then must not act as if it had just made that change.
  it('does nothing for a decide delivered again after its attempt expired and a new one began', async () => {
    const h = payoutHarness(table);
    h.solana.landing = 'drop';
    const { job, payoutId } = await h.request(2n * SOL);
    await h.deliver(job);
    const press = h.decide(payoutId, true);
    await h.deliver(press);
    await h.drain(['payout.settle']);
    await h.deliver(h.take('payout.settle')[0]!); // expired: approved again, attempt 2
    expect(await h.store.get(payoutId)).toMatchObject({ status: 'approved', attempt: 2 });
    const before = h.queue.sent.length;

    // Its batch timed out after it was done, so SQS delivers it again (after the visibility timeout).
    await h.deliver(press);
    h.solana.landing = 'confirm';
    expect(await h.drain()).toEqual([]);

    expect(await h.store.get(payoutId)).toMatchObject({ status: 'paid', attempt: 2 });
    expect(h.parked).toEqual([]);
    expect(h.queue.sent.slice(before).map((j) => j.envelope.id)).not.toContain(`${press.id}.0`);
  });
});

describe('payouts and the internal balance', () => {
  const START = 1_000_000_000_000n;

  it('holds the amount from the balance at the request, once, and keeps it when paid', async () => {
    const h = payoutHarness(table);
    const { job, payoutId } = await h.request(2n * SOL);
    await h.deliver(job);
    await h.deliver(job);
    expect(await h.ledger.balance(h.userId)).toBe(START - 2n * SOL);
    await h.deliver(h.decide(payoutId, true));
    await h.drain();
    expect((await h.store.get(payoutId))?.status).toBe('paid');
    expect(await h.ledger.balance(h.userId)).toBe(START - 2n * SOL);
    expect((await h.ledger.history(h.userId, 10)).map((e) => [e.kind, e.lamports])).toEqual([
      ['withdrawal', -2n * SOL],
      ['deposit', START],
    ]);
  });

  it('refuses a withdrawal over the balance, saying what the balance is, and releases the cap', async () => {
    const h = payoutHarness(table, { balanceLamports: SOL / 2n });
    const { job, payoutId } = await h.request(SOL);
    await h.deliver(job);
    expect(await h.store.get(payoutId)).toBeUndefined();
    expect(h.notices().at(-1)?.text).toBe(
      'Your balance is 0.5 SOL: not enough for that withdrawal. Top it up with /deposit.',
    );
    expect(await h.ledger.balance(h.userId)).toBe(SOL / 2n);
    expect(await h.capRoom(BigInt(h.settings.dailyCapLamports))).toBe(true);
  });

  it('gives the amount back once when the payout is rejected, however often the rejection arrives', async () => {
    const h = payoutHarness(table);
    const { job, payoutId } = await h.request(3n * SOL);
    await h.deliver(job);
    const reject = h.decide(payoutId, false);
    await h.deliver(reject);
    await h.deliver(reject);
    expect(await h.ledger.balance(h.userId)).toBe(START);
    expect((await h.ledger.history(h.userId, 10)).map((e) => e.kind)).toEqual(['refund', 'withdrawal', 'deposit']);
  });

  it('gives the amount back when the transaction failed on chain', async () => {
    const h = payoutHarness(table);
    h.solana.landing = 'fail';
    const { job, payoutId } = await h.request(SOL);
    await h.deliver(job);
    await h.deliver(h.decide(payoutId, true));
    await h.drain();
    expect((await h.store.get(payoutId))?.status).toBe('failed');
    expect(await h.ledger.balance(h.userId)).toBe(START);
  });
});

describe('payout holds under redelivery (attacks)', () => {
  const START = 1_000_000_000_000n;

  it('never pays a request redelivered after its hold was released for a treasury too low', async () => {
    // First delivery: the hold is made, the treasury is too low, the hold is given back. Then the
    // treasury is topped up and the same request arrives again (a later send of the job failed).
    const h = payoutHarness(table, { treasuryLamports: SOL });
    const { job, payoutId } = await h.request(2n * SOL);
    await h.deliver(job);
    expect(await h.ledger.balance(h.userId)).toBe(START);
    expect((await h.ledger.holdOf(payoutId))?.status).toBe('released');
    h.solana.wallet(h.treasury, 100n * SOL);
    await h.deliver(job);
    expect(await h.store.get(payoutId)).toBeUndefined();
    await h.deliver(h.decide(payoutId, true));
    await h.drain();
    expect(h.solana.sent).toHaveLength(0);
    expect(await h.ledger.balance(h.userId)).toBe(START);
    expect((await h.ledger.holdOf(payoutId))?.status).toBe('released');
    // The cap is not counted twice either.
    expect(await h.capRoom(BigInt(h.settings.dailyCapLamports))).toBe(true);
  });

  it('settles a paid payout’s hold once and never releases it afterwards', async () => {
    const h = payoutHarness(table);
    const { job, payoutId } = await h.request(SOL);
    await h.deliver(job);
    await h.deliver(h.decide(payoutId, true));
    await h.drain();
    expect((await h.ledger.holdOf(payoutId))?.status).toBe('settled');
    // A forged or late rejection and a stray release change nothing.
    await h.deliver(h.decide(payoutId, false));
    expect(await h.ledger.releaseHold(payoutId)).toBe('settled');
    expect(await h.ledger.balance(h.userId)).toBe(START - SOL);
  });

  it('releases a hold once when two releases race', async () => {
    const h = payoutHarness(table);
    const { job, payoutId } = await h.request(SOL);
    await h.deliver(job);
    const outcomes = await Promise.all([h.ledger.releaseHold(payoutId), h.ledger.releaseHold(payoutId)]);
    expect(outcomes).toEqual(['released', 'released']);
    expect(await h.ledger.balance(h.userId)).toBe(START);
    expect((await h.ledger.history(h.userId, 10)).map((e) => e.kind)).toEqual(['refund', 'withdrawal', 'deposit']);
  });

  it('does not sign a payout whose hold is no longer held', async () => {
    const h = payoutHarness(table);
    const { job, payoutId } = await h.request(SOL);
    await h.deliver(job);
    await h.deliver(h.decide(payoutId, true));
    // Something gave the hold back behind the payout's back (a bug, an operator): no money may leave.
    await h.ledger.releaseHold(payoutId);
    await h.drain();
    expect(h.solana.sent).toHaveLength(0);
    expect((await h.store.get(payoutId))?.status).toBe('failed');
    expect(await h.ledger.balance(h.userId)).toBe(START);
  });
});

describe('withdrawal cooling-off', () => {
  const START = 1_000_000_000_000n;
  const COOLING = { settings: { coolingSeconds: 3_600 } };

  it('holds a first payout to a new address until the period is over, then asks the admins', async () => {
    const h = payoutHarness(table, COOLING);
    const { job, payoutId } = await h.request(SOL);
    await h.deliver(job);
    expect(await h.store.get(payoutId)).toMatchObject({ status: 'cooling' });
    expect(await h.ledger.balance(h.userId)).toBe(START - SOL);
    expect(h.events()).toEqual([]);
    const [check] = h.queue.sent.filter((j) => j.envelope.type === 'payout.cooled');
    expect(check?.delaySeconds).toBe(900);
    const [cooling] = h.notices();
    expect(cooling?.text).toContain('first withdrawal to this address');
    // Delivered early (SQS delays are at most 15 minutes): it waits another hop, with an id of its own.
    expect(await h.drain(['payout.cooled'])).toEqual([]);
    await h.deliver(...h.take('payout.cooled'));
    expect((await h.store.get(payoutId))?.status).toBe('cooling');
    const hops = h.pending('payout.cooled');
    expect(hops.map((j) => j.id)).toEqual([`cool-${payoutId}-1.0`]);
    // An admin cannot approve it while it cools off.
    await h.deliver(h.decide(payoutId, true));
    expect((await h.store.get(payoutId))?.status).toBe('cooling');

    h.clock.offsetMs = 3_600_000;
    await h.deliver(...h.take('payout.cooled'));
    expect((await h.store.get(payoutId))?.status).toBe('requested');
    expect(h.events().map((e) => e.kind)).toEqual(['withdrawal.requested']);
    h.clock.offsetMs = 0; // blockhashes are judged against the wall clock
    await h.deliver(h.decide(payoutId, true));
    await h.drain();
    expect((await h.store.get(payoutId))?.status).toBe('paid');

    // Paid there once: the next payout to the same address does not cool off.
    const second = await h.request(SOL);
    await h.deliver(second.job);
    expect((await h.store.get(second.payoutId))?.status).toBe('requested');
  });

  it('lets the user cancel a cooling payout once, giving the amount and the cap back', async () => {
    const h = payoutHarness(table, COOLING);
    const { job, payoutId } = await h.request(2n * SOL);
    await h.deliver(job);
    const cancel = h.seal({ job: PayoutCancelJob, payload: { payoutId }, chatId: h.userId, userId: h.userId });
    await h.deliver(cancel);
    await h.deliver(cancel);
    expect((await h.store.get(payoutId))?.status).toBe('cancelled');
    expect(await h.ledger.balance(h.userId)).toBe(START);
    expect((await h.ledger.holdOf(payoutId))?.status).toBe('released');
    expect(await h.capRoom(BigInt(h.settings.dailyCapLamports))).toBe(true);
    // Told once: the redelivery re-sends the same message id, which the notify worker drops.
    expect(
      unique(
        h
          .notices()
          .filter((n) => n.text.includes('was cancelled'))
          .map((n) => n.id),
      ),
    ).toHaveLength(1);
    expect(unique(h.events().map((e) => `${e.kind} ${e.id}`))).toHaveLength(1);
    // The period ends: nothing reaches the admins.
    h.clock.offsetMs = 3_600_000;
    await h.drain();
    expect(unique(h.events().map((e) => e.kind))).toEqual(['withdrawal.cancelled']);
  });

  it('parks a cancel of someone else’s payout and changes nothing', async () => {
    const h = payoutHarness(table, COOLING);
    const { job, payoutId } = await h.request(SOL);
    await h.deliver(job);
    const forged = h.seal({ job: PayoutCancelJob, payload: { payoutId }, chatId: 999, userId: 999 });
    await h.deliver(forged);
    expect(h.parked.map((p) => p.reason.code)).toEqual(['payout.not_yours']);
    expect((await h.store.get(payoutId))?.status).toBe('cooling');
    expect(await h.ledger.balance(h.userId)).toBe(START - SOL);
  });

  it('tells the user a paid payout can no longer be cancelled, and moves no money', async () => {
    const h = payoutHarness(table);
    const { job, payoutId } = await h.request(SOL);
    await h.deliver(job);
    await h.deliver(h.decide(payoutId, true));
    await h.drain();
    await h.deliver(h.seal({ job: PayoutCancelJob, payload: { payoutId }, chatId: h.userId, userId: h.userId }));
    expect(h.notices().at(-1)?.text).toContain('can no longer be cancelled: it is paid');
    expect(await h.ledger.balance(h.userId)).toBe(START - SOL);
    expect((await h.ledger.holdOf(payoutId))?.status).toBe('settled');
  });
});

describe('payout decisions answer with what really happened', () => {
  it('tells the admin chat that a payout is already paid when an admin presses Reject afterwards', async () => {
    const h = payoutHarness(table);
    const { job, payoutId } = await h.request(SOL);
    await h.deliver(job);
    await h.deliver(h.decide(payoutId, true));
    await h.drain();
    const late = h.seal({
      job: PayoutDecideJob,
      payload: { payoutId, approve: false, adminId: 42, adminName: 'Ann' },
      chatId: -1001,
      userId: 42,
    });
    await h.deliver(late);
    const told = h.emitted('telegram.send').filter((e) => e.chatId === -1001);
    expect(told).toHaveLength(1);
    expect(JSON.stringify(told[0]?.payload)).toContain(
      `Payout <code>${payoutId}</code>: already paid (decided by admin:42)`,
    );
    expect((await h.store.get(payoutId))?.status).toBe('paid');
    expect((await h.ledger.holdOf(payoutId))?.status).toBe('settled');
  });
});
