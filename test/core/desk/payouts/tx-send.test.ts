import { Keypair, SystemProgram, Transaction } from '@solana/web3.js';
import { describe, expect, it } from 'vitest';
import { TxSendJob, txSendHandler } from '../../../../core/desk/payouts/tx-send.js';
import { encodeBase58 } from '../../../../core/desk/solana/address.js';
import type { TxRecord, TxStatus, TxStore } from '../../../../core/desk/solana/tx-store.js';
import { createConsumer } from '../../../../core/platform/jobs/consumer.js';
import { sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { FakeSolana } from '../../../helpers/solana-fake.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

class MemoryTxStore implements TxStore {
  readonly records = new Map<string, TxRecord>();
  async begin(record: Omit<TxRecord, 'status'>) {
    const existing = this.records.get(record.jobId);
    if (existing) return { ...existing };
    this.records.set(record.jobId, { ...record, status: 'sending' });
    return { ...record, status: 'sending' as const };
  }
  async finish(jobId: string, status: Exclude<TxStatus, 'sending'>) {
    const record = this.records.get(jobId)!;
    if (record.status === 'sending') record.status = status;
  }
}

function signedTransfer(lamports = 1000) {
  const payer = Keypair.generate();
  const tx = new Transaction({
    feePayer: payer.publicKey,
    blockhash: '11111111111111111111111111111111',
    lastValidBlockHeight: 0,
  });
  tx.add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports }));
  tx.sign(payer);
  return { bytes: tx.serialize(), signature: tx.signatures[0]!.signature! };
}

/** A chain where a sent transaction lands after `landAfter` sends and blocks advance per status check. */
class ScriptedChain extends FakeSolana {
  landAfter = Number.POSITIVE_INFINITY;
  failOnChain = false;
  override async sendRawTransaction(bytes: Uint8Array) {
    this.sent.push(bytes);
    if (this.sent.length >= this.landAfter) {
      this.statuses.set('landed', { slot: 1, confirmations: 1, status: 'confirmed', failed: this.failOnChain });
    }
    return 'ignored';
  }
  override async getSignatureStatus() {
    this.blockHeight += 1;
    return this.statuses.get('landed') ?? null;
  }
}

function setup(options: { budgetMs?: number } = {}) {
  const solana = new ScriptedChain();
  const store = new MemoryTxStore();
  const queue = new MemoryJobQueue();
  const log = memoryLogger();
  let clock = 0;
  const consume = createConsumer(
    [
      txSendHandler({
        solana,
        store,
        queue,
        budgetMs: options.budgetMs ?? 60_000,
        resendEveryMs: 2_000,
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      }),
    ],
    log,
  );
  const deliver = (payload: { transaction: string; lastValidBlockHeight: number }, id = 'payout1') => {
    const [job] = sealJobs(
      [{ job: TxSendJob, payload: { ...payload, notify: { chatId: 9, lang: 'en' as const } }, chatId: 9, userId: 9 }],
      { idPrefix: id, traceId: id, tenant: TEST_TENANT, now: new Date() },
    );
    return consume([
      {
        messageId: 'm',
        receiptHandle: 'r',
        body: JSON.stringify(job!.envelope),
        attributes: { ApproximateReceiveCount: '1' },
      },
    ]);
  };
  return { solana, store, queue, log, deliver };
}

describe('tx.send', () => {
  it('records the signature first, resends the same bytes until confirmed, and reports once', async () => {
    const { solana, store, queue, deliver } = setup();
    const { bytes, signature } = signedTransfer();
    solana.landAfter = 3;
    const result = await deliver({ transaction: bytes.toString('base64'), lastValidBlockHeight: 150 });
    expect(result.batchItemFailures).toEqual([]);
    expect(solana.sent).toHaveLength(3);
    expect(new Set(solana.sent.map((b) => Buffer.from(b).toString('hex')))).toEqual(new Set([bytes.toString('hex')]));
    const [record] = store.records.values();
    expect(record).toMatchObject({ status: 'confirmed', lastValidBlockHeight: 150 });
    expect(record?.signature).toBe(encodeBase58(signature));
    expect(JSON.stringify(queue.sent[0]?.envelope.payload)).toContain('Transaction confirmed');
  });

  it('stops at the block height limit and reports the transaction expired, never re-signing', async () => {
    const { solana, store, deliver, queue } = setup();
    const { bytes } = signedTransfer();
    solana.blockHeight = 100;
    await deliver({ transaction: bytes.toString('base64'), lastValidBlockHeight: 103 });
    expect([...store.records.values()][0]?.status).toBe('expired');
    expect(solana.sent.length).toBeLessThanOrEqual(3);
    expect(JSON.stringify(queue.sent[0]?.envelope.payload)).toContain('expired');
  });

  it('hands the job back when its budget runs out, and the redelivery resumes with the same bytes', async () => {
    const { solana, store, deliver } = setup({ budgetMs: 5_000 });
    const { bytes } = signedTransfer();
    const payload = { transaction: bytes.toString('base64'), lastValidBlockHeight: 1_000 };
    expect((await deliver(payload)).batchItemFailures).toHaveLength(1);
    expect([...store.records.values()][0]?.status).toBe('sending');
    solana.landAfter = solana.sent.length + 1;
    expect((await deliver(payload)).batchItemFailures).toEqual([]);
    expect([...store.records.values()][0]?.status).toBe('confirmed');
    expect(new Set(solana.sent.map((b) => Buffer.from(b).toString('hex'))).size).toBe(1);
  });

  it('does not send again when a finished job is redelivered, and repeats the same notice id', async () => {
    const { solana, deliver, queue } = setup();
    const { bytes } = signedTransfer();
    solana.landAfter = 1;
    solana.failOnChain = true;
    const payload = { transaction: bytes.toString('base64'), lastValidBlockHeight: 150 };
    await deliver(payload);
    await deliver(payload);
    expect(solana.sent).toHaveLength(1);
    expect(queue.sent.map((j) => j.envelope.id)).toEqual(['payout1.0.0', 'payout1.0.0']);
    expect(JSON.stringify(queue.sent[0]?.envelope.payload)).toContain('failed on chain');
  });

  it('refuses a second, different transaction under the same job id', async () => {
    const { solana, deliver, log } = setup();
    solana.landAfter = 1;
    await deliver({ transaction: signedTransfer(1).bytes.toString('base64'), lastValidBlockHeight: 150 });
    const result = await deliver({
      transaction: signedTransfer(2).bytes.toString('base64'),
      lastValidBlockHeight: 150,
    });
    expect(result.batchItemFailures).toHaveLength(1);
    expect(solana.sent).toHaveLength(1);
    expect(log.lines.find((l) => l.event === 'job.poison')).toMatchObject({ reason: { code: 'tx.resigned' } });
  });

  it('treats unsigned or malformed bytes as poison', async () => {
    const { deliver, log, solana } = setup();
    const unsigned = new Uint8Array(1 + 64 + 10);
    unsigned[0] = 1;
    await deliver({ transaction: Buffer.from(unsigned).toString('base64'), lastValidBlockHeight: 1 }, 'a');
    await deliver({ transaction: Buffer.from([0, 1, 2]).toString('base64'), lastValidBlockHeight: 1 }, 'b');
    expect(log.lines.filter((l) => l.event === 'job.poison').map((l) => (l.reason as { code: string }).code)).toEqual([
      'tx.unsigned',
      'tx.malformed',
    ]);
    expect(solana.sent).toEqual([]);
  });
});
