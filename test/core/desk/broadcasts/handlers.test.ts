import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoBroadcastStore } from '../../../../core/desk/broadcasts/dynamodb-store.js';
import { broadcastHandlers } from '../../../../core/desk/broadcasts/handlers.js';
import { BroadcastCancelJob, BroadcastStartJob } from '../../../../core/desk/broadcasts/jobs.js';
import { createConsumer, type QueueRecord } from '../../../../core/platform/jobs/consumer.js';
import { type OutgoingJob, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { DynamoQuotaMeter, meteredQuota, PLANS, type Plan, UNLIMITED } from '../../../../core/platform/quotas/index.js';
import { TELEGRAM_LIMITS } from '../../../../core/platform/settings.js';
import { TelegramForbiddenError } from '../../../../core/platform/telegram/gateway.js';
import { telegramSendHandler } from '../../../../core/platform/telegram/index.js';
import { containerPacers } from '../../../../core/platform/telegram/pacing.js';
import { createSender, type Deliver } from '../../../../core/platform/telegram/sender.js';
import { DynamoUserDirectory } from '../../../../core/platform/users/dynamodb-directory.js';
import { ensureTable } from '../../../../local/aws/dynamodb.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, nearNow, startLocalTable } from '../../../helpers/local-table.js';
import { FakeClock, MemoryPace, MemoryProgress, ScriptedGateway } from '../../../helpers/notify-fakes.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const ADMIN = -1001;
const PROGRESS_MESSAGE = 55;
const OPERATOR = 7001;

let local: LocalTable;
let tables = 0;
beforeAll(async () => {
  local = await startLocalTable('broadcast-test');
});
afterAll(async () => {
  await local.stop();
});

async function setup(
  users: number,
  inactive: number[] = [],
  pageSize = 50,
  plan?: Plan,
  wrap: (deliver: Deliver) => Deliver = (d) => d,
) {
  const tableName = `broadcast-${++tables}`;
  await ensureTable(local.client, tableName);
  const clock = new FakeClock(nearNow());
  const stores = { client: local.client, tableName, now: () => clock.now() };
  const directory = new DynamoUserDirectory(stores);
  for (let chatId = 1; chatId <= users; chatId++) await directory.upsert({ chatId, active: true });
  for (const chatId of inactive) await directory.setActive(chatId, false);
  const gateway = new ScriptedGateway(clock);
  const deliver = wrap(
    createSender({
      gateway,
      progress: new MemoryProgress(),
      pace: new MemoryPace(),
      pacers: containerPacers(TELEGRAM_LIMITS, 5, clock),
      directory,
      clock,
    }),
  );
  const queue = new MemoryJobQueue();
  const store = new DynamoBroadcastStore(stores);
  const meter = plan && new DynamoQuotaMeter({ ...stores, plan });
  const quota = meter
    ? meteredQuota({
        meter,
        plan,
        tenant: TEST_TENANT,
        bot: 'desk_bot',
        operators: [OPERATOR],
        queue,
        log: memoryLogger(),
        now: () => clock.now(),
      })
    : UNLIMITED;
  const consume = createConsumer(
    [
      // The operators' notice of a refused broadcast.
      telegramSendHandler(deliver),
      ...broadcastHandlers({
        admins: new Set([1]),
        adminChatId: ADMIN,
        store,
        directory,
        deliver,
        queue,
        pageSize,
        paid: false,
        quota,
        now: () => clock.now(),
        sleep: (ms) => clock.sleep(ms),
      }),
    ],
    memoryLogger(),
  );
  const asRecord = (job: OutgoingJob, n: number): QueueRecord => ({
    messageId: `${job.envelope.id}#${n}`,
    receiptHandle: 'r',
    body: JSON.stringify(job.envelope),
    attributes: { ApproximateReceiveCount: '1' },
  });
  let taken = 0;
  /** Runs queued jobs in order, 10 at a time, until the queue is drained or `limit` jobs ran. */
  async function drain(limit = Number.POSITIVE_INFINITY): Promise<void> {
    let ran = 0;
    while (taken < queue.sent.length && ran < limit) {
      const batch = queue.sent.slice(taken, taken + Math.min(10, limit - ran));
      taken += batch.length;
      ran += batch.length;
      const { batchItemFailures } = await consume(batch.map(asRecord));
      expect(batchItemFailures).toEqual([]);
    }
  }
  const start = (id: string, by: { userId?: number; adminChatId?: number } = {}) =>
    queue.send(
      sealJobs(
        [
          {
            job: BroadcastStartJob,
            payload: {
              id,
              message: { text: 'Hello *all*', entities: [{ type: 'bold', offset: 6, length: 5 }] },
              adminChatId: by.adminChatId ?? ADMIN,
              progressMessageId: PROGRESS_MESSAGE,
              lang: 'en',
            },
            chatId: null,
            userId: by.userId ?? 1,
          },
        ],
        { idPrefix: `u-${id}`, traceId: 't', tenant: TEST_TENANT, now: new Date() },
      ),
    );
  const edits = () =>
    gateway.made.filter((m) => m.call.method === 'editMessageText').map((m) => String(m.call.params.text));
  const recipients = () =>
    gateway.made
      .filter((m) => m.call.method === 'sendMessage' && m.call.params.chat_id !== OPERATOR)
      .map((m) => m.call.params.chat_id);
  const operatorNotices = () =>
    gateway.made
      .filter((m) => m.call.method === 'sendMessage' && m.call.params.chat_id === OPERATOR)
      .map((m) => String(m.call.params.text));
  return {
    clock,
    gateway,
    queue,
    store,
    directory,
    drain,
    start,
    edits,
    recipients,
    asRecord,
    consume,
    meter,
    operatorNotices,
  };
}

describe('broadcast quota (broadcastsPerDay)', () => {
  const twoADay: Plan = { ...PLANS.free, limits: { ...PLANS.free.limits, broadcastsPerDay: 2 } };

  it('counts each broadcast once, a redelivered start included, up to the limit', async () => {
    const { drain, start, recipients, meter, queue, asRecord, consume } = await setup(3, [], 50, twoADay);
    await start('q1');
    await drain();
    // The same start job again (SQS redelivery): the broadcast is not counted, nor sent, twice.
    const first = queue.sent.find((job) => job.envelope.type === 'broadcast.start');
    expect((await consume([asRecord(first!, 2)])).batchItemFailures).toEqual([]);
    await drain();
    expect(recipients()).toHaveLength(3);
    await start('q2');
    await drain();
    expect(recipients()).toHaveLength(6);
    const usage = await meter!.usage();
    expect(usage.metrics.find((m) => m.metric === 'broadcastsPerDay')?.used).toBe(2);
  });

  it('over the limit: the admin is told the limit, the reset and the plan that allows more, and nothing is sent', async () => {
    const { drain, start, recipients, edits, store, meter, operatorNotices } = await setup(3, [], 50, PLANS.free);
    await start('f1');
    await drain();
    expect(recipients()).toHaveLength(3);
    await start('f2');
    await drain();
    expect(recipients()).toHaveLength(3);
    expect(await store.get('f2')).toBeUndefined();
    const refusal = edits().at(-1)!;
    expect(refusal).toContain('1 broadcasts a day');
    expect(refusal).toMatch(/resets at \d\d:\d\d UTC/);
    expect(refusal).toContain('Starter plan ($29 a month) for 3 broadcasts a day');
    // The operators hear once per window, however many starts are refused.
    await start('f3');
    await drain();
    expect(operatorNotices()).toHaveLength(1);
    expect(operatorNotices()[0]).toContain('@desk_bot reached a quota of its Free plan');
    expect((await meter!.usage()).metrics.find((m) => m.metric === 'broadcastsPerDay')?.used).toBe(1);
  });

  it('a bot with no plan (UNLIMITED) broadcasts as often as it likes', async () => {
    const { drain, start, recipients } = await setup(2);
    for (const id of ['u1', 'u2', 'u3']) await start(id);
    await drain();
    expect(recipients()).toHaveLength(6);
  });
});

describe('broadcast', () => {
  it('sends once to every active user, counts the blocked, and edits the final figures in', async () => {
    const { gateway, directory, drain, start, edits, recipients } = await setup(130, [5, 6]);
    gateway.answer = (c) =>
      c.params.chat_id === 7 ? new TelegramForbiddenError('Forbidden: bot was blocked by the user') : undefined;
    await start('b1');
    await drain();
    const sent = recipients();
    expect(sent).toHaveLength(127);
    expect(new Set(sent).size).toBe(127);
    expect(sent).not.toContain(5);
    expect(sent).not.toContain(7);
    expect(gateway.made.find((m) => m.call.method === 'sendMessage')?.call.params).toMatchObject({
      text: 'Hello *all*',
      entities: [{ type: 'bold', offset: 6, length: 5 }],
    });
    expect(edits()[0]).toContain('sent 0 / 128');
    expect(edits().at(-1)).toBe('✅ Broadcast b1 finished: sent 127 / 128, 1 blocked, 0 failed');
    expect((await directory.get(7))?.active).toBe(false);
  });

  it('skips users who blocked the bot in a later broadcast', async () => {
    const { gateway, drain, start, recipients } = await setup(20);
    gateway.answer = (c) =>
      c.params.chat_id === 3 ? new TelegramForbiddenError('Forbidden: bot was blocked by the user') : undefined;
    await start('first');
    await drain();
    gateway.made.length = 0;
    await start('second');
    await drain();
    expect(recipients()).toHaveLength(19);
    expect(recipients()).not.toContain(3);
  });

  it('does not send or count twice when send jobs are redelivered', async () => {
    const { queue, drain, start, recipients, consume, asRecord, store } = await setup(15);
    await start('again');
    await drain();
    const sends = queue.sent.filter((j) => j.envelope.type === 'broadcast.send');
    await consume(sends.slice(0, 10).map(asRecord));
    expect(recipients()).toHaveLength(15);
    expect((await store.get('again'))?.counts).toEqual({ sent: 15, blocked: 0, failed: 0 });
  });

  it('stops sending when cancelled and says so in the progress message', async () => {
    const { clock, queue, drain, start, recipients, edits, store } = await setup(200);
    await start('stop');
    await drain(40);
    const before = recipients().length;
    expect(before).toBeGreaterThan(0);
    await queue.send(
      sealJobs([{ job: BroadcastCancelJob, payload: { id: 'stop' }, chatId: null, userId: 1 }], {
        idPrefix: 'c',
        traceId: 't',
        tenant: TEST_TENANT,
        now: new Date(),
      }),
    );
    // The cancel is queued behind about a page of sends: the queue holds one page at a time.
    clock.time += 2_000;
    await drain();
    const b = await store.get('stop');
    expect(b?.status).toBe('cancelled');
    expect(recipients().length).toBeLessThan(200);
    expect(edits().at(-1)).toMatch(/^⏹ Broadcast stop cancelled: sent \d+ \/ 200/);
  });

  it('does nothing for a broadcast.start not made by an admin, or reporting to another chat', async () => {
    const { consume, queue, asRecord, store, gateway, start } = await setup(10);
    await start('forged', { userId: 666 });
    await start('elsewhere', { adminChatId: -100_999 });
    const { batchItemFailures } = await consume(queue.sent.map(asRecord));
    // Poison: failed here (the worker's consumer parks it in the DLQ at once).
    expect(batchItemFailures).toHaveLength(2);
    expect(gateway.made).toEqual([]);
    expect(await store.get('forged')).toBeUndefined();
    expect(await store.get('elsewhere')).toBeUndefined();
    expect(queue.sent).toHaveLength(2);
  });

  it('ignores a broadcast.cancel not made by an admin', async () => {
    const { queue, drain, start, store, consume, asRecord } = await setup(200);
    await start('keep');
    await drain(5);
    const [cancel] = sealJobs([{ job: BroadcastCancelJob, payload: { id: 'keep' }, chatId: null, userId: 666 }], {
      idPrefix: 'c',
      traceId: 't',
      tenant: TEST_TENANT,
      now: new Date(),
    });
    expect((await consume([asRecord(cancel!, 0)])).batchItemFailures).toHaveLength(1);
    expect((await store.get('keep'))?.status).toBe('running');
    expect(queue.sent.length).toBeGreaterThan(0);
  });

  it('ends on the final figures when running figures read earlier reach the chat after them', async () => {
    // The last page's progress edit (read before the only send was counted) is held until the
    // send job has finished the broadcast and edited the final figures in.
    let reached!: () => void;
    const atGate = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let held = '';
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { clock, queue, consume, asRecord, drain, start, edits, store } = await setup(
      1,
      [],
      50,
      undefined,
      (d) =>
        (async (jobId, calls, log) => {
          if (jobId === held) {
            reached();
            await gate;
          }
          return d(jobId, calls, log);
        }) as Deliver,
    );
    await start('late');
    await drain(1);
    clock.time += 5_000; // the page's progress edit is due
    const pageJob = queue.sent.find((j) => j.envelope.type === 'broadcast.page')!;
    held = `${pageJob.envelope.id}.progress`;
    const paging = consume([asRecord(pageJob, 1)]);
    await atGate;
    const sendJob = queue.sent.find((j) => j.envelope.type === 'broadcast.send')!;
    await consume([asRecord(sendJob, 1)]);
    expect(edits().at(-1)).toBe('✅ Broadcast late finished: sent 1 / 1, 0 blocked, 0 failed');
    release();
    expect((await paging).batchItemFailures).toEqual([]);
    expect((await store.get('late'))?.status).toBe('done');
    expect(edits().at(-1)).toBe('✅ Broadcast late finished: sent 1 / 1, 0 blocked, 0 failed');
    expect(edits().at(-2)).toMatch(/sent 0 \/ 1/);
  });

  it('reaches every user of a broadcast with hundreds of pages (job ids do not grow page by page)', async () => {
    const { drain, start, recipients, queue } = await setup(160, [], 1);
    await start('long');
    await drain();
    expect(new Set(recipients()).size).toBe(160);
    expect(Math.max(...queue.sent.map((j) => j.envelope.id.length))).toBeLessThan(40);
  });

  it('keeps about one page queued at a time, so other notifications are not stuck behind it', async () => {
    const { queue, drain, start } = await setup(300);
    await start('paced');
    await drain(1);
    await drain(1); // page 0 queued its sends and the next page job behind them
    const queuedSends = queue.sent.filter((j) => j.envelope.type === 'broadcast.send').length;
    expect(queuedSends).toBe(50);
    await drain();
    expect(queue.sent.filter((j) => j.envelope.type === 'broadcast.send')).toHaveLength(300);
  });
});
