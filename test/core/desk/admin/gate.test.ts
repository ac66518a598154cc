import { Composer } from 'telegraf';
import { describe, expect, it } from 'vitest';
import { AdminGate } from '../../../../core/desk/admin/gate.js';
import type { BotContext } from '../../../../core/desk/bot/context.js';
import { TEST_ADMIN_CHAT_ID, TEST_ADMIN_ID } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid } from '../../../helpers/turns.js';
import { callbackUpdate, pressIn, textUpdate, type UserSpec } from '../../../helpers/updates.js';

const REFUSAL = 'Sorry, only the bot’s admins can do that.';
const admin: UserSpec = { id: TEST_ADMIN_ID, first_name: 'Ada' };
const member: UserSpec = { id: 4_242, first_name: 'Mallory' };
const adminChat = { id: TEST_ADMIN_CHAT_ID, type: 'supergroup', title: 'Desk admins' };
const otherGroup = { id: -100_777, type: 'group', title: 'Traders' };

/** A bot with one admin command and one admin button on a gate, and a catch-all behind them. */
function gated() {
  const ran: string[] = [];
  const gate = new AdminGate({ adminChatId: TEST_ADMIN_CHAT_ID, adminUserIds: new Set([TEST_ADMIN_ID]) });
  const bot = new Composer<BotContext>();
  bot.use(gate);
  // Registered after mounting: the gate still sees it.
  gate.command('secret', (ctx) => {
    ran.push(`command:${ctx.from.id}`);
  });
  gate.action(/^adm:(\d+)$/, (ctx) => {
    ran.push(`button:${ctx.match[1]}`);
    return ctx.answerCbQuery('done');
  });
  bot.use((ctx) => {
    ran.push('passed on');
    if (ctx.callbackQuery) return ctx.answerCbQuery('fallback');
  });
  return { run: turnRunner(bot), ran, gate };
}

const texts = (turn: { calls: { params: Record<string, unknown> }[] }) => turn.calls.map((c) => c.params.text);

describe('AdminGate', () => {
  it('runs an admin command and button only for an admin in the admin chat', async () => {
    const g = gated();
    await g.run(valid(textUpdate(admin, '/secret', { chat: adminChat })), {});
    const press = await g.run(valid(pressIn(adminChat, { ...admin, first_name: 'Ada' }, 'adm:7')), {});
    expect(g.ran).toEqual([`command:${TEST_ADMIN_ID}`, 'button:7']);
    expect(texts(press)).toEqual(['done']);
  });

  it('refuses a member of the admin chat who is not an admin, politely, without running anything', async () => {
    const g = gated();
    const command = await g.run(valid(textUpdate(member, '/secret', { chat: adminChat })), {});
    const press = await g.run(valid(pressIn(adminChat, { ...member, first_name: 'Mallory' }, 'adm:7')), {});
    expect(texts(command)).toEqual([REFUSAL]);
    expect(press.calls.map((c) => [c.method, c.params.text])).toEqual([['answerCallbackQuery', REFUSAL]]);
    expect(g.ran).toEqual([]);
  });

  it('passes a command on outside the admin chat, for admins too, as if it did not exist', async () => {
    const g = gated();
    for (const [from, chat] of [
      [admin, otherGroup],
      [member, otherGroup],
      [admin, undefined],
      [member, undefined],
    ] as const) {
      const turn = await g.run(valid(textUpdate(from, '/secret', chat ? { chat } : {})), {});
      expect(turn.calls).toEqual([]);
    }
    expect(g.ran).toEqual(['passed on', 'passed on', 'passed on', 'passed on']);
  });

  it('answers a forged admin button outside the admin chat as stale, admin or not', async () => {
    const g = gated();
    for (const from of [admin, member]) {
      const turn = await g.run(valid(callbackUpdate(from, 'adm:7')), {});
      expect(String(texts(turn)[0])).toContain('no longer valid');
    }
    expect(g.ran).toEqual([]);
  });

  it('knows admins by user id alone, and "here" only in the admin chat', () => {
    const { gate } = gated();
    const ctx = (from: UserSpec | undefined, chatId: number | undefined) =>
      ({ from, chat: chatId === undefined ? undefined : { id: chatId } }) as unknown as BotContext;
    expect(gate.isAdmin(ctx(admin, undefined))).toBe(true);
    expect(gate.isAdmin(ctx(member, TEST_ADMIN_CHAT_ID))).toBe(false);
    expect(gate.isAdmin(ctx(undefined, TEST_ADMIN_CHAT_ID))).toBe(false);
    expect(gate.isAdminHere(ctx(admin, TEST_ADMIN_CHAT_ID))).toBe(true);
    expect(gate.isAdminHere(ctx(admin, otherGroup.id))).toBe(false);
    expect(gate.isAdminHere(ctx(member, TEST_ADMIN_CHAT_ID))).toBe(false);
  });
});
