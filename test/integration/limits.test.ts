import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitState } from '../../core/desk/bot/context.js';
import { JOB_BUCKET, MESSAGE_BUCKET } from '../../core/desk/bot/limits.js';
import { type LocalStack, type LogLine, localClientConfig, type PeerUser, startLocalStack } from '../../local/index.js';
import { allSent, pressAndWait, unexpectedProblems } from '../helpers/stack-chat.js';

let stack: LocalStack;
let dynamo: DynamoDBClient;
const logs: LogLine[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: (line) => logs.push(line) });
  dynamo = new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 1 });
});
afterAll(() => stack?.stop());

const SLOW = {
  en: '⏳ That is a lot at once! Please give me about 3 seconds, then try again. I skip what you send until then.',
  zh: '⏳ 操作太频繁了！请等待约 3 秒后再试。在此之前发送的内容我会略过。',
};
/** Button presses are dated by the clock, not to the second: the wait said may be less than 3 s. */
const PRESS_REFUSED =
  /^⏳ That is a lot at once! Please give me about [123] seconds, then try again\. I skip what you send until then\.$/;
const UNKNOWN = {
  en: 'I did not understand that. Send /menu to see what I can do.',
  zh: '没有理解您的消息。发送 /menu 查看可用功能。',
};

const unixNow = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const botTexts = (chatId: number) => stack.telegram.sent(chatId).map((m) => m.text);

async function storedSession(chatId: number, userId: number): Promise<Record<string, unknown>> {
  const { Item } = await dynamo.send(
    new GetItemCommand({
      TableName: stack.dynamodb.tableName,
      Key: { pk: { S: `session#${chatId}:${userId}` }, sk: { S: 'session' } },
      ConsistentRead: true,
    }),
  );
  return JSON.parse(Item?.data?.S ?? '{}') as Record<string, unknown>;
}

/**
 * Sends `count` messages as fast as the user can; returns their dates (s). The defaults give a
 * token back every 3 s, so within their span the bucket's burst is all there is.
 */
async function flood(user: PeerUser, count: number, text = (i: number) => `/what ${i}`): Promise<number[]> {
  const dates: number[] = [];
  for (let i = 0; i < count; i++) dates.push((await user.sendText(text(i))).message!.date);
  return dates;
}

const press = (user: PeerUser, messageId: number, data: string) => pressAndWait(stack.telegram, user, messageId, data);

describe('abuse control on the local stack', () => {
  it.each([
    ['en', 1201, {}],
    ['zh', 1202, { language_code: 'zh' }],
  ] as const)(
    'answers the first 20 of 40 quick messages and sends one notice, in %s; a token is back 3 s later',
    { timeout: 120_000 },
    async (lang, id, profile) => {
      const user = stack.telegram.user(id, { first_name: 'Flo', ...profile });
      const dates = await flood(user, 40);
      // The defaults' arithmetic holds only if the messages came within one refill interval.
      expect(Math.max(...dates) - Math.min(...dates)).toBeLessThan(MESSAGE_BUCKET.refillMs / 1000);

      // One refill interval after the last message answered (the 20th) a token is back: /help is
      // answered, the next message is skipped without a second notice. The wait counts from the
      // messages' dates, not from when the webhook got through them (which may take longer).
      const last = dates[MESSAGE_BUCKET.burst - 1]!;
      while (unixNow() < last + MESSAGE_BUCKET.refillMs / 1000) await sleep(100);
      await user.sendText('/help');
      await user.sendText('/what more');
      // Answers beyond the chat's 1 msg/s follow through the notify queue, in order.
      await allSent(stack);
      expect(botTexts(id).slice(0, MESSAGE_BUCKET.burst + 1)).toEqual([
        ...Array(MESSAGE_BUCKET.burst).fill(UNKNOWN[lang]),
        SLOW[lang],
      ]);

      const limits = (await storedSession(id, id)).limits as RateLimitState;
      expect(limits.messages).toBeLessThan(1);
      expect(limits.jobs).toBe(JOB_BUCKET.burst);
      // One notice, for the first message refused, after the last one answered.
      expect(limits.noticeAt).toBeGreaterThanOrEqual(last * 1000);
      const after = botTexts(id).slice(MESSAGE_BUCKET.burst + 1);
      expect(after).toEqual([expect.stringContaining(lang === 'en' ? 'Help' : '帮助')]);
    },
  );

  it('answers a pressed button with the reason once the bucket is empty, leaving the message as it was', {
    timeout: 120_000,
  }, async () => {
    const user = stack.telegram.user(1203, { first_name: 'Tap' });
    await user.sendText('/menu');
    await stack.telegram.idle(30_000);
    const menu = user.lastBotMessage()!;
    // Help, Back, Help, Back…: 19 presses after /menu use up the burst of 20.
    const [help, back] = ['menu:help', 'menu:main'];
    const showing = (data: string) =>
      stack.telegram.waitFor(() => {
        const message = user.lastBotMessage();
        const buttons = message?.reply_markup?.inline_keyboard.flat() ?? [];
        return buttons.some((b) => b.callback_data === data) ? message : undefined;
      }, 20_000);
    for (let i = 0; i < MESSAGE_BUCKET.burst - 1; i++) {
      const [pressing, next] = i % 2 === 0 ? [help, back] : [back, help];
      expect(await press(user, menu.message_id, pressing)).toBeUndefined();
      // The edit follows the answer, through the notify queue.
      await showing(next);
    }
    const before = user.lastBotMessage()!;
    const data = before.reply_markup!.inline_keyboard.flat()[0]!.callback_data!;
    expect(await press(user, menu.message_id, data)).toMatch(PRESS_REFUSED);
    await stack.telegram.idle(30_000);
    expect(user.lastBotMessage()).toEqual(before);
    // Pressing again is answered again (every press is), still without a word in the chat.
    expect(await press(user, menu.message_id, data)).toMatch(PRESS_REFUSED);
    // Give an edit that should not exist the time to arrive through the notify queue.
    await sleep(1_000);
    expect(user.lastBotMessage()).toEqual(before);
    expect(stack.telegram.sent(user.id)).toHaveLength(1);
  });

  it('in a group, answers only commands addressed to it, and chatter costs nothing', { timeout: 120_000 }, async () => {
    const group = stack.telegram.group(-100_200_300, 'Traders');
    const member = stack.telegram.user(1204, { first_name: 'Gus' });
    for (let i = 0; i < 30; i++) await group.sendText(member, `gm ${i}`);
    await group.sendText(member, '/help@some_other_bot');
    await group.sendText(member, 'So11111111111111111111111111111111111111112');
    await stack.telegram.idle(60_000);
    expect(group.botMessages()).toEqual([]);
    expect(await storedSession(group.id, member.id)).not.toHaveProperty('limits');

    await group.sendText(member, `/help@${stack.bot.botUsername}`);
    await stack.telegram.idle(30_000);
    expect(group.botMessages().map((m) => m.text)).toEqual([expect.stringContaining('Help')]);
    expect(await storedSession(group.id, member.id)).toMatchObject({
      limits: { messages: MESSAGE_BUCKET.burst - 1 },
    });
  });

  it('ran every update without an error or a warning', () => {
    const { lines, problems } = unexpectedProblems(logs);
    expect(lines).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});
