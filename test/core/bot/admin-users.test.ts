import { describe, expect, it } from 'vitest';
import { parseUserTarget } from '../../../core/admin/users.js';
import { createBot } from '../../../core/bot/bot.js';
import type { SessionData } from '../../../core/bot/context.js';
import { TEST_ADMIN_CHAT_ID, TEST_ADMIN_ID, testBotOptions } from '../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid, withoutLimits } from '../../helpers/turns.js';
import { callbackUpdate, textUpdate, type UserSpec } from '../../helpers/updates.js';

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

  it('gives no hint to a non-admin in the admin chat, an admin elsewhere, or a user in private', async () => {
    const outsider = await say(alice, '/user 900', adminChat);
    const adminInGroup = await say(admin, '/user 501', otherGroup);
    for (const turn of [outsider, adminInGroup]) {
      expect(turn.calls).toEqual([]);
      expect(turn.jobs).toEqual([]);
    }
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
  it('queue the block or unblock, with the ids that can never be blocked', async () => {
    const block = await say(admin, '/block @alice', adminChat);
    const unblock = await say(admin, '/unblock 501', adminChat);
    expect(block.calls).toEqual([]);
    expect(jobsOf(block)).toEqual([
      {
        type: 'admin.block',
        queue: 'rpc',
        payload: { target: { username: 'alice' }, block: true, lang: 'en', admins: [TEST_ADMIN_ID, SECOND_ADMIN] },
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

  it('explains the usage to an admin, and nothing to anyone else', async () => {
    const usage = await say(admin, '/block', adminChat);
    expect(texts(usage)[0]).toContain('/block &lt;id or @username&gt;');
    expect(usage.jobs).toEqual([]);
    const outsider = await say(alice, '/unblock 501', adminChat);
    expect(outsider.calls).toEqual([]);
    expect(outsider.jobs).toEqual([]);
  });
});

describe('blockGate', () => {
  const BLOCKED: SessionData = { lang: 'en', joined: true, blocked: true };

  it('drops every message of a blocked session silently and keeps the block', async () => {
    for (const text of ['/start', '/balance', 'hello', '/wallets', 'So11111111111111111111111111111111111111112']) {
      const turn = await say(alice, text, undefined, BLOCKED);
      expect(turn.calls).toEqual([]);
      expect(turn.jobs).toEqual([]);
      expect(turn.session).toEqual(BLOCKED);
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
