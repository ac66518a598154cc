import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCAL_ADMIN_CHAT_ID,
  LOCAL_ADMIN_USER_ID,
  type LocalBot,
  type LocalStack,
  type PeerUser,
  startLocalStack,
} from '../../local/index.js';

/**
 * A registered bot on the free plan (10 assistant questions and 1 broadcast a day) beside the
 * stage's own bot (no plan), on one local stack: the free bot reaches its quotas where they are
 * counted (the ai worker, the notify worker), its users and admin get the clear answers, its
 * operator is told once, `/usage` shows the counts, and the home bot goes on unaffected.
 */
let stack: LocalStack;
let free: LocalBot;
const OPERATOR = 7_101;
const FREE_ADMIN_CHAT = -1_002_000_000_777;

beforeAll(async () => {
  stack = await startLocalStack({
    bots: [
      {
        username: 'free_desk_bot',
        name: 'Free desk',
        operator: OPERATOR,
        plan: 'free',
        adminChatId: FREE_ADMIN_CHAT,
        adminUserIds: [OPERATOR],
        features: { payouts: false },
      },
    ],
    onFunctionLog: () => undefined,
  });
  free = stack.bots[0]!;
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

let nextUser = 61_001;
const newUser = (bot: number, profile: { language_code?: string } = {}) =>
  stack.telegram.user(nextUser++, { first_name: 'Ada', ...profile }).to(bot);

/** Sends `text` and waits for the bot's next message in the chat. */
async function ask(user: PeerUser, text: string): Promise<string> {
  const before = user.botMessages().length;
  await user.sendText(text);
  const sent = await stack.telegram.waitFor(() => user.botMessages().at(before), 60_000);
  return sent.text;
}

/** The free bot's messages to its operator (its own chat with them). */
const operatorNotices = () => stack.telegram.sent(OPERATOR, { bot: free.id });

/**
 * `/broadcast <text>` in `chat` as `admin`, confirmed with its button: resolves to the admin's
 * progress message once it settles (finished, or the plan's refusal).
 */
async function broadcast(bot: number, chat: number, admin: number, text: string) {
  const group = stack.telegram.group(chat, 'admins').to(bot);
  const from = stack.telegram.user(admin, { first_name: 'Op' });
  const inChat = () => stack.telegram.sent(chat, { bot });
  const before = inChat().length;
  await group.sendText(from, `/broadcast ${text}`);
  const confirm = await stack.telegram.waitFor(
    () =>
      inChat()
        .slice(before)
        .find((m) => m.reply_markup?.inline_keyboard.flat().some((b) => b.callback_data === 'bc:go')),
    20_000,
  );
  await group.pressButton(from, confirm.message_id, 'bc:go');
  return stack.telegram.waitFor(() => {
    const m = inChat().find((x) => x.message_id === confirm.message_id);
    return m && (m.text.startsWith('✅') || m.text.includes('reached a quota')) ? m : undefined;
  }, 60_000);
}

describe('quotas of a registered bot on the free plan (local stack)', () => {
  it('answers 10 assistant questions a day, then answers politely in the user’s language; its operator hears once', {
    timeout: 180_000,
  }, async () => {
    // The operator has a chat with their bot (Telegram lets a bot write only to users who started it).
    const operator = stack.telegram.user(OPERATOR, { first_name: 'Op', language_code: 'en' }).to(free.id);
    // Two users ask side by side (a chat takes a message a second), while the operator starts:
    // the quota counts the bot's questions, whoever asks them, and none is lost to a race.
    const [ana, bo] = [newUser(free.id), newUser(free.id)];
    const askFive = async (user: PeerUser, first: number) => {
      for (let i = first; i <= 10; i += 2) {
        expect(await ask(user, `question ${i}?`)).toBe(`Local model: you said "question ${i}?"`);
      }
    };
    await Promise.all([ask(operator, '/start'), askFive(ana, 1), askFive(bo, 2)]);
    const zh = newUser(free.id, { language_code: 'zh-hans' });
    const [refused, refusedZh] = await Promise.all([ask(ana, 'question 11?'), ask(zh, '还能问吗？')]);
    expect(refused).toMatch(/^⏳ The assistant cannot take more questions today\. Please ask again in \d+ (h|min)/);
    expect(refusedZh).toMatch(/^⏳ 助手今天无法再回答更多问题。请在 .+后再问。$/);
    const notices = await stack.telegram.waitFor(() => {
      const found = operatorNotices().filter((m) => m.text.includes('assistant questions a day'));
      return found.length > 0 ? found : undefined;
    }, 30_000);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain(
      '@free_desk_bot reached a quota of its Free plan: 10 assistant questions a day.',
    );
    expect(notices[0]!.text).toContain('Upgrade to the Starter plan ($29 a month) for 100 assistant questions a day.');
    expect(notices[0]!.text).toMatch(/[\u4e00-\u9fff]/);
  });

  it('the home bot (no plan) answers its users’ questions all along', { timeout: 60_000 }, async () => {
    const users = [newUser(stack.bot.id), newUser(stack.bot.id), newUser(stack.bot.id)];
    const answers = await Promise.all(users.map((user, i) => ask(user, `home ${i + 1}?`)));
    expect(answers).toEqual(users.map((_, i) => `Local model: you said "home ${i + 1}?"`));
  });

  it('sends 1 broadcast a day, then tells the admin the limit, when it resets and the plan that allows more; nothing is sent', {
    timeout: 180_000,
  }, async () => {
    const first = await broadcast(free.id, FREE_ADMIN_CHAT, OPERATOR, 'first news');
    expect(first.text).toMatch(/^✅ Broadcast b\d+ finished/);
    const second = await broadcast(free.id, FREE_ADMIN_CHAT, OPERATOR, 'second news');
    expect(second.text).toContain('@free_desk_bot reached a quota of its Free plan: 1 broadcasts a day.');
    expect(second.text).toMatch(/It resets at 00:00 UTC \(in \d+/);
    expect(second.text).toContain('Upgrade to the Starter plan ($29 a month) for 3 broadcasts a day.');
    await stack.telegram.idle(20_000);
    const users = [61_001, 61_002, 61_003];
    for (const id of users) {
      const got = stack.telegram.sent(id, { bot: free.id }).map((m) => m.text);
      expect(
        got.filter((t) => t === 'first news'),
        `user ${id}`,
      ).toHaveLength(1);
      expect(got).not.toContain('second news');
    }
  });

  it('the home bot broadcasts twice in a day', { timeout: 180_000 }, async () => {
    for (const text of ['home news 1', 'home news 2']) {
      const done = await broadcast(stack.bot.id, LOCAL_ADMIN_CHAT_ID, LOCAL_ADMIN_USER_ID, text);
      expect(done.text).toMatch(/^✅ Broadcast b\d+ finished/);
    }
  });

  it('holds a watch and a stored secret against the plan, and gives the watch back when removed', {
    timeout: 120_000,
  }, async () => {
    // Three users side by side: one keeps a watch, one adds a watch and removes it, one stores a secret.
    const [keeper, remover, saver] = [newUser(free.id), newUser(free.id), newUser(free.id)];
    const [kept, dropped] = [Keypair.generate().publicKey.toBase58(), Keypair.generate().publicKey.toBase58()];
    const keep = async () => {
      expect(await ask(keeper, `/watch ${kept}`)).toContain('Watching');
    };
    const addAndRemove = async () => {
      expect(await ask(remover, `/watch ${dropped}`)).toContain('Watching');
      await remover.sendText('/watches');
      const list = await stack.telegram.waitFor(
        () => remover.botMessages().find((m) => m.text.includes('Your watches') && m.reply_markup),
        20_000,
      );
      const remove = list.reply_markup!.inline_keyboard.flat().find((b) => b.text.includes(dropped.slice(0, 4)));
      await remover.pressButton(list.message_id, remove!.callback_data!);
      await stack.telegram.waitFor(
        () =>
          remover.botMessages().find((m) => m.message_id === list.message_id && m.text.includes('Stopped watching')),
        20_000,
      );
    };
    const store = async () => {
      expect(await ask(saver, '/setsecret exchange_key')).toContain('Send the value of');
      await saver.sendText('k3y-Value-0123456789abcdef');
      await stack.telegram.waitFor(() => saver.botMessages().find((m) => m.text.startsWith('🔐 Stored')), 30_000);
    };
    await Promise.all([keep(), addAndRemove(), store()]);
  });

  it('shows every metric with its real use in the operator’s /usage', { timeout: 60_000 }, async () => {
    const operator = stack.telegram.user(OPERATOR, { first_name: 'Op', language_code: 'en' }).to(free.id);
    await operator.sendText('/usage');
    const report = await stack.telegram.waitFor(
      () => operator.botMessages().find((m) => m.text.includes('Usage of @free_desk_bot')),
      30_000,
    );
    expect(report.text).toMatch(/Plan: Free/);
    expect(report.text).toMatch(/Updates this hour: \d+ \/ 300/);
    expect(report.text).toMatch(/🔴 Broadcasts today: 1 \/ 1 \(100%\)/);
    expect(report.text).toMatch(/🔴 Assistant questions today: 10 \/ 10 \(100%\)/);
    // One sealed secret: a few hundred bytes.
    expect(report.text).toMatch(/🟢 Stored data: [1-9]\d{2,3} B \/ 5 MB/);
    expect(report.text).toMatch(/🟢 Watched addresses: 1 \/ 5 \(20%\)/);
  });
});
