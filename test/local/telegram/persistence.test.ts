import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStateError } from '../../../local/state-file.js';
import { startTelegramPeer, type TelegramPeer } from '../../../local/telegram/index.js';
import { tinyPng } from '../png.js';

const TOKEN = '123456:TEST-token_for-the-peer';
const BOT = { id: 123456, username: 'desk_test_bot', first_name: 'Desk' };

let dir: string;
const running: TelegramPeer[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'telegram-persistence-'));
});
afterAll(async () => {
  await Promise.all(running.map((peer) => peer.stop()));
  await rm(dir, { recursive: true, force: true });
});

async function start(stateFile: string, bot = BOT): Promise<TelegramPeer> {
  const peer = await startTelegramPeer({ token: TOKEN, bot, stateFile });
  running.push(peer);
  return peer;
}

async function api(peer: TelegramPeer, method: string, params: object) {
  const res = await fetch(`${peer.apiRoot}/bot${TOKEN}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return (await res.json()) as { ok: boolean; result?: { message_id: number }; description?: string };
}

describe('the Telegram peer across a restart', () => {
  it('keeps users, both chats, photos and counters: the bot can still write to every chat', async () => {
    const stateFile = join(dir, 'peer.json');
    const first = await start(stateFile);
    const group = first.group(-100_200, 'Desk admins');
    const user = first.user(42, { first_name: 'Mei', language_code: 'zh' });
    const before = await user.sendText('/start');
    expect((await api(first, 'sendMessage', { chat_id: 42, text: '<b>Hi</b>', parse_mode: 'HTML' })).ok).toBe(true);
    expect((await api(first, 'sendMessage', { chat_id: -100_200, text: 'New user' })).ok).toBe(true);
    const form = new FormData();
    form.append('chat_id', '42');
    form.append('photo', new Blob([tinyPng(2, 3)], { type: 'image/png' }), 'qr.png');
    const photo = await fetch(`${first.apiRoot}/bot${TOKEN}/sendPhoto`, { method: 'POST', body: form });
    expect(photo.status).toBe(200);
    const fileId = user.lastBotMessage()!.photo!.at(-1)!.file_id;
    await group.sendText(first.user(1000, { first_name: 'Admin' }), '/stats');
    const sentBefore = first.sent();
    await first.stop();

    const second = await start(stateFile);
    expect(second.sent()).toEqual(sentBefore);
    expect(second.user(42).info).toMatchObject({ first_name: 'Mei', language_code: 'zh' });
    expect(
      second
        .user(42)
        .messages()
        .map((m) => m.text ?? m.caption ?? ''),
    ).toEqual(['/start', 'Hi', '']);
    expect(
      second
        .group(-100_200, 'Desk admins')
        .messages()
        .map((m) => m.text),
    ).toEqual(['New user', '/stats']);
    expect(second.file(fileId)).toEqual(tinyPng(2, 3));
    // Not "400 chat not found": the chats are known, and message ids go on.
    const again = await api(second, 'sendMessage', { chat_id: 42, text: 'Broadcast' });
    expect(again).toMatchObject({ ok: true, result: { message_id: 4 } });
    expect((await api(second, 'sendMessage', { chat_id: -100_200, text: 'Digest' })).ok).toBe(true);
    // Update ids keep increasing, so the bot's deduplication never takes a new update for an old one.
    const after = await second.user(42).sendText('/help');
    expect(after.update_id).toBeGreaterThan(before.update_id);
  });

  it('does not give one bot the chats of another (a new token in identity.json)', async () => {
    const stateFile = join(dir, 'other-bot.json');
    const first = await start(stateFile);
    await first.user(7).sendText('/start');
    await first.stop();
    const other = await start(stateFile, { ...BOT, id: 654321 });
    expect(other.store.chats.has(7)).toBe(false);
  });

  it("keeps every bot's chats, photos and counters apart, also for a bot added only after the restart", async () => {
    const stateFile = join(dir, 'many-bots.json');
    const shop = { token: '222:shop', bot: { id: 222, username: 'shop_bot', first_name: 'Shop' } };
    const late = { token: '333:late', bot: { id: 333, username: 'late_bot', first_name: 'Late' } };
    const first = await startTelegramPeer({ token: TOKEN, bot: BOT, bots: [shop], stateFile });
    running.push(first);
    first.addBot(late);
    await first.user(42, { first_name: 'Mei' }).sendText('/start');
    await first.user(42).to('shop_bot').sendText('/shop');
    await first.user(42).to('late_bot').sendText('/late');
    const shopSent = await fetch(`${first.apiRoot}/bot${shop.token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_id: 42, text: 'Shop reply' }),
    });
    expect(shopSent.status).toBe(200);
    first.group(-300, 'Both', { bots: [BOT.id, shop.bot.id] });
    await first.stop();

    // Restarted with Desk and Shop only: Late's part waits in the file for Late.
    const second = await startTelegramPeer({ token: TOKEN, bot: BOT, bots: [shop], stateFile });
    running.push(second);
    const mei = second.user(42);
    expect(mei.info.first_name).toBe('Mei');
    expect(mei.messages().map((m) => m.text)).toEqual(['/start']);
    expect(
      mei
        .to('shop_bot')
        .messages()
        .map((m) => m.text),
    ).toEqual(['/shop', 'Shop reply']);
    expect(second.group(-300, 'Both').botIds).toEqual([BOT.id, shop.bot.id]);
    await second.stop();

    const third = await startTelegramPeer({ token: TOKEN, bot: BOT, stateFile });
    running.push(third);
    third.addBot(late);
    expect(
      third
        .user(42)
        .to('late_bot')
        .messages()
        .map((m) => m.text),
    ).toEqual(['/late']);
    // Shop is not hosted this time, and its part is not lost either.
    third.addBot(shop);
    expect(third.sent(42, { bot: 'shop_bot' }).map((m) => m.text)).toEqual(['Shop reply']);
  });

  it('restores a file saved in the single-bot format into the bot it names', async () => {
    const stateFile = join(dir, 'single-bot.json');
    const user = { id: 42, is_bot: false, first_name: 'Mei' };
    const message = {
      chatId: 42,
      message_id: 1,
      fromBot: false,
      from: user,
      date: 1_700_000_000,
      text: '/start',
      entities: [{ type: 'bot_command', offset: 0, length: 6 }],
      deleted: false,
      history: [],
      seq: 1,
    };
    await writeFile(
      stateFile,
      JSON.stringify({
        version: 1,
        botId: BOT.id,
        seq: 1,
        lastUpdateId: 500,
        users: [user],
        chats: [
          {
            chat: { id: 42, type: 'private', first_name: 'Mei' },
            known: true,
            blocked: false,
            nextMessageId: 2,
            messages: [message],
          },
        ],
        files: [],
      }),
    );
    const peer = await start(stateFile);
    expect(
      peer
        .user(42)
        .messages()
        .map((m) => m.text),
    ).toEqual(['/start']);
    expect((await api(peer, 'sendMessage', { chat_id: 42, text: 'Welcome back' })).result?.message_id).toBe(2);
    expect((await peer.user(42).sendText('/help')).update_id).toBe(501);
  });

  it('refuses to start on a damaged file, naming it', async () => {
    const stateFile = join(dir, 'damaged.json');
    await writeFile(
      stateFile,
      JSON.stringify({
        version: 1,
        botId: BOT.id,
        seq: 0,
        lastUpdateId: 1,
        users: [{ id: 'x' }],
        chats: [],
        files: [],
      }),
    );
    await expect(start(stateFile)).rejects.toThrow(LocalStateError);
    await expect(start(stateFile)).rejects.toThrow(`${stateFile} is not a valid Telegram peer state (users.0.id:`);
    await writeFile(stateFile, JSON.stringify({ version: 2, users: [], bots: [{ botId: BOT.id }] }));
    await expect(start(stateFile)).rejects.toThrow(`${stateFile} is not a valid Telegram peer state (bots.0.seq:`);
    const saved = { botId: BOT.id, seq: 0, lastUpdateId: 1, chats: [], files: [] };
    await writeFile(stateFile, JSON.stringify({ version: 2, users: [], bots: [saved, saved] }));
    await expect(start(stateFile)).rejects.toThrow(
      `${stateFile} is not a valid Telegram peer state (bots: each bot at most once)`,
    );
    await writeFile(stateFile, JSON.stringify({ version: 3, users: [], bots: [] }));
    await expect(start(stateFile)).rejects.toThrow(`${stateFile} is not a valid Telegram peer state (version:`);
  });
});
