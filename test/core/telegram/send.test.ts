import { describe, expect, it } from 'vitest';
import { adminEvent } from '../../../core/admin/events.js';
import { TransientError } from '../../../core/errors.js';
import { createConsumer } from '../../../core/jobs/consumer.js';
import { sealJobs } from '../../../core/jobs/envelope.js';
import type { JobProgress } from '../../../core/jobs/progress.js';
import { planDelivery, type TelegramCall } from '../../../core/telegram/calls.js';
import { type ChatGateway, TelegramForbiddenError, TelegramRejectedError } from '../../../core/telegram/gateway.js';
import { adminEventHandler, formatAdminEvent, telegramSendHandler } from '../../../core/telegram/send.js';
import { TelegramSendJob } from '../../../core/telegram/send-job.js';
import { memoryLogger } from '../../helpers/fakes.js';

class MemoryProgress implements JobProgress {
  readonly values = new Map<string, number>();
  async done(id: string) {
    return this.values.get(id) ?? 0;
  }
  async record(id: string, done: number) {
    this.values.set(id, done);
  }
}

const call = (text: string): TelegramCall => ({ method: 'sendMessage', params: { chat_id: 1, text } });

function setup(fail: (c: TelegramCall, n: number) => Error | undefined) {
  const made: string[] = [];
  let n = 0;
  const gateway: ChatGateway = {
    async call(c) {
      const error = fail(c, n++);
      if (error) throw error;
      made.push(String(c.params.text));
      return true;
    },
  };
  const progress = new MemoryProgress();
  const consume = createConsumer([telegramSendHandler({ gateway, progress })], memoryLogger());
  const [job] = sealJobs(
    [{ job: TelegramSendJob, payload: { calls: [call('a'), call('b'), call('c')] }, chatId: 1, userId: 1 }],
    {
      idPrefix: 'u1',
      traceId: 'u1',
      now: new Date(),
    },
  );
  const deliver = () =>
    consume([{ messageId: 'm', body: JSON.stringify(job!.envelope), attributes: { ApproximateReceiveCount: '1' } }]);
  return { made, progress, deliver };
}

describe('telegram.send job', () => {
  it('resumes after the last sent call when redelivered after a transient failure', async () => {
    const { made, deliver } = setup((c, n) =>
      c.params.text === 'b' && n === 1 ? new TransientError('telegram.unavailable', '502') : undefined,
    );
    expect((await deliver()).batchItemFailures).toHaveLength(1);
    expect((await deliver()).batchItemFailures).toHaveLength(0);
    expect(made).toEqual(['a', 'b', 'c']);
  });

  it('skips a call Telegram rejects and sends the rest', async () => {
    const { made, deliver } = setup((c) =>
      c.params.text === 'b' ? new TelegramRejectedError(400, 'message is not modified') : undefined,
    );
    expect((await deliver()).batchItemFailures).toHaveLength(0);
    expect(made).toEqual(['a', 'c']);
  });

  it('stops sending to a chat that blocked the bot, without failing the job', async () => {
    const { made, deliver } = setup((c) =>
      c.params.text === 'b' ? new TelegramForbiddenError('bot was blocked by the user') : undefined,
    );
    expect((await deliver()).batchItemFailures).toHaveLength(0);
    expect(made).toEqual(['a']);
    expect((await deliver()).batchItemFailures).toHaveLength(0);
    expect(made).toEqual(['a']);
  });
});

describe('planDelivery', () => {
  const answer: TelegramCall = { method: 'answerCallbackQuery', params: { callback_query_id: '1' } };
  const edit: TelegramCall = { method: 'editMessageText', params: { text: 'x' } };

  it('puts a single chat-visible call in the webhook response', () => {
    expect(planDelivery([call('a')])).toEqual({ reply: call('a'), queued: [] });
  });

  it('answers a button in the response and queues the edit', () => {
    expect(planDelivery([answer, edit])).toEqual({ reply: answer, queued: [edit] });
  });

  it('queues every chat-visible call when there are several, to keep their order', () => {
    expect(planDelivery([call('a'), call('b')])).toEqual({ queued: [call('a'), call('b')] });
  });

  it('queues a method Telegram does not accept in a webhook response', () => {
    const pin: TelegramCall = { method: 'pinChatMessage', params: {} };
    expect(planDelivery([pin])).toEqual({ queued: [pin] });
  });
});

describe('admin.event job', () => {
  it('posts the event to the admin chat with every value escaped', async () => {
    const sent: TelegramCall[] = [];
    const gateway: ChatGateway = {
      async call(c) {
        sent.push(c);
        return true;
      },
    };
    const consume = createConsumer(
      [adminEventHandler({ gateway, progress: new MemoryProgress(), adminChatId: -100 })],
      memoryLogger(),
    );
    const [job] = sealJobs(
      [
        adminEvent({
          kind: 'deposit.found',
          userId: 3,
          facts: [
            ['wallet', '<b>x</b>'],
            ['amount', '1 SOL'],
          ],
        }),
      ],
      { idPrefix: 'd', traceId: 'd', now: new Date() },
    );
    const body = JSON.stringify(job!.envelope);
    await consume([{ messageId: 'm', body, attributes: { ApproximateReceiveCount: '1' } }]);
    await consume([{ messageId: 'm', body, attributes: { ApproximateReceiveCount: '2' } }]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.params).toMatchObject({ chat_id: -100, parse_mode: 'HTML' });
    expect(String(sent[0]?.params.text)).toContain('wallet: <code>&lt;b&gt;x&lt;/b&gt;</code>');
    expect(formatAdminEvent({ kind: 'deposit.found', userId: null, facts: [] })).toBe('<b>💰 Deposit found</b>');
  });
});
