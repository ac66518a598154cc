import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminDigestHandler,
  type DigestEntry,
  digestMessages,
  visibleLength,
} from '../../../../core/desk/admin/digest.js';
import { DynamoDigestStore } from '../../../../core/desk/admin/dynamodb-digest.js';
import { type AdminEvent, adminEvent } from '../../../../core/desk/admin/events.js';
import { createConsumer, type QueueRecord } from '../../../../core/platform/jobs/consumer.js';
import { sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { TELEGRAM_LIMITS } from '../../../../core/platform/settings.js';
import { containerPacers } from '../../../../core/platform/telegram/pacing.js';
import { createSender } from '../../../../core/platform/telegram/sender.js';
import { ensureTable } from '../../../../local/aws/dynamodb.js';
import { memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, nearNow, startLocalTable } from '../../../helpers/local-table.js';
import { FakeClock, MemoryPace, MemoryProgress, ScriptedGateway } from '../../../helpers/notify-fakes.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const ADMIN = -1001;
const WINDOW = 5_000;

let local: LocalTable;
let tables = 0;
beforeAll(async () => {
  local = await startLocalTable('digest-test');
});
afterAll(async () => {
  await local.stop();
});

const deposit = (n: number): AdminEvent => ({
  kind: 'deposit.found',
  userId: n,
  facts: [
    ['user', String(n)],
    ['wallet', `Wallet${String(n).padStart(4, '0')}${'x'.repeat(34)}`],
    ['amount', `${n}.5 SOL`],
    ['signature', `Sig${String(n).padStart(4, '0')}${'y'.repeat(80)}`],
  ],
});

/** A notify consumer with the digest handler on a fresh table; the clock starts on a window boundary. */
async function setup() {
  const tableName = `digest-${++tables}`;
  await ensureTable(local.client, tableName);
  const clock = new FakeClock(nearNow());
  const gateway = new ScriptedGateway(clock);
  const progress = new MemoryProgress();
  const deliver = createSender({
    gateway,
    progress,
    pace: new MemoryPace(),
    pacers: containerPacers(TELEGRAM_LIMITS, 5, clock),
    directory: { setActive: async () => {} },
    clock,
    maxChatWaitMs: 60_000,
  });
  const store = new DynamoDigestStore({ client: local.client, tableName, now: () => clock.now() });
  const delayed = new Map<string, number>();
  const log = memoryLogger();
  const consume = createConsumer(
    [adminDigestHandler({ store, deliver, adminChatId: ADMIN, windowMs: WINDOW, now: () => clock.now() })],
    log,
    undefined,
    {
      retryAfter: async (records, seconds) => {
        for (const r of records) delayed.set(r.messageId, seconds);
      },
    },
  );
  let seq = 0;
  const record = (event: AdminEvent): QueueRecord => {
    const [job] = sealJobs([adminEvent(event)], {
      idPrefix: `e${seq}`,
      traceId: 't',
      tenant: TEST_TENANT,
      now: new Date(clock.now()),
    });
    const messageId = `m${seq++}`;
    return {
      messageId,
      receiptHandle: messageId,
      body: JSON.stringify(job!.envelope),
      attributes: { ApproximateReceiveCount: '1' },
    };
  };
  /** Delivers records in batches of 10, like the FIFO event source; returns the records that failed. */
  async function run(records: QueueRecord[]): Promise<QueueRecord[]> {
    const failed: QueueRecord[] = [];
    for (let i = 0; i < records.length; i += 10) {
      const batch = records.slice(i, i + 10);
      const { batchItemFailures } = await consume(batch);
      const ids = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      failed.push(...batch.filter((r) => ids.has(r.messageId)));
    }
    return failed;
  }
  return { clock, gateway, progress, record, run, delayed, store, log };
}

describe('admin digest', () => {
  it('waits out its window as a deferral: a normal digest logs no warning or error', async () => {
    const { clock, gateway, record, run, delayed, log } = await setup();
    const waiting = await run([record(deposit(1)), record(deposit(2))]);
    expect(waiting).toHaveLength(1);
    expect(delayed.get(waiting[0]!.messageId)).toBe(WINDOW / 1000);
    clock.time += WINDOW;
    expect(await run(waiting)).toEqual([]);
    expect(gateway.made).toHaveLength(1);
    expect(log.lines.filter((l) => l.event === 'job.deferred')).toEqual([
      expect.objectContaining({ level: 'debug', reason: 'admin.digest_open' }),
    ]);
    expect(log.lines.some((l) => l.event === 'admin.digest_sent')).toBe(true);
    expect(log.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('posts 100 events of one window as at most 2 messages, once the window ends', async () => {
    const { clock, gateway, record, run, delayed } = await setup();
    const records = Array.from({ length: 100 }, (_, n) => {
      clock.time += 40; // 100 events over 4 s, inside one 5-s window
      return record(deposit(n));
    });
    const waiting = await run(records);
    expect(gateway.made).toHaveLength(0);
    expect(waiting).toHaveLength(1); // the window's opener, sent back until the window ends
    expect(delayed.get(waiting[0]!.messageId)).toBeGreaterThanOrEqual(1);
    clock.time += 5_000;
    expect(await run(waiting)).toEqual([]);
    expect(gateway.made.length).toBeGreaterThanOrEqual(1);
    expect(gateway.made.length).toBeLessThanOrEqual(2);
    const text = gateway.texts().join('\n');
    for (let n = 0; n < 100; n++) expect(text).toContain(`${n}.5 SOL`);
    expect(gateway.made.every((m) => visibleLength(String(m.call.params.text)) <= 4096)).toBe(true);
    expect(gateway.made.every((m) => m.call.params.chat_id === ADMIN)).toBe(true);
  });

  it('never posts an event twice when its job or the opener is redelivered', async () => {
    const { clock, gateway, record, run } = await setup();
    const records = Array.from({ length: 12 }, (_, n) => record(deposit(n)));
    const waiting = await run(records);
    await run(records.slice(3, 6)); // redeliveries of events already in the window
    clock.time += WINDOW;
    await run(waiting);
    await run(waiting); // the opener again, after its digest went out
    expect(gateway.made).toHaveLength(1);
    expect(gateway.texts()[0]!.match(/💰/g)).toHaveLength(12);
  });

  it('collects events processed after their window was sealed into one late digest', async () => {
    const { clock, gateway, record, run } = await setup();
    const early = record(deposit(1));
    const late = Array.from({ length: 25 }, (_, n) => record(deposit(100 + n))); // same window, processed late
    const waiting = await run([early]);
    clock.time += WINDOW;
    await run(waiting);
    const lateOpener = await run(late); // a lagging worker, batch after batch
    expect(lateOpener).toHaveLength(1);
    expect(gateway.made).toHaveLength(1);
    clock.time += WINDOW;
    expect(await run(lateOpener)).toEqual([]);
    expect(gateway.made).toHaveLength(2);
    expect(gateway.texts()[1]!.match(/💰/g)).toHaveLength(25);
  });

  it('escapes event values and keeps their action buttons', async () => {
    const { clock, gateway, record, run } = await setup();
    const waiting = await run([
      record({
        kind: 'withdrawal.requested',
        userId: 5,
        facts: [['note', '<script>alert(1)</script> & co']],
        actions: [
          { text: '✅ Approve', data: 'wd:ok:7' },
          { text: '❌ Reject', data: 'wd:no:7' },
        ],
      }),
    ]);
    clock.time += WINDOW;
    await run(waiting);
    const params = gateway.made[0]!.call.params;
    expect(String(params.text)).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    expect(params.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: '✅ Approve', callback_data: 'wd:ok:7' },
          { text: '❌ Reject', callback_data: 'wd:no:7' },
        ],
      ],
    });
  });
});

describe('digestMessages', () => {
  const entry = (n: number, event: AdminEvent = deposit(n)): DigestEntry => ({ id: `e${n}`, at: n, event });

  it('shows full values when the digest fits one message and shortens them when it does not', () => {
    const one = digestMessages([entry(1)], ADMIN, { from: 0, to: WINDOW });
    expect(one).toHaveLength(1);
    expect(String(one[0]!.params.text)).toContain(`Sig0001${'y'.repeat(80)}`);
    const many = digestMessages(
      Array.from({ length: 60 }, (_, n) => entry(n)),
      ADMIN,
      { from: 0, to: WINDOW },
    );
    expect(String(many[0]!.params.text)).toContain('Sig000…yyyyyy');
  });

  it('splits at 4,096 visible characters and puts each button under the message showing its event', () => {
    const withButton = (n: number): AdminEvent => ({
      ...deposit(n),
      kind: 'withdrawal.requested',
      actions: [{ text: `ok ${n}`, data: `wd:ok:${n}` }],
    });
    const calls = digestMessages(
      Array.from({ length: 300 }, (_, n) => entry(n, withButton(n))),
      ADMIN,
      { from: 0, to: WINDOW },
    );
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) {
      const text = String(call.params.text);
      expect(visibleLength(text)).toBeLessThanOrEqual(4096);
      const buttons = (
        call.params.reply_markup as { inline_keyboard: { callback_data: string }[][] }
      ).inline_keyboard.flat();
      for (const button of buttons) expect(text).toContain(`${button.callback_data.split(':')[2]}.5 SOL`);
    }
    const all = calls.flatMap((c) =>
      (c.params.reply_markup as { inline_keyboard: unknown[][] }).inline_keyboard.flat(),
    );
    expect(all).toHaveLength(300);
  });
});
