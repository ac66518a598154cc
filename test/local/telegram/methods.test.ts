import { Telegraf } from 'telegraf';
import { afterEach, describe, expect, it } from 'vitest';
import { startTelegramPeer, type TelegramPeer } from '../../../local/telegram/index.js';

const TOKEN = '123456:TEST-token_for-the-peer';
const BOT = { id: 123456, username: 'desk_test_bot', first_name: 'Desk' };
const GROUP = -100_42;

const running: TelegramPeer[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

async function peer(): Promise<TelegramPeer> {
  const started = await startTelegramPeer({ token: TOKEN, bot: BOT });
  started.group(GROUP, 'Admins');
  running.push(started);
  return started;
}

async function api(p: TelegramPeer, method: string, params: object) {
  const res = await fetch(`${p.apiRoot}/bot${TOKEN}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as { ok: boolean; result?: unknown; description?: string } };
}

const LIST = [
  { command: 'start', description: 'Start' },
  { command: 'help', description: 'Help' },
];

describe('the peer’s command lists (setMyCommands, getMyCommands, deleteMyCommands)', () => {
  it('keeps one list per scope and language, as telegraf sets and reads them', async () => {
    const p = await peer();
    const bot = new Telegraf(TOKEN, { telegram: { apiRoot: p.apiRoot } });
    await bot.telegram.setMyCommands(LIST, { scope: { type: 'all_private_chats' } });
    await bot.telegram.setMyCommands([{ command: 'start', description: '开始' }], {
      scope: { type: 'all_private_chats' },
      language_code: 'zh',
    });
    await bot.telegram.setMyCommands([{ command: 'stats', description: 'Stats' }], {
      scope: { type: 'chat', chat_id: GROUP },
    });
    expect(await bot.telegram.getMyCommands({ scope: { type: 'all_private_chats' } })).toEqual(LIST);
    expect(await bot.telegram.getMyCommands({ scope: { type: 'all_private_chats' }, language_code: 'zh' })).toEqual([
      { command: 'start', description: '开始' },
    ]);
    expect(await bot.telegram.getMyCommands({ scope: { type: 'chat', chat_id: GROUP } })).toEqual([
      { command: 'stats', description: 'Stats' },
    ]);
    expect(await bot.telegram.getMyCommands()).toEqual([]);
    expect(p.myCommands(`chat:${GROUP}`)).toEqual([{ command: 'stats', description: 'Stats' }]);

    await bot.telegram.deleteMyCommands({ scope: { type: 'all_private_chats' } });
    expect(p.myCommands('all_private_chats')).toEqual([]);
    expect(p.myCommands('all_private_chats', 'zh')).toHaveLength(1);
  });

  it.each([
    [{ commands: [{ command: 'Start', description: 'x' }] }, 'Bad Request: BOT_COMMAND_INVALID'],
    [{ commands: [{ command: '/start', description: 'x' }] }, 'Bad Request: BOT_COMMAND_INVALID'],
    [{ commands: [{ command: 'x'.repeat(33), description: 'x' }] }, 'Bad Request: BOT_COMMAND_INVALID'],
    [{ commands: [{ command: 'start', description: '  ' }] }, 'Bad Request: command description must be non-empty'],
    [
      { commands: [{ command: 'start', description: 'x'.repeat(257) }] },
      'Bad Request: command description is too long',
    ],
    [{ commands: [{ command: 'start' }] }, 'Bad Request: can\'t parse BotCommand: Can\'t find field "description"'],
    [
      { commands: Array.from({ length: 101 }, (_, i) => ({ command: `c${i}`, description: 'x' })) },
      'Bad Request: too many commands specified',
    ],
    [{}, 'Bad Request: parameter "commands" is required'],
    [{ commands: LIST, language_code: 'zh-hans' }, 'Bad Request: invalid language code specified'],
    [{ commands: LIST, scope: { type: 'everyone' } }, 'Bad Request: unsupported bot command scope type'],
    [{ commands: LIST, scope: { type: 'chat', chat_id: -999 } }, 'Bad Request: chat not found'],
    [{ commands: LIST, scope: 'not json' }, "Bad Request: can't parse BotCommandScope JSON object"],
  ])('refuses %j as Telegram does', async (params, description) => {
    const p = await peer();
    const reply = await api(p, 'setMyCommands', params);
    expect(reply).toEqual({ status: 400, body: { ok: false, error_code: 400, description } });
    expect(p.myCommands('default')).toEqual([]);
  });

  it('validates the scope of getMyCommands and deleteMyCommands too', async () => {
    const p = await peer();
    for (const method of ['getMyCommands', 'deleteMyCommands']) {
      const reply = await api(p, method, { scope: { type: 'chat', chat_id: -999 } });
      expect(reply.status).toBe(400);
      expect(reply.body.description).toBe('Bad Request: chat not found');
    }
  });
});
