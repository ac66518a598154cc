import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkUpdate, type ProcessResult, type ValidUpdate } from '../../../../core/platform/ingress/index.js';
import { openIntake } from '../../../../core/platform/keys/index.js';
import {
  BotListJob,
  BotOnboardJob,
  BotRemoveJob,
  BotsUsageJob,
  manageBots,
  refuseBotTokens,
  tokenIntakeContext,
} from '../../../../core/platform/manager/index.js';
import { TelegramSendJob } from '../../../../core/platform/telegram/index.js';
import { testBotOptions, testIntakeKey } from '../../../helpers/bot-options.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { callbackUpdate, pressIn, textUpdate } from '../../../helpers/updates.js';
import { registerSecret } from '../../../setup/secrets.js';

const HOME = '123456789';
const OPERATOR = 7_001;
const ALLOWED = ['message', 'edited_message', 'callback_query', 'my_chat_member'];

function newToken(): string {
  const token = `${600_000_000 + Math.floor(Math.random() * 1000)}:AA${randomBytes(33).toString('base64url').slice(0, 33)}`;
  registerSecret(token);
  return token;
}

function valid(update: unknown): ValidUpdate {
  const checked = checkUpdate(update, ALLOWED);
  if (!checked.ok) throw new Error(`invalid test update: ${checked.detail}`);
  return checked.value;
}

/** The manager over a bot that records what reached it. */
function setup() {
  const queue = new MemoryJobQueue();
  const reached: ValidUpdate[] = [];
  const bot = async (update: ValidUpdate): Promise<ProcessResult> => {
    reached.push(update);
    return { duplicate: false };
  };
  const log = memoryLogger();
  const deps = { tenant: HOME, queue, manager: 'home_bot', log, intakePublicKey: testBotOptions().intakePublicKey };
  return { queue, reached, log, manager: manageBots(bot, deps), guard: refuseBotTokens(bot, deps) };
}

const callsOf = (job: { envelope: { payload: unknown } }) =>
  (job.envelope.payload as { calls: { method: string; params: Record<string, unknown> }[] }).calls;

describe('manageBots (the manager bot in the webhook)', () => {
  it('deletes a token message at once, seals the token for its sender and queues only the sealed token', async () => {
    const { queue, reached, log, manager } = setup();
    const token = newToken();
    const update = textUpdate({ id: OPERATOR }, ` ${token} `);
    await manager(valid(update));

    expect(reached).toEqual([]);
    const [notify, onboard] = queue.sent;
    expect(notify?.envelope.type).toBe(TelegramSendJob.type);
    expect(callsOf(notify!).map((c) => c.method)).toEqual(['deleteMessage', 'sendMessage']);
    expect(callsOf(notify!)[0]?.params).toEqual({ chat_id: OPERATOR, message_id: update.message.message_id });
    expect(onboard?.envelope).toMatchObject({
      type: BotOnboardJob.type,
      tenant: HOME,
      userId: OPERATOR,
      chatId: OPERATOR,
      payload: { payouts: false, lang: 'en' },
    });
    // The token is in no job and no log line, in clear; the sealed one opens only for this operator.
    const secretPart = token.split(':')[1]!;
    expect(JSON.stringify(queue.sent)).not.toContain(secretPart);
    expect(JSON.stringify(log.lines)).not.toContain(secretPart);
    const sealed = (onboard!.envelope.payload as { sealed: string }).sealed;
    expect(await openIntake(testIntakeKey(), sealed, tokenIntakeContext(OPERATOR))).toBe(token);
    await expect(openIntake(testIntakeKey(), sealed, tokenIntakeContext(OPERATOR + 1))).rejects.toThrow();
  });

  it('takes `payouts` after the token, and speaks the sender’s language', async () => {
    const { queue, manager } = setup();
    await manager(valid(textUpdate({ id: OPERATOR, language_code: 'zh-hans' }, `${newToken()} payouts`)));
    expect(queue.sent[1]?.envelope.payload).toMatchObject({ payouts: true, lang: 'zh' });
    expect(callsOf(queue.sent[0]!)[1]?.params.text).toContain('已收到令牌');
  });

  it('deletes and refuses a token among other words, in an edit or in a caption, and queues no onboarding', async () => {
    const { queue, reached, manager } = setup();
    const token = newToken();
    const edited = textUpdate({ id: OPERATOR }, token);
    const captioned = textUpdate({ id: OPERATOR }, 'x');
    const { text: _, ...photo } = captioned.message;
    await manager(valid(textUpdate({ id: OPERATOR }, `here: ${token}`)));
    await manager(
      valid({ update_id: edited.update_id, edited_message: { ...edited.message, edit_date: edited.message.date } }),
    );
    await manager(
      valid({ update_id: captioned.update_id, message: { ...photo, caption: `\u200B${token}`, photo: [] } }),
    );

    expect(reached).toEqual([]);
    expect(queue.sent.map((job) => job.envelope.type)).toEqual([
      TelegramSendJob.type,
      TelegramSendJob.type,
      TelegramSendJob.type,
    ]);
    for (const job of queue.sent) {
      expect(callsOf(job)[0]?.method).toBe('deleteMessage');
      expect(callsOf(job)[1]?.params.text).toContain('bot token among other words');
    }
    expect(JSON.stringify(queue.sent)).not.toContain(token.split(':')[1]);
  });

  it('deletes and refuses a token sent in a group, and lets the group’s other messages through', async () => {
    const { queue, reached, manager } = setup();
    const group = { id: -100_5, type: 'supergroup', title: 'G' };
    await manager(valid(textUpdate({ id: OPERATOR }, newToken(), { chat: group })));
    await manager(valid(textUpdate({ id: OPERATOR }, '/mybots', { chat: group })));
    expect(callsOf(queue.sent[0]!).map((c) => c.method)).toEqual(['deleteMessage', 'sendMessage']);
    expect(callsOf(queue.sent[0]!)[1]?.params.text).toContain('private chat with @home_bot');
    expect(queue.sent).toHaveLength(1);
    expect(reached).toHaveLength(1);
  });

  it('answers /addbot, queues /mybots and /usage for the notify worker, and asks to confirm /removebot', async () => {
    const { queue, reached, manager } = setup();
    await manager(valid(textUpdate({ id: OPERATOR }, '/addbot')));
    await manager(valid(textUpdate({ id: OPERATOR }, '/mybots')));
    await manager(valid(textUpdate({ id: OPERATOR }, '/usage')));
    await manager(valid(textUpdate({ id: OPERATOR }, '/removebot 700000001')));
    await manager(valid(textUpdate({ id: OPERATOR }, '/removebot @somebot')));
    expect(reached).toEqual([]);
    const [addbot, mybots, usage, confirm, bad] = queue.sent;
    expect(callsOf(addbot!)[0]?.params.text).toContain('@BotFather');
    expect(mybots?.envelope).toMatchObject({ type: BotListJob.type, userId: OPERATOR, payload: { lang: 'en' } });
    expect(usage?.envelope).toMatchObject({ type: BotsUsageJob.type, userId: OPERATOR });
    expect(callsOf(confirm!)[0]?.params.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: '🗑 Remove it', callback_data: 'mgr:rm:700000001' },
          { text: 'Keep it', callback_data: 'mgr:keep' },
        ],
      ],
    });
    expect(callsOf(bad!)[0]?.params.text).toContain('followed by the bot’s id');
  });

  it('queues a removal for whoever presses the confirm button (the worker checks they operate the bot)', async () => {
    const { queue, manager } = setup();
    await manager(valid(callbackUpdate({ id: 8_002 }, 'mgr:rm:700000001', 44)));
    await manager(valid(callbackUpdate({ id: 8_002 }, 'mgr:keep', 45)));
    const [answer, remove, keep] = queue.sent;
    expect(callsOf(answer!).map((c) => c.method)).toEqual(['answerCallbackQuery', 'editMessageText']);
    expect(remove?.envelope).toMatchObject({
      type: BotRemoveJob.type,
      userId: 8_002,
      chatId: 8_002,
      payload: { botId: '700000001' },
    });
    expect(callsOf(keep!)[1]?.params.text).toBe('Nothing was removed.');
    expect(queue.sent).toHaveLength(3);
  });

  it('passes every other update to the bot: plain text, its own commands and buttons, a manager button pressed in a group', async () => {
    const { queue, reached, manager } = setup();
    await manager(valid(textUpdate({ id: OPERATOR }, 'hello')));
    await manager(valid(textUpdate({ id: OPERATOR }, '/start')));
    await manager(valid(callbackUpdate({ id: OPERATOR }, 'lang:en')));
    await manager(valid(pressIn({ id: -100_5, type: 'supergroup', title: 'G' }, { id: OPERATOR }, 'mgr:rm:700000001')));
    expect(reached).toHaveLength(4);
    expect(queue.sent).toEqual([]);
  });
});

describe('refuseBotTokens (every other bot)', () => {
  it('deletes and refuses a token in any chat, private or not, before the bot sees it', async () => {
    const { queue, reached, guard } = setup();
    const token = newToken();
    await guard(valid(textUpdate({ id: OPERATOR }, token)));
    await guard(valid(textUpdate({ id: OPERATOR }, 'no token here')));
    expect(reached).toHaveLength(1);
    expect(callsOf(queue.sent[0]!).map((c) => c.method)).toEqual(['deleteMessage', 'sendMessage']);
    expect(callsOf(queue.sent[0]!)[1]?.params.text).toContain('@home_bot');
    expect(JSON.stringify(queue.sent)).not.toContain(token.split(':')[1]);
  });
});
