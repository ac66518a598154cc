import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitState } from '../../core/desk/bot/context.js';
import { JOB_BUCKET, MESSAGE_BUCKET } from '../../core/desk/bot/limits.js';
import { DynamoSessionStore } from '../../core/platform/sessions/dynamodb-store.js';
import { type LocalStack, type LogLine, localClientConfig, type PeerUser, startLocalStack } from '../../local/index.js';
import { allSent, pressAndWait, unexpectedProblems } from '../helpers/stack-chat.js';
import { homeScope } from '../helpers/tenants.js';

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

/** The session as stored, read the way the webhook reads it. */
async function storedSession(chatId: number, userId: number): Promise<Record<string, unknown>> {
  const store = new DynamoSessionStore({
    client: homeScope(stack, dynamo),
    tableName: stack.dynamodb.tableName,
    sessionIdleSeconds: 86_400,
    updateDedupeSeconds: 3_600,
  });
  return ((await store.load(`${chatId}:${userId}`)).data ?? {}) as Record<string, unknown>;
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
  // The three floods below run side by side, each in its own chat: a chat's answers come at most
  // one a second, so each takes about 20 s however fast the rest is.
  it.concurrent.for([
    ['en', 1201, {}],
    ['zh', 1202, { language_code: 'zh' }],
  ] as const)(
    'answers the first 20 of 40 quick messages and sends one notice, in %s; a token is back 3 s later',
    { timeout: 120_000 },
    async ([lang, id, profile], { expect }) => {
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

  it.concurrent('answers a pressed button with the reason once the bucket is empty, leaving the message as it was', {
    timeout: 120_000,
  }, async ({ expect }) => {
    const user = stack.telegram.user(1203, { first_name: 'Tap' });
    await user.sendText('/menu');
    await stack.telegram.idle(30_000);
    const menuId = user.lastBotMessage()!.message_id;
    const menu = () => user.botMessages().find((m) => m.message_id === menuId)!;
    const showing = (data: string) =>
      stack.telegram.waitFor(() => {
        const buttons = menu().reply_markup?.inline_keyboard.flat() ?? [];
        return buttons.some((b) => b.callback_data === data) ? menu() : undefined;
      }, 20_000);
    // Texts drain the bucket fast (their answers are new messages); each press in between is
    // answered, and an accepted one edits the menu (Help ⇄ Back) before the next. However slow the
    // machine, the bucket empties: five texts cost more than the seconds they take give back.
    let [pressing, next] = ['menu:help', 'menu:main'];
    let accepted = 0;
    let refused: string | undefined;
    for (let round = 0; round < MESSAGE_BUCKET.burst && refused === undefined; round++) {
      await flood(user, 5, (i) => `/drain ${round}.${i}`);
      const answer = await press(user, menuId, pressing);
      if (answer !== undefined && PRESS_REFUSED.test(answer)) refused = answer;
      else {
        expect(answer).toBeUndefined();
        accepted++;
        await showing(next);
        [pressing, next] = [next, pressing];
      }
    }
    expect(refused).toMatch(PRESS_REFUSED);
    // Pressing again at once is answered again (every press is), still without an edit.
    expect(await press(user, menuId, pressing)).toMatch(PRESS_REFUSED);
    await allSent(stack);
    // Give an edit that should not exist the time to arrive through the notify queue.
    await sleep(1_000);
    expect(menu().history).toHaveLength(accepted);
    // The refusals were answers to the presses only: the chat got no notice for them (the one
    // notice there is the texts' own).
    expect(botTexts(user.id).filter((text) => text === SLOW.en).length).toBeLessThanOrEqual(1);
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
