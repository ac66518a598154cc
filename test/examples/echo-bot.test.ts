import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECHO_FUNCTIONS } from '../../examples/echo-bot/manifest.js';
import { type LocalStack, startLocalStack } from '../../local/index.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ functionWiring: ECHO_FUNCTIONS, onFunctionLog: () => undefined });
});
afterAll(() => stack?.stop());

describe('the example echo bot, on the platform alone', () => {
  it('answers, keeps its count in its session across updates, and resets it from a button', async () => {
    const user = stack.telegram.user(61_001, { first_name: 'Echo' });
    await user.sendText('/start');
    await stack.telegram.waitFor(() => user.lastBotMessage()?.text.startsWith('Hello!'));
    await user.sendText('hi there');
    await stack.telegram.waitFor(() => user.lastBotMessage()?.text === '#1: hi there');
    await user.sendText('again, <b>as typed</b>');
    await stack.telegram.waitFor(() => user.lastBotMessage()?.text === '#2: again, <b>as typed</b>');
    await user.sendText('/count');
    const count = await stack.telegram.waitFor(() =>
      user.lastBotMessage()?.text === '2 messages so far.' ? user.lastBotMessage() : undefined,
    );
    const press = await user.pressButton(count.message_id, 'echo:reset');
    await stack.telegram.waitFor(() => stack.telegram.store.callbackQueries.get(press.callback_query!.id)?.answer);
    await user.sendText('from zero');
    await stack.telegram.waitFor(() => user.lastBotMessage()?.text === '#1: from zero');
  });

  it('says so when it cannot echo a message, and keeps chats apart', async () => {
    const [a, b] = [stack.telegram.user(61_002), stack.telegram.user(61_003)];
    await a.sendText('a1');
    await b.sendText('b1');
    stack.telegram.enqueue({
      update_id: stack.telegram.store.nextUpdateId(),
      message: {
        message_id: 1,
        date: Math.floor(Date.now() / 1000),
        chat: { id: a.id, type: 'private', first_name: 'A' },
        from: a.info,
        sticker: { file_id: 'CAACAgIAAx', file_unique_id: 'u', type: 'regular', width: 512, height: 512 },
      },
    } as never);
    await stack.telegram.waitFor(() => a.lastBotMessage()?.text === 'I only repeat text.');
    await a.sendText('a2');
    await stack.telegram.waitFor(() => a.lastBotMessage()?.text === '#2: a2');
    await stack.telegram.waitFor(() => b.lastBotMessage()?.text === '#1: b1');
    expect(b.botMessages().map((m) => m.text)).toEqual(['#1: b1']);
  });

  it('runs only its own webhook and the platform notify worker', () => {
    expect(Object.keys(stack.runner!.stats().functions).sort()).toEqual(['notifyWorker', 'webhook']);
  });
});
