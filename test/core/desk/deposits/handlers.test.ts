import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transferRequestUrl } from '../../../../core/desk/deposits/claims.js';
import { DynamoDepositStore } from '../../../../core/desk/deposits/dynamodb-store.js';
import { depositHandlers } from '../../../../core/desk/deposits/handlers.js';
import { DepositCheckJob, DepositPollJob, DepositRequestJob } from '../../../../core/desk/deposits/jobs.js';
import { DynamoLedger } from '../../../../core/desk/ledger/dynamodb-ledger.js';
import type { TransactionMovements } from '../../../../core/desk/solana/gateway.js';
import { createConsumer } from '../../../../core/platform/jobs/consumer.js';
import { type JobDraft, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import type { TelegramCall } from '../../../../core/platform/telegram/calls.js';
import { ensureTable } from '../../../../local/aws/dynamodb.js';
import { claimOf } from '../../../helpers/deposits.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { scanQr } from '../../../helpers/qr.js';
import { FakeSolana } from '../../../helpers/solana-fake.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const TREASURY = 'Treasury1111111111111111111111111111111111';
const OTHER = 'E1sewhere111111111111111111111111111111111';
const A = 'RefA111111111111111111111111111111111111111';
const B = 'RefB111111111111111111111111111111111111111';

/** A chain whose transactions are finalized only once `finalized` holds them (the port asks for `finalized`). */
class FinalityChain extends FakeSolana {
  readonly finalized = new Set<string>();
  override async getTransfer(signature: string, options: { commitment?: 'finalized' } = {}) {
    this.calls.push('getTransfer');
    if (options.commitment === 'finalized' && !this.finalized.has(signature)) return null;
    return this.transfers.get(signature) ?? null;
  }
  /** A landed transaction naming `keys`, moving `deltas`; listed under every key, as the RPC does. */
  land(signature: string, tx: { deltas: Record<string, bigint>; keys: string[]; failed?: boolean; final?: boolean }) {
    const movements: TransactionMovements = {
      signature,
      slot: 1,
      blockTime: null,
      failed: tx.failed ?? false,
      deltas: tx.deltas,
      signers: [tx.keys[0]!],
      accountKeys: tx.keys,
    };
    this.transfers.set(signature, movements);
    for (const key of tx.keys) {
      const info = { signature, slot: 1, blockTime: null, failed: movements.failed };
      this.signatures.set(key, [info, ...(this.signatures.get(key) ?? [])]);
    }
    if (tx.final ?? true) this.finalized.add(signature);
  }
}

let table: LocalTable;
let tables = 0;
beforeAll(async () => {
  table = await startLocalTable('deposit-handlers');
});
afterAll(() => table?.stop());

async function setup(autoCreditLamports = 1_000_000_000) {
  const tableName = `deposit-handlers-${++tables}`;
  await ensureTable(table.client, tableName);
  const stores = { client: table.client, tableName };
  const deposits = new DynamoDepositStore(stores);
  const ledger = new DynamoLedger(stores);
  const chain = new FinalityChain();
  const queue = new MemoryJobQueue();
  const consume = createConsumer(
    depositHandlers({
      solana: chain,
      deposits,
      queue,
      treasury: TREASURY,
      settings: { autoCreditLamports, claimHours: 24, pollMinutes: 1, maxClaimsPerPoll: 100 },
    }),
    memoryLogger(),
  );
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
  const check = (reference: string, userId: number | null = null): JobDraft => ({
    job: DepositCheckJob,
    payload: { reference, lang: 'en' },
    chatId: userId,
    userId,
  });
  const texts = (chatId: number) =>
    queue.sent
      .filter((j) => j.envelope.type === 'telegram.send' && j.envelope.chatId === chatId)
      .map((j) => (j.envelope.payload as { calls: { params: { text: string } }[] }).calls[0]!.params.text);
  const events = () =>
    queue.sent.filter((j) => j.envelope.type === 'admin.event').map((j) => j.envelope.payload as { kind: string });
  return { deposits, ledger, chain, queue, run, check, texts, events };
}

describe('deposit.request', () => {
  it('stores the claim, then shows the request as a QR code a wallet scans and as text with the button', async () => {
    const h = await setup();
    await h.run([
      { job: DepositRequestJob, payload: { reference: A, lamports: '1500000000', lang: 'en' }, chatId: 7, userId: 7 },
    ]);
    expect((await h.deposits.claim(A))?.userId).toBe(7);
    const [send] = h.queue.sent.filter((j) => j.envelope.type === 'telegram.send');
    const [photo, message] = (send!.envelope.payload as { calls: TelegramCall[] }).calls;
    expect(photo).toMatchObject({ method: 'sendPhoto', params: { chat_id: 7 } });
    expect(photo!.params.caption).toContain('1.5 SOL');
    expect(photo!.files?.photo?.contentType).toBe('image/png');
    const url = transferRequestUrl({
      recipient: TREASURY,
      reference: A,
      lamports: 1_500_000_000n,
      label: 'Solana wallet desk',
      message: `Deposit ${A.slice(0, 8)}`,
    });
    expect(scanQr(Buffer.from(photo!.files!.photo!.base64, 'base64'))?.text).toBe(url);
    expect(message).toMatchObject({ method: 'sendMessage', params: { chat_id: 7 } });
    expect(message!.params.text).toContain(`<code>${url.replaceAll('&', '&amp;')}</code>`);
  });
});

describe('deposit.check', () => {
  it("credits the reference's owner only, even when someone else paid and someone else presses", async () => {
    const h = await setup();
    await h.deposits.putClaim(claimOf(A, 1));
    await h.deposits.putClaim(claimOf(B, 2));
    // User 2 pays user 1's request (paying someone else's request is not theft).
    h.chain.land('sig1', { deltas: { payer2: -500n, [TREASURY]: 500n }, keys: ['payer2', TREASURY, A] });
    // User 2 asks for a check of user 1's reference (forged button data): told nothing about it.
    await h.run([h.check(A, 2)]);
    expect(h.texts(2)).toEqual(['This deposit request is unknown or not yours. Send /deposit for a new one.']);
    expect(await h.ledger.balance(1)).toBe(0n);
    await h.run([h.check(A, 1)]);
    expect(await h.ledger.balance(1)).toBe(500n);
    expect(await h.ledger.balance(2)).toBe(0n);
    await h.run([h.check(B, 2)]);
    expect(h.texts(2).at(-1)).toContain('No finalized payment');
  });

  it('credits once across a redelivered job and concurrent checks', async () => {
    const h = await setup();
    await h.deposits.putClaim(claimOf(A, 3));
    h.chain.land('sig2', { deltas: { p: -700n, [TREASURY]: 700n }, keys: ['p', TREASURY, A] });
    await Promise.all([h.run([h.check(A, 3)], 'same'), h.run([h.check(A)], 'poll'), h.run([h.check(A, 3)])]);
    await h.run([h.check(A, 3)], 'same');
    expect(await h.ledger.balance(3)).toBe(700n);
    expect(await h.ledger.history(3, 10)).toHaveLength(1);
    expect(h.texts(3).filter((t) => t.includes('credited'))).toHaveLength(1);
  });

  it('waits for finalized: a confirmed transfer is credited only once it is final', async () => {
    const h = await setup();
    await h.deposits.putClaim(claimOf(A, 4));
    h.chain.land('sig3', { deltas: { p: -9n, [TREASURY]: 9n }, keys: ['p', TREASURY, A], final: false });
    await h.run([h.check(A, 4)]);
    expect(await h.ledger.balance(4)).toBe(0n);
    expect(await h.deposits.get('sig3')).toBeUndefined();
    h.chain.finalized.add('sig3');
    await h.run([h.check(A, 4)]);
    expect(await h.ledger.balance(4)).toBe(9n);
  });

  it('credits nothing for a failed transaction, a payment elsewhere, or a forged reference', async () => {
    const h = await setup();
    await h.deposits.putClaim(claimOf(A, 5));
    h.chain.land('sigF', { deltas: { p: -5_000n, [TREASURY]: 100n }, keys: ['p', TREASURY, A], failed: true });
    h.chain.land('sigO', { deltas: { p: -100n, [OTHER]: 100n }, keys: ['p', OTHER, A] });
    await h.run([h.check(A, 5)]);
    expect(await h.ledger.balance(5)).toBe(0n);
    expect(await h.deposits.get('sigF')).toBeUndefined();
    expect(await h.deposits.get('sigO')).toBeUndefined();
    // A reference nobody was given.
    h.chain.land('sigX', { deltas: { p: -100n, [TREASURY]: 100n }, keys: ['p', TREASURY, B] });
    await h.run([h.check(B, 5)]);
    expect(await h.ledger.balance(5)).toBe(0n);
    expect(await h.deposits.get('sigX')).toBeUndefined();
  });

  it("sends a transfer carrying two users' references to the admins as ambiguous, crediting no one", async () => {
    const h = await setup();
    await h.deposits.putClaim(claimOf(A, 6));
    await h.deposits.putClaim(claimOf(B, 7));
    h.chain.land('sigAB', { deltas: { p: -100n, [TREASURY]: 100n }, keys: ['p', TREASURY, A, B] });
    await h.run([h.check(A, 6), h.check(B, 7)]);
    expect(await h.deposits.get('sigAB')).toMatchObject({ status: 'unattributed', reason: 'ambiguous', userId: null });
    expect(await h.ledger.balance(6)).toBe(0n);
    expect(await h.ledger.balance(7)).toBe(0n);
    expect(h.events().filter((e) => e.kind === 'deposit.unattributed')).toHaveLength(1);
  });

  it('credits at most the automatic threshold by itself and leaves more to an admin', async () => {
    const h = await setup(1_000);
    await h.deposits.putClaim(claimOf(A, 8));
    h.chain.land('sigSmall', { deltas: { p: -1_000n, [TREASURY]: 1_000n }, keys: ['p', TREASURY, A] });
    h.chain.land('sigBig', { deltas: { p: -1_001n, [TREASURY]: 1_001n }, keys: ['p', TREASURY, A] });
    await h.run([h.check(A, 8)]);
    expect(await h.ledger.balance(8)).toBe(1_000n);
    expect(await h.deposits.get('sigBig')).toMatchObject({ status: 'pending' });
    expect(
      h
        .events()
        .map((e) => e.kind)
        .sort(),
    ).toEqual(['deposit.confirmed', 'deposit.found']);
  });
});

describe('deposit.poll', () => {
  it('records a treasury transfer with no known reference once, for the admins, and checks open claims', async () => {
    const h = await setup();
    await h.deposits.putClaim(claimOf(A, 9));
    h.chain.land('sigNone', { deltas: { p: -100n, [TREASURY]: 100n }, keys: ['p', TREASURY] });
    const poll: JobDraft = { job: DepositPollJob, payload: {}, chatId: null, userId: null };
    await h.run([poll]);
    await h.run([poll]);
    expect(await h.deposits.get('sigNone')).toMatchObject({ status: 'unattributed', reason: 'no_reference' });
    expect(h.events().filter((e) => e.kind === 'deposit.unattributed')).toHaveLength(1);
    expect(h.queue.sent.filter((j) => j.envelope.type === 'deposit.check')).toHaveLength(2);
  });
});

describe('transfer requests', () => {
  it('writes Solana Pay URLs with decimal amounts and encoded labels', () => {
    expect(transferRequestUrl({ recipient: TREASURY, reference: A, lamports: 1n, label: 'a b&c' })).toBe(
      `solana:${TREASURY}?amount=0.000000001&reference=${A}&label=a%20b%26c`,
    );
    expect(transferRequestUrl({ recipient: TREASURY, reference: A, lamports: 1_500_000_000_000n })).toContain(
      'amount=1500&',
    );
  });
});
