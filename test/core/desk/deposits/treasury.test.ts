import { Keypair } from '@solana/web3.js';
import { describe, expect, it } from 'vitest';
import { TreasuryQrJob } from '../../../../core/desk/deposits/jobs.js';
import { treasuryQrHandler } from '../../../../core/desk/deposits/treasury.js';
import { createConsumer } from '../../../../core/platform/jobs/consumer.js';
import { sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { scanQr } from '../../../helpers/qr.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const ADMIN = 900;
const treasury = Keypair.generate().publicKey.toBase58();

function setup() {
  const queue = new MemoryJobQueue();
  const consume = createConsumer([treasuryQrHandler({ admins: new Set([ADMIN]), queue, treasury })], memoryLogger());
  const run = (userId: number, lang: 'en' | 'zh' = 'en') =>
    consume(
      sealJobs([{ job: TreasuryQrJob, payload: { lang }, chatId: -100, userId }], {
        idPrefix: 'u1',
        traceId: 't',
        tenant: TEST_TENANT,
        now: new Date(),
      }).map((j, i) => ({
        messageId: `m${i}`,
        receiptHandle: 'r',
        body: JSON.stringify(j.envelope),
        attributes: { ApproximateReceiveCount: '1' },
      })),
    );
  type Call = { method: string; params: Record<string, unknown>; files?: { photo: { base64: string } } };
  const calls = () =>
    queue.sent
      .filter((j) => j.envelope.type === 'telegram.send')
      .flatMap((j) => (j.envelope.payload as { calls: Call[] }).calls);
  return { run, calls };
}

describe('deposit.treasury', () => {
  it('sends an admin the treasury as a QR code PNG that scans to its address, captioned with it to copy', async () => {
    const { run, calls } = setup();
    expect((await run(ADMIN, 'zh')).batchItemFailures).toEqual([]);
    const [call] = calls();
    expect(call?.method).toBe('sendPhoto');
    expect(call?.params).toMatchObject({ chat_id: -100, parse_mode: 'HTML' });
    expect(call?.params.caption).toContain(`<code>${treasury}</code>`);
    expect(call?.params.caption).toContain('金库地址');
    expect(scanQr(Buffer.from(call!.files!.photo.base64, 'base64'))?.text).toBe(treasury);
  });

  it('refuses a job that no admin made: nothing is sent', async () => {
    const { run, calls } = setup();
    await run(4242);
    expect(calls()).toEqual([]);
  });
});
