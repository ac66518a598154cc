import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGE_BUCKET } from '../../core/desk/bot/limits.js';
import { type LocalStack, type LogLine, type PeerUser, startLocalStack } from '../../local/index.js';
import { allSent, unexpectedProblems } from '../helpers/stack-chat.js';

/**
 * One chat flooded on the local stack with Telegram's flood limits on (the peer answers 429 past
 * 1 msg/s in a private chat, a burst of 3): every message gets its answer or the one over-budget
 * notice, in order, and the peer never has to refuse the bot.
 */
let stack: LocalStack;
const logs: LogLine[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ telegramLimits: true, onFunctionLog: (line) => logs.push(line) });
});
afterAll(() => stack?.stop());

const UNKNOWN = 'I did not understand that. Send /menu to see what I can do.';
const SLOW =
  '⏳ That is a lot at once! Please give me about 3 seconds, then try again. I skip what you send until then.';
const isHelp = (text: string) => text.includes('Help');

/** Calls to `chatId` the peer refused with 429. */
const refused = (chatId: number) =>
  stack.telegram.calls().filter((c) => c.params.chat_id === chatId && c.error?.error_code === 429);

/** The floods in flight: one at a time, so each fits its own second, while earlier chats' answers drain. */
let flooding: Promise<unknown> = Promise.resolve();

/** Sends `texts` as fast as the user can (after any other flood); returns the span of their dates (s). */
function flood(user: PeerUser, texts: readonly string[]): Promise<number> {
  const run = flooding.then(async () => {
    const dates: number[] = [];
    for (const text of texts) dates.push((await user.sendText(text)).message!.date);
    return Math.max(...dates) - Math.min(...dates);
  });
  flooding = run.catch(() => undefined);
  return run;
}

/** Every answer the chat got, once nothing is left to send. */
async function answers(user: PeerUser): Promise<string[]> {
  await allSent(stack);
  return user.botMessages().map((m) => m.text);
}

describe('a flooded chat on the local stack, with Telegram’s limits', () => {
  // The three chats side by side: each chat's answers come at most one a second, whatever the others do.
  it.concurrent('answers each of 15 messages sent within a second, in order, with no 429', {
    timeout: 120_000,
  }, async ({ expect }) => {
    const user = stack.telegram.user(1401, { first_name: 'Quick' });
    const texts = Array.from({ length: 15 }, (_, i) => (i % 2 === 0 ? `/what ${i}` : '/help'));
    expect(await flood(user, texts)).toBeLessThanOrEqual(1);

    const got = await answers(user);
    expect(got).toHaveLength(texts.length);
    got.forEach((text, i) => {
      if (i % 2 === 0) expect(text).toBe(UNKNOWN);
      else expect(isHelp(text)).toBe(true);
    });
    expect(refused(user.id)).toEqual([]);
    // The first answer rode in the webhook response; the rest waited for the chat's slots in the queue.
    const sends = stack.telegram.calls('sendMessage').filter((c) => c.params.chat_id === user.id && c.ok);
    expect(sends[0]?.viaWebhookResponse).toBe(true);
    expect(sends.filter((c) => !c.viaWebhookResponse).length).toBeGreaterThan(0);
  });

  it.concurrent('answers a user over their budget with the 20 answers and the one notice, none lost', {
    timeout: 120_000,
  }, async ({ expect }) => {
    const user = stack.telegram.user(1402, { first_name: 'Flood' });
    const texts = Array.from({ length: MESSAGE_BUCKET.burst + 10 }, (_, i) => `/what ${i}`);
    expect(await flood(user, texts)).toBeLessThan(MESSAGE_BUCKET.refillMs / 1000);

    const got = await answers(user);
    expect(got).toEqual([...Array(MESSAGE_BUCKET.burst).fill(UNKNOWN), SLOW]);
    expect(refused(user.id)).toEqual([]);
  });

  it.concurrent('answers every press of a button burst, with no 429', { timeout: 120_000 }, async ({ expect }) => {
    const user = stack.telegram.user(1403, { first_name: 'Tap' });
    await user.sendText('/menu');
    const menu = await stack.telegram.waitFor(() => user.lastBotMessage(), 20_000);
    const presses = [];
    // Help, Language, Help…, pressed on the main menu faster than its edits come back: each press
    // changes the message, so no edit is refused as "not modified".
    for (let i = 0; i < 10; i++)
      presses.push(await user.pressButton(menu.message_id, ['menu:help', 'menu:lang'][i % 2]!));
    const ids = presses.map((update) => update.callback_query!.id);
    await allSent(stack);
    expect(ids.filter((id) => !stack.telegram.callbackQuery(id)?.answered)).toEqual([]);
    expect(refused(user.id)).toEqual([]);
    expect(user.lastBotMessage()!.history.length).toBeGreaterThan(1);
  });

  it('ran every update without an error or a warning', () => {
    const { lines, problems } = unexpectedProblems(logs);
    expect(lines).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});
