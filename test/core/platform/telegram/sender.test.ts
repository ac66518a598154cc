import { describe, expect, it } from 'vitest';
import { TransientError } from '../../../../core/platform/errors.js';
import {
  createConsumer,
  JobDeferredError,
  type QueueRecord,
  type Redelivery,
} from '../../../../core/platform/jobs/consumer.js';
import { sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { TELEGRAM_LIMITS } from '../../../../core/platform/settings.js';
import type { TelegramCall } from '../../../../core/platform/telegram/calls.js';
import {
  TelegramForbiddenError,
  TelegramRateLimitedError,
  TelegramRejectedError,
} from '../../../../core/platform/telegram/gateway.js';
import { containerPacers } from '../../../../core/platform/telegram/pacing.js';
import { telegramSendHandler } from '../../../../core/platform/telegram/send.js';
import { TelegramSendJob } from '../../../../core/platform/telegram/send-job.js';
import { createSender } from '../../../../core/platform/telegram/sender.js';
import { memoryLogger } from '../../../helpers/fakes.js';
import { FakeClock, MemoryPace, MemoryProgress, ScriptedGateway, VirtualClock } from '../../../helpers/notify-fakes.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const send = (chat: number | string, text: string, extra: Record<string, unknown> = {}): TelegramCall => ({
  method: 'sendMessage',
  params: { chat_id: chat, text, ...extra },
});

function setup<C extends FakeClock | VirtualClock = FakeClock>(
  options: { maxConcurrency?: number; maxChatWaitMs?: number; clock?: C } = {},
) {
  const clock = (options.clock ?? new FakeClock()) as C;
  const gateway = new ScriptedGateway(clock);
  const progress = new MemoryProgress();
  const pace = new MemoryPace();
  const deactivated: number[] = [];
  const log = memoryLogger();
  const deliver = createSender({
    gateway,
    progress,
    pace,
    pacers: containerPacers(TELEGRAM_LIMITS, options.maxConcurrency ?? 1, clock),
    directory: { setActive: async (chatId, active) => void (active ? undefined : deactivated.push(chatId)) },
    clock,
    maxChatWaitMs: options.maxChatWaitMs ?? 5_000,
  });
  return { clock, gateway, progress, pace, deactivated, log, deliver };
}

describe('sender', () => {
  it('resumes after the last call made when a job is redelivered after a transient failure', async () => {
    const { gateway, deliver, log } = setup();
    gateway.answer = (c, n) =>
      c.params.text === 'b' && n === 1 ? new TransientError('telegram.unavailable', '502') : undefined;
    const calls = [send(1, 'a'), send(1, 'b'), send(1, 'c')];
    await expect(deliver('j1', calls, log)).rejects.toThrow(TransientError);
    const report = await deliver('j1', calls, log);
    expect(gateway.texts()).toEqual(['a', 'b', 'c']);
    expect(report).toMatchObject({ sent: 2, repeat: false });
    expect((await deliver('j1', calls, log)).repeat).toBe(true);
    expect(gateway.texts()).toEqual(['a', 'b', 'c']);
  });

  it('spaces messages into one private chat a second apart', async () => {
    const { gateway, deliver, log } = setup({ maxConcurrency: 1 });
    await deliver('j', [send(7, 'a'), send(7, 'b'), send(7, 'c')], log);
    const at = gateway.made.map((m) => m.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1000);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(1000);
    expect(at[2]! - at[0]!).toBeLessThan(2_300);
  });

  it('marks the queued replies of an update as through once their last message has its slot', async () => {
    const { deliver, log, pace, clock } = setup();
    await pace.save(7, [], 0, 40);
    await deliver('j', [send(7, 'a'), send(7, 'b'), { method: 'answerCallbackQuery', params: {} }], log, {
      update: 41,
    });
    expect(await pace.load(7)).toMatchObject({ through: 41 });

    // A job that is sent back before its last message leaves the mark where it was.
    const slow = setup({ maxChatWaitMs: 500 });
    await slow.pace.save(8, [slow.clock.now()], 0, 40);
    await expect(slow.deliver('k', [send(8, 'a')], slow.log, { update: 42 })).rejects.toBeInstanceOf(JobDeferredError);
    expect(await slow.pace.load(8)).toMatchObject({ through: 40 });
    // An ordinary job (no update) keeps the mark too.
    clock.time += 5_000;
    await deliver('l', [send(7, 'c')], log);
    expect(await pace.load(7)).toMatchObject({ through: 41 });
  });

  it('keeps the per-chat limit across senders that share the pace store', async () => {
    const a = setup();
    const b = {
      ...a,
      deliver: createSender({
        ...a,
        pacers: containerPacers(TELEGRAM_LIMITS, 1, a.clock),
        directory: { setActive: async () => {} },
        clock: a.clock,
      }),
    };
    await Promise.all([a.deliver('x', [send(9, 'one')], a.log), b.deliver('y', [send(9, 'two')], a.log)]);
    const [first, second] = a.gateway.made.map((m) => m.at).sort((p, q) => p - q);
    expect(second! - first!).toBeGreaterThanOrEqual(1000);
  });

  it('sends at most 20 messages a minute into a group, and defers the job (not a failure) when the wait is long', async () => {
    const { gateway, deliver, clock, log } = setup({ maxChatWaitMs: 5_000 });
    const start = clock.now();
    const calls = Array.from({ length: 21 }, (_, i) => send(-100, `m${i}`));
    const deferral = await deliver('g', calls, log).catch((e: unknown) => e);
    expect(deferral).toBeInstanceOf(JobDeferredError);
    expect((deferral as JobDeferredError).reason).toBe('telegram.chat_busy');
    expect((deferral as JobDeferredError).retryAfterSeconds).toBeGreaterThan(50);
    expect(gateway.made).toHaveLength(20);
    expect(gateway.made.at(-1)!.at - start).toBeLessThan(60_000);
  });

  it("keeps this container's share of the bot limit: 30 msg/s over the maximum concurrency", async () => {
    const { gateway, deliver, clock, log } = setup({ maxConcurrency: 5, clock: new VirtualClock() });
    const start = clock.now();
    await clock.run(Promise.all(Array.from({ length: 12 }, (_, i) => deliver(`b${i}`, [send(1000 + i, 'hi')], log))));
    // 6 msgs in any second: the 7th a second after the 1st was answered, the 12th within the next half second.
    const at = gateway.made.map((m) => m.at - start);
    for (let k = 6; k < at.length; k++) expect(at[k]! - at[k - 6]!).toBeGreaterThanOrEqual(1000);
    expect(at.at(-1)).toBeLessThan(1_500);
  });

  it('holds each send of the share until a second after its answer, however slow; a refused one not at all', async () => {
    const { gateway, deliver, clock, log } = setup({ maxConcurrency: 5, clock: new VirtualClock() });
    gateway.latencyMs = 300;
    gateway.answer = (c) =>
      Number(c.params.chat_id) % 2 === 1
        ? new TelegramForbiddenError('Forbidden: bot was blocked by the user')
        : undefined;
    const start = clock.now();
    const reports = await clock.run(
      Promise.all(Array.from({ length: 18 }, (_, i) => deliver(`s${i}`, [send(1000 + i, 'hi')], log))),
    );
    expect(reports.filter((r) => r.blocked)).toHaveLength(9);
    // Of the 9 messages sent, any 7 span the answer of the first and a second more.
    const at = gateway.made.map((m) => m.at - start);
    expect(at).toHaveLength(9);
    for (let k = 6; k < at.length; k++) expect(at[k]! - at[k - 6]!).toBeGreaterThanOrEqual(300 + 1000);
    // Refusals held their tokens only while in flight: 18 calls holding theirs 1.3 s each would take 2.6 s.
    expect(at.at(-1)).toBeLessThan(2_000);
  });

  it('uses the paid limit for allow_paid_broadcast messages', async () => {
    const { gateway, deliver, clock, log } = setup({ maxConcurrency: 5 });
    const start = clock.now();
    const paid = Array.from({ length: 100 }, (_, i) => send(2000 + i, 'p', { allow_paid_broadcast: true }));
    await Promise.all(paid.map((call, i) => deliver(`p${i}`, [call], log)));
    // 1,000 msg/s ÷ 5 = 200/s: 100 sends in about half a second, not 100 ÷ 6 s.
    expect(gateway.made.at(-1)!.at - start).toBeLessThan(600);
  });

  it('pauses the container and sends the job back after retry_after on a 429', async () => {
    const { gateway, deliver, clock, log } = setup();
    gateway.answer = (_c, n) =>
      n === 0 ? new TelegramRateLimitedError('Too Many Requests: retry after 7', 7) : undefined;
    const failure = await deliver('r', [send(5, 'x')], log).catch((e: unknown) => e);
    expect((failure as TransientError).retryAfterSeconds).toBe(7);
    const before = clock.now();
    await deliver('other', [send(6, 'y')], log);
    expect(gateway.made[0]!.at - before).toBeGreaterThanOrEqual(7_000 - 1);
  });

  it('waits out a short retry_after in-process and sends again, so a 429 storm costs no receive', async () => {
    const { gateway, deliver, clock, log } = setup({ maxChatWaitMs: 5_000 });
    gateway.answer = (_c, n) =>
      n < 2 ? new TelegramRateLimitedError('Too Many Requests: retry after 2', 2) : undefined;
    const start = clock.now();
    const report = await deliver('patient', [send(5, 'x')], log);
    expect(report.sent).toBe(1);
    expect(gateway.made).toHaveLength(1);
    expect(gateway.made[0]!.at - start).toBeGreaterThanOrEqual(4_000);
    expect(log.lines.filter((l) => l.event === 'telegram.rate_limited')).toHaveLength(2);
  });

  it('sends the job back once the 429 waits of one call would pass the in-process limit', async () => {
    const { gateway, deliver, log } = setup({ maxChatWaitMs: 5_000 });
    let attempts = 0;
    gateway.answer = () => {
      attempts++;
      return new TelegramRateLimitedError('Too Many Requests: retry after 2', 2);
    };
    const failure = await deliver('impatient', [send(5, 'x')], log).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TelegramRateLimitedError);
    // Sent, waited 2 s, sent, waited 2 s, sent: a third wait would make 6 s.
    expect(attempts).toBe(3);
  });

  it('marks a user who blocked the bot inactive and skips the rest of the job, logging it as an event, not a problem', async () => {
    const { gateway, deliver, deactivated, progress, log } = setup();
    gateway.answer = (c) =>
      c.params.chat_id === 3 ? new TelegramForbiddenError('Forbidden: bot was blocked by the user') : undefined;
    const report = await deliver('f', [send(3, 'a'), send(3, 'b')], log);
    expect(report.blocked).toBe(true);
    expect(deactivated).toEqual([3]);
    expect(await progress.done('f')).toBe(2);
    expect(gateway.made).toHaveLength(0);
    expect(log.lines.find((l) => l.event === 'telegram.forbidden')).toMatchObject({ level: 'info', chat: 3 });
    expect(log.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('drops a call Telegram rejects with a logged reason and a metric, and goes on', async () => {
    const { gateway, deliver, log } = setup();
    gateway.answer = (c) =>
      c.params.text === 'bad' ? new TelegramRejectedError(400, "Bad Request: can't parse entities") : undefined;
    const report = await deliver('d', [send(4, 'bad'), send(4, 'good')], log);
    expect(report).toMatchObject({ sent: 1, dropped: 1 });
    expect(gateway.texts()).toEqual(['good']);
    expect(log.lines.find((l) => l.event === 'telegram.dropped')).toMatchObject({ errorCode: 400 });
    const metric = log.lines.find((l) => l.event === 'metric') as Record<string, unknown>;
    expect(metric.TelegramDropped).toBe(1);
    expect(JSON.stringify(metric._aws)).toContain('"Name":"TelegramDropped"');
  });

  it('does not pace calls that are not messages (button answers, edits)', async () => {
    const { gateway, deliver, clock, log } = setup();
    const start = clock.now();
    const edits: TelegramCall[] = Array.from({ length: 5 }, (_, i) => ({
      method: 'editMessageText',
      params: { chat_id: 8, message_id: 1, text: `v${i}` },
    }));
    await deliver('e', edits, log);
    expect(gateway.made.at(-1)!.at).toBe(start);
  });
});

describe('telegram.send job', () => {
  function consumerWith(deliver: ReturnType<typeof createSender>) {
    const delayed: { ids: string[]; seconds: number }[] = [];
    const redelivery: Redelivery = {
      async retryAfter(records, seconds) {
        delayed.push({ ids: records.map((r) => r.messageId), seconds });
      },
    };
    return { delayed, consume: createConsumer([telegramSendHandler(deliver)], memoryLogger(), undefined, redelivery) };
  }
  const record = (calls: TelegramCall[], messageId: string, group: string): QueueRecord => {
    const [job] = sealJobs([{ job: TelegramSendJob, payload: { calls }, chatId: 1, userId: 1 }], {
      idPrefix: messageId,
      traceId: 't',
      tenant: TEST_TENANT,
      now: new Date(),
    });
    return {
      messageId,
      receiptHandle: `r-${messageId}`,
      body: JSON.stringify(job!.envelope),
      attributes: { ApproximateReceiveCount: '1', MessageGroupId: group },
    };
  };

  it('brings a rate-limited message and the rest of its chat back after retry_after', async () => {
    const { gateway, deliver } = setup();
    // Longer than the 5 s the sender waits in-process.
    gateway.answer = (c) => (c.params.text === 'first' ? new TelegramRateLimitedError('retry after 7', 7) : undefined);
    const { consume, delayed } = consumerWith(deliver);
    const result = await consume([
      record([send(1, 'first')], 'm1', 'chat-1'),
      record([send(1, 'second')], 'm2', 'chat-1'),
      record([send(2, 'elsewhere')], 'm3', 'chat-2'),
    ]);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m1', 'm2']);
    expect(delayed).toEqual([{ ids: ['m1', 'm2'], seconds: 7 }]);
    expect(gateway.texts()).toEqual(['elsewhere']);
  });

  it('splits a text over 4,096 characters on line boundaries, buttons under the last part', async () => {
    const { gateway, deliver } = setup();
    const { consume } = consumerWith(deliver);
    const text = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(10)}`).join('\n');
    const markup = { inline_keyboard: [[{ text: 'ok', callback_data: 'ok' }]] };
    await consume([record([send(1, text, { reply_markup: markup })], 'm', 'chat-1')]);
    expect(gateway.made.length).toBeGreaterThan(1);
    expect(gateway.made.every((m) => String(m.call.params.text).length <= 4096)).toBe(true);
    expect(gateway.texts().join('\n')).toBe(text);
    expect(gateway.made.map((m) => m.call.params.reply_markup)).toEqual([
      ...gateway.made.slice(1).map(() => undefined),
      markup,
    ]);
  });
});
