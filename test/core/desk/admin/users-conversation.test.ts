import { describe, expect, it } from 'vitest';
import { parseUserTarget } from '../../../../core/desk/admin/users.js';
import { createBot } from '../../../../core/desk/bot/bot.js';
import type { SessionData } from '../../../../core/desk/bot/context.js';
import { TEST_ADMIN_CHAT_ID, TEST_ADMIN_ID, testBotOptions } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid, withoutLimits } from '../../../helpers/turns.js';
import { callbackUpdate, pressIn, textUpdate, type UserSpec } from '../../../helpers/updates.js';

const SECOND_ADMIN = 901;
const runTurn = turnRunner(createBot(testBotOptions({ adminUserIds: new Set([TEST_ADMIN_ID, SECOND_ADMIN]) })));
const run = withoutLimits(runTurn);

type Turn = Awaited<ReturnType<typeof run>>;
const texts = (turn: Turn) => turn.calls.map((c) => String(c.params.text ?? ''));
const jobsOf = (turn: Turn) =>
  turn.jobs.map((j) => ({
    type: j.job.type,
    queue: j.job.queue,
    payload: j.payload,
    chatId: j.chatId,
    userId: j.userId,
  }));

const admin: UserSpec = { id: TEST_ADMIN_ID, first_name: 'Boss' };
const adminZh: UserSpec = { id: TEST_ADMIN_ID, first_name: 'Boss', language_code: 'zh-hans' };
const alice: UserSpec = { id: 501, first_name: 'Alice' };
const adminChat = { id: TEST_ADMIN_CHAT_ID, type: 'supergroup', title: 'Desk admins' };
const otherGroup = { id: -100_777, type: 'group', title: 'Traders' };
const EN: SessionData = { lang: 'en', joined: true };

const say = (from: UserSpec, text: string, chat?: typeof adminChat, session: SessionData = EN) =>
  run(valid(textUpdate(from, text, chat ? { chat } : {})), session);

/** A text update from a user with a Telegram username. */
function withUsername(from: UserSpec, username: string, text: string) {
  const update = textUpdate(from, text);
  return { ...update, message: { ...update.message, from: { ...update.message.from, username } } };
}

describe('parseUserTarget', () => {
  it.each([
    ['12345', { id: 12345 }],
    ['@alice_1', { username: 'alice_1' }],
    ['Alice_1', { username: 'Alice_1' }],
  ])('reads %s as a user', (text, target) => {
    expect(parseUserTarget(text)).toEqual(target);
  });

  it.each(['', '0', '-5', '@', '@1abc', '99999999999999999', 'a-b', '@<b>x</b>', `@${'a'.repeat(33)}`])(
    'refuses %j',
    (text) => {
      expect(parseUserTarget(text)).toBeUndefined();
    },
  );
});

describe('/user', () => {
  it('queues a lookup by id for an admin in the admin chat and answers nothing itself', async () => {
    const turn = await say(admin, '/user 501', adminChat);
    expect(turn.calls).toEqual([]);
    expect(jobsOf(turn)).toEqual([
      {
        type: 'admin.user',
        queue: 'rpc',
        payload: { target: { id: 501 }, lang: 'en' },
        chatId: TEST_ADMIN_CHAT_ID,
        userId: TEST_ADMIN_ID,
      },
    ]);
  });

  it('queues a lookup by @username in the admin’s language', async () => {
    const turn = await say(adminZh, '/user@desk_bot @Alice', adminChat, {});
    expect(jobsOf(turn)).toMatchObject([
      { type: 'admin.user', payload: { target: { username: 'Alice' }, lang: 'zh' } },
    ]);
  });

  it('explains the usage to an admin who names nobody or something that is not a user', async () => {
    for (const text of ['/user', '/user <b>x</b>', '/user 1 2']) {
      const turn = await say(admin, text, adminChat);
      expect(turn.jobs).toEqual([]);
      expect(texts(turn)).toEqual(['Send /user &lt;id or @username&gt; to look a user up.']);
    }
    const zh = await say(adminZh, '/user', adminChat, {});
    expect(texts(zh)[0]).toContain('查询用户');
  });

  it('refuses a non-admin in the admin chat politely, and gives no hint to an admin elsewhere or a user in private', async () => {
    const outsider = await say(alice, '/user 900', adminChat);
    expect(texts(outsider)).toEqual(['Sorry, only the bot’s admins can do that.']);
    expect(outsider.jobs).toEqual([]);
    const adminInGroup = await say(admin, '/user 501', otherGroup);
    expect(adminInGroup.calls).toEqual([]);
    expect(adminInGroup.jobs).toEqual([]);
    // In a private chat these commands are as unknown as any other.
    const privately = await say(admin, '/user 501');
    const user = await say(alice, '/block 900');
    const unknown = await say(alice, '/nosuchcommand');
    for (const turn of [privately, user]) {
      expect(turn.jobs).toEqual([]);
      expect(texts(turn)).toEqual(texts(unknown));
    }
    expect(texts(unknown)).toEqual(['I did not understand that. Send /menu to see what I can do.']);
  });
});

describe('/block and /unblock', () => {
  it('queue the block or unblock, naming the acting admin', async () => {
    const block = await say(admin, '/block @alice', adminChat);
    const unblock = await say(admin, '/unblock 501', adminChat);
    expect(block.calls).toEqual([]);
    expect(jobsOf(block)).toEqual([
      {
        type: 'admin.block',
        queue: 'rpc',
        payload: { target: { username: 'alice' }, block: true, lang: 'en' },
        chatId: TEST_ADMIN_CHAT_ID,
        userId: TEST_ADMIN_ID,
      },
    ]);
    expect(jobsOf(unblock)).toMatchObject([{ type: 'admin.block', payload: { target: { id: 501 }, block: false } }]);
  });

  it('refuses at once to block an admin by id, and queues nothing', async () => {
    const turn = await say(admin, `/block ${SECOND_ADMIN}`, adminChat);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toEqual([`${SECOND_ADMIN} is an admin: admins cannot be blocked.`]);
  });

  it('explains the usage to an admin, and only refuses anyone else', async () => {
    const usage = await say(admin, '/block', adminChat);
    expect(texts(usage)[0]).toContain('/block &lt;id or @username&gt;');
    expect(usage.jobs).toEqual([]);
    for (const text of ['/unblock 501', '/block 501', '/block']) {
      const outsider = await say(alice, text, adminChat);
      expect(texts(outsider)).toEqual(['Sorry, only the bot’s admins can do that.']);
      expect(outsider.jobs).toEqual([]);
    }
  });
});

describe('blockGate', () => {
  const BLOCKED: SessionData = { lang: 'en', joined: true, blocked: true };

  it('tells a blocked user once, in their language, that they are blocked, and nothing more', async () => {
    const first = await say(alice, '/withdraw 1 So11111111111111111111111111111111111111112', undefined, BLOCKED);
    expect(texts(first)).toEqual([
      '⛔ An admin has blocked your account at this desk, so I no longer answer your messages. If you think this is a mistake, contact the desk’s admins.',
    ]);
    expect(first.jobs).toEqual([]);
    expect(first.session).toEqual({ ...BLOCKED, blockNoticed: true });
    const zh = await say(alice, 'hello', undefined, { ...BLOCKED, lang: 'zh' });
    expect(texts(zh)[0]).toContain('管理员已封禁');
  });

  it('drops every later message of a blocked session silently and keeps the block', async () => {
    const told: SessionData = { ...BLOCKED, blockNoticed: true };
    for (const text of ['/start', '/balance', 'hello', '/wallets', 'So11111111111111111111111111111111111111112']) {
      const turn = await say(alice, text, undefined, told);
      expect(turn.calls).toEqual([]);
      expect(turn.jobs).toEqual([]);
      expect(turn.session).toEqual(told);
    }
  });

  it('answers a blocked user’s button press neutrally and does nothing else', async () => {
    const turn = await run(valid(callbackUpdate(alice, 'menu')), BLOCKED);
    expect(turn.calls.map((c) => [c.method, c.params.text])).toEqual([['answerCallbackQuery', 'Not available.']]);
    expect(turn.jobs).toEqual([]);
    const zh = await run(valid(callbackUpdate(alice, 'menu')), { ...BLOCKED, lang: 'zh' });
    expect(zh.calls[0]?.params.text).toBe('暂不可用。');
  });

  it('lets an unblocked session through as before', async () => {
    const turn = await say(alice, '/nosuchcommand', undefined, EN);
    expect(texts(turn)).toEqual(['I did not understand that. Send /menu to see what I can do.']);
  });

  const ADDRESS = 'So11111111111111111111111111111111111111112';
  const traders = { id: -100_888, type: 'supergroup', title: 'Traders' };
  /** A bot that also reports activity (`user.seen`), as deployed. */
  const live = withoutLimits(turnRunner(createBot(testBotOptions({ reportActivity: true }))));

  it('stops a user blocked in their private chat in a group too: commands, chain queries, buttons', async () => {
    const group = (text: string) => live(valid(textUpdate(alice, text, { chat: traders })), {}, BLOCKED);
    for (const text of [`/verify@desk_bot ${ADDRESS}`, `/balance@desk_bot ${ADDRESS}`, '/start@desk_bot', '/stats']) {
      const turn = await group(text);
      expect(turn.calls).toEqual([]);
      expect(turn.jobs).toEqual([]);
      expect(turn.session).toEqual({});
    }
    const press = await live(valid(pressIn(traders, alice, 'menu')), {}, BLOCKED);
    expect(press.calls.map((c) => [c.method, c.params.text])).toEqual([['answerCallbackQuery', 'Not available.']]);
    expect(press.jobs).toEqual([]);
  });

  it('lets the same group commands through for a user who is not blocked', async () => {
    const turn = await live(valid(textUpdate(alice, `/verify@desk_bot ${ADDRESS}`, { chat: traders })), {}, EN);
    expect(turn.jobs.map((j) => j.job.type)).toEqual(['wallet.verify']);
    const unknownUser = await live(valid(textUpdate(alice, `/verify@desk_bot ${ADDRESS}`, { chat: traders })), {});
    expect(unknownUser.jobs.map((j) => j.job.type)).toEqual(['wallet.verify']);
  });

  it('makes no user.seen and no directory job for a blocked user, even on their first update', async () => {
    for (const session of [BLOCKED, { blocked: true } as SessionData]) {
      const turn = await live(valid(textUpdate(alice, '/start')), session);
      expect(turn.jobs).toEqual([]);
      expect(turn.calls.map((c) => c.method)).toEqual(['sendMessage']);
      expect(turn.session).toEqual({ ...session, blockNoticed: true });
    }
    // The same update from a user who is not blocked reports them.
    const free = await live(valid(textUpdate(alice, '/start')), {});
    expect(free.jobs.map((j) => j.job.type)).toEqual(['user.status', 'admin.event', 'user.seen']);
  });

  it('still records a blocked user blocking the bot (my_chat_member), and nothing else', async () => {
    const turn = await live(
      valid({
        update_id: 78,
        my_chat_member: {
          chat: { id: alice.id, type: 'private', first_name: 'Alice' },
          from: { ...alice, is_bot: false },
          date: 1,
          old_chat_member: { user: { id: 4242, is_bot: true, first_name: 'desk' }, status: 'member' },
          new_chat_member: { user: { id: 4242, is_bot: true, first_name: 'desk' }, status: 'kicked' },
        },
      }),
      BLOCKED,
    );
    expect(turn.jobs.map((j) => [j.job.type, j.payload])).toEqual([['user.status', { active: false, lang: 'en' }]]);
    expect(turn.calls).toEqual([]);
  });

  it('stops a blocked member’s admin command in the admin chat before the admin gate', async () => {
    const blockedAdmin = { id: TEST_ADMIN_ID, first_name: 'Boss' };
    const turn = await live(valid(textUpdate(blockedAdmin, '/stats', { chat: adminChat })), {}, BLOCKED);
    expect(turn.jobs).toEqual([]);
    expect(turn.calls).toEqual([]);
  });
});

describe('user directory usernames', () => {
  it('sends the username with the first update, so admins can look the user up by it', async () => {
    const turn = await run(valid(withUsername(alice, 'alice_w', '/start')), undefined);
    expect(jobsOf(turn)[0]).toMatchObject({ type: 'user.status', payload: { active: true, username: 'alice_w' } });
  });

  it('leaves out a username the directory would not keep rather than failing the turn', async () => {
    const turn = await run(valid(withUsername(alice, 'x'.repeat(40), '/start')), undefined);
    expect(jobsOf(turn)[0]).toMatchObject({ type: 'user.status', payload: { active: true, lang: 'en' } });
    expect(jobsOf(turn)[0]?.payload).not.toHaveProperty('username');
  });
});
