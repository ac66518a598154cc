import { Keypair, PublicKey, SystemProgram } from '@solana/web3.js';
import { describe, expect, it } from 'vitest';
import { DepositScanJob, depositScanHandler } from '../../../core/deposit/scan.js';
import type { Deposit, DepositStore } from '../../../core/deposit/store.js';
import { createConsumer } from '../../../core/jobs/consumer.js';
import { sealJobs } from '../../../core/jobs/envelope.js';
import { MemoryJobQueue, memoryLogger } from '../../helpers/fakes.js';
import { FakeSolana } from '../../helpers/solana-fake.js';

class MemoryDeposits implements DepositStore {
  readonly deposits = new Map<string, Deposit>();
  readonly cursors = new Map<string, string>();
  async cursor(wallet: string) {
    return this.cursors.get(wallet);
  }
  async setCursor(wallet: string, signature: string) {
    this.cursors.set(wallet, signature);
  }
  async record(deposit: Deposit) {
    if (this.deposits.has(deposit.signature)) return false;
    this.deposits.set(deposit.signature, deposit);
    return true;
  }
}

const address = () => Keypair.generate().publicKey.toBase58();
const treasury = address();
const wallet = address();

/** Adds a transaction to the fake chain, newest first in the wallet's signature list. */
function tx(
  chain: FakeSolana,
  signature: string,
  deltas: Record<string, bigint>,
  options: { signer?: string; failed?: boolean } = {},
) {
  const list = chain.signatures.get(wallet) ?? [];
  list.unshift({ signature, slot: list.length + 1, blockTime: 1_700_000_000, failed: options.failed ?? false });
  chain.signatures.set(wallet, list);
  chain.transfers.set(signature, {
    signature,
    slot: 1,
    blockTime: 1_700_000_000,
    failed: options.failed ?? false,
    deltas,
    signers: [options.signer ?? wallet],
  });
}

function setup(pageSize = 100) {
  const chain = new FakeSolana();
  const deposits = new MemoryDeposits();
  const queue = new MemoryJobQueue();
  const consume = createConsumer(
    [depositScanHandler({ solana: chain, deposits, queue, treasury, pageSize })],
    memoryLogger(),
  );
  let n = 0;
  const scan = () => {
    const [job] = sealJobs([{ job: DepositScanJob, payload: { wallet, lang: 'en' }, chatId: 5, userId: 5 }], {
      idPrefix: `u${n++}`,
      traceId: 't',
      now: new Date(),
    });
    return consume([
      {
        messageId: 'm',
        receiptHandle: 'r',
        body: JSON.stringify(job!.envelope),
        attributes: { ApproximateReceiveCount: '1' },
      },
    ]);
  };
  const sentOfType = (type: string) => queue.sent.filter((j) => j.envelope.type === type);
  return { chain, deposits, queue, scan, sentOfType };
}

describe('deposit.scan', () => {
  it('records each transfer from the wallet to the treasury once and tells admins and the user', async () => {
    const { chain, deposits, scan, sentOfType } = setup();
    tx(chain, 'dep1', { [wallet]: -1_000_005_000n, [treasury]: 1_000_000_000n });
    tx(chain, 'other', { [wallet]: -5_000n, [address()]: 1n });
    tx(chain, 'failed', { [wallet]: -5_000n, [treasury]: 0n }, { failed: true });
    tx(chain, 'notSigned', { [wallet]: -10n, [treasury]: 10n }, { signer: address() });
    tx(chain, 'dep2', { [wallet]: -500_005_000n, [treasury]: 500_000_000n });
    await scan();
    expect([...deposits.deposits.keys()].sort()).toEqual(['dep1', 'dep2']);
    expect(deposits.deposits.get('dep1')?.lamports).toBe(1_000_000_000n);
    expect(sentOfType('admin.event')).toHaveLength(2);
    expect(JSON.stringify(sentOfType('telegram.send')[0]?.envelope.payload)).toContain(
      'Found 2 new deposit(s), 1.5 SOL',
    );
    expect(chain.calls.filter((c) => c === 'getTransfer')).toHaveLength(4);
  });

  it('reads only what is newer than the last scan', async () => {
    const { chain, scan, sentOfType } = setup();
    tx(chain, 'dep1', { [wallet]: -2n, [treasury]: 1n });
    await scan();
    chain.calls = [];
    await scan();
    expect(chain.calls.filter((c) => c === 'getTransfer')).toEqual([]);
    expect(JSON.stringify(sentOfType('telegram.send')[1]?.envelope.payload)).toContain('No new deposit');
    tx(chain, 'dep2', { [wallet]: -2n, [treasury]: 1n });
    await scan();
    expect(chain.calls.filter((c) => c === 'getTransfer')).toHaveLength(1);
    expect(sentOfType('admin.event')).toHaveLength(2);
  });

  it('never counts a deposit twice when a scan is repeated before its cursor moved', async () => {
    const { chain, deposits, scan, sentOfType } = setup();
    tx(chain, 'dep1', { [wallet]: -2n, [treasury]: 1n });
    await scan();
    deposits.cursors.clear();
    await scan();
    expect(deposits.deposits.size).toBe(1);
    expect(sentOfType('admin.event')).toHaveLength(1);
  });

  it('pages through a long history', async () => {
    const { chain, deposits, scan } = setup(10);
    for (let i = 0; i < 25; i++) tx(chain, `s${i}`, { [wallet]: -2n, [treasury]: 1n });
    await scan();
    expect(deposits.deposits.size).toBe(25);
    expect(chain.calls.filter((c) => c === 'getSignatures')).toHaveLength(3);
    expect(deposits.cursors.get(wallet)).toBe('s24');
  });

  it('answers, in the user’s language, that a PDA or a malformed address cannot be a deposit wallet', async () => {
    const chain = new FakeSolana();
    const queue = new MemoryJobQueue();
    const consume = createConsumer(
      [depositScanHandler({ solana: chain, deposits: new MemoryDeposits(), queue, treasury })],
      memoryLogger(),
    );
    const [pda] = PublicKey.findProgramAddressSync([Buffer.from('vault')], SystemProgram.programId);
    for (const [wallet, lang] of [
      [pda.toBase58(), 'en'],
      ['z'.repeat(44), 'zh'],
    ] as const) {
      const [job] = sealJobs([{ job: DepositScanJob, payload: { wallet, lang }, chatId: 5, userId: 5 }], {
        idPrefix: wallet.slice(0, 8),
        traceId: 't',
        now: new Date(),
      });
      await consume([
        {
          messageId: 'm',
          receiptHandle: 'r',
          body: JSON.stringify(job!.envelope),
          attributes: { ApproximateReceiveCount: '1' },
        },
      ]);
    }
    const texts = queue.sent.map((j) => JSON.stringify(j.envelope.payload));
    expect(texts[0]).toContain('PDA');
    expect(texts[1]).toContain('长度');
    expect(chain.calls).toEqual([]);
  });
});
