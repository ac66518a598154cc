import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import type { SessionData } from '../../../../core/desk/bot/context.js';
import { TEST_ADMIN_CHAT_ID, TEST_ADMIN_ID, testBotOptions } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid } from '../../../helpers/turns.js';
import { textUpdate, type UserSpec } from '../../../helpers/updates.js';

const run = turnRunner(createBot(testBotOptions()));

type Turn = Awaited<ReturnType<typeof run>>;
const types = (turn: Turn) => turn.jobs.map((j) => j.job.type);
const texts = (turn: Turn) => turn.calls.map((c) => String(c.params.text ?? ''));

const admin: UserSpec = { id: TEST_ADMIN_ID, first_name: 'Ada' };
const adminChat = { id: TEST_ADMIN_CHAT_ID, type: 'supergroup', title: 'Desk admins' };
const otherGroup = { id: -100_777, type: 'group', title: 'Traders' };
const known: SessionData = { lang: 'en', joined: true };

const say = (from: UserSpec, text: string, chat?: typeof adminChat, session: SessionData = known) =>
  run(valid(textUpdate(from, text, chat ? { chat } : {})), session);

describe('/stats', () => {
  it('queues admin.stats for the admin chat, in the admin’s language, and says nothing itself', async () => {
    const turn = await say(admin, '/stats', adminChat, {});
    expect(types(turn)).toEqual(['admin.stats']);
    expect(turn.jobs[0]?.job.queue).toBe('rpc');
    expect(turn.jobs[0]).toMatchObject({ chatId: TEST_ADMIN_CHAT_ID, userId: TEST_ADMIN_ID, payload: { lang: 'en' } });
    expect(turn.calls).toEqual([]);
  });

  it('answers in Chinese an admin whose Telegram is in Chinese', async () => {
    const turn = await say({ ...admin, language_code: 'zh-hans' }, '/stats', adminChat, {});
    expect(turn.jobs[0]?.payload).toEqual({ lang: 'zh' });
  });

  it('takes /stats addressed to this bot, not to another', async () => {
    expect(types(await say(admin, '/stats@desk_bot', adminChat))).toEqual(['admin.stats']);
    expect(types(await say(admin, '/stats@other_bot', adminChat))).toEqual([]);
  });

  it('refuses a member of the admin chat who is not an admin, politely, and queues nothing', async () => {
    const turn = await say({ id: 4_242, first_name: 'Mallory' }, '/stats', adminChat);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toEqual(['Sorry, only the bot’s admins can do that.']);
  });

  it('gives an admin in another group nothing at all', async () => {
    const turn = await say(admin, '/stats', otherGroup);
    expect(turn.jobs).toEqual([]);
    expect(turn.calls).toEqual([]);
  });

  it('answers /stats in a private chat, admin or not, as any unknown text', async () => {
    const unknown = await say({ id: 4_243 }, '/nosuchcommand');
    for (const from of [admin, { id: 4_243 }]) {
      const turn = await say(from, '/stats');
      expect(types(turn)).not.toContain('admin.stats');
      expect(texts(turn)).toEqual(texts(unknown));
    }
    expect(texts(unknown)).toEqual(['I did not understand that. Send /menu to see what I can do.']);
  });
});
