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
  });
});
