import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Telegraf } from 'telegraf';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Descriptions,
  startTelegramPeer,
  type TelegramPeer,
  type TelegramPeerOptions,
  type TgUpdate,
} from '../../../local/telegram/index.js';
import { tinyPng } from '../png.js';

const DESK = { token: '111:desk-token', bot: { id: 111, username: 'desk_bot', first_name: 'Desk' } };
const SHOP = { token: '222:shop-token', bot: { id: 222, username: 'Shop_Bot', first_name: 'Shop' } };
const FAST_RETRY = { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 5 };

const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!();
});

/** A peer hosting Desk (the default bot) and Shop. */
async function twoBots(options: Partial<TelegramPeerOptions> = {}): Promise<TelegramPeer> {
  const peer = await startTelegramPeer({ ...DESK, bots: [SHOP], retry: FAST_RETRY, ...options });
  running.push(() => peer.stop());
  return peer;
}

interface ApiReply {
  status: number;
  body: { ok: boolean; result?: unknown; error_code?: number; description?: string };
}

async function api(peer: TelegramPeer, token: string, method: string, params: object = {}): Promise<ApiReply> {
  const res = await fetch(`${peer.apiRoot}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as ApiReply['body'] };
}

const unauthorized: ApiReply = {
  status: 401,
  body: { ok: false, error_code: 401, description: Descriptions.unauthorized },
};

/** A webhook receiver that records each update with its headers, answering with `reply`'s method call if any. */
async function webhook(reply: (update: TgUpdate) => object | undefined = () => undefined) {
  const received: Array<{ update: TgUpdate; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const update = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TgUpdate;
      received.push({ update, headers: req.headers });
      const body = reply(update);
      if (body === undefined) res.end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

describe('a peer hosting many bots', () => {
  it('answers getMe with the bot of the token used, for bots of the options and added later', async () => {
    const peer = await twoBots();
    const extra = peer.addBot({ token: '333:extra', bot: { id: 333, username: 'extra_bot', first_name: 'Extra' } });
    for (const { token, bot } of [DESK, SHOP, { token: extra.token, bot: { id: 333, username: 'extra_bot' } }]) {
      const me = await new Telegraf(token, { telegram: { apiRoot: peer.apiRoot } }).telegram.getMe();
      expect(me).toMatchObject({ id: bot.id, username: bot.username, is_bot: true });
    }
    expect(peer.bots().map((bot) => bot.id)).toEqual([111, 222, 333]);
    expect(peer.bot().id).toBe(111);
    expect(peer.bot('@shop_bot').id).toBe(222);
    expect(peer.bot(333).username).toBe('extra_bot');
    expect(peer.calls('getMe').map((call) => call.botId)).toEqual([111, 222, 333]);
    expect(peer.calls('getMe', { bot: 'shop_bot' })).toHaveLength(1);
  });

  it('refuses a second bot with a hosted token, id or username, and names the hosted bots for an unknown one', async () => {
    const peer = await twoBots();
    expect(() => peer.addBot({ token: SHOP.token, bot: { ...SHOP.bot, id: 9 } })).toThrow(/already bot 222's/);
    expect(() => peer.addBot({ token: '9:x', bot: SHOP.bot })).toThrow(/bot 222 is already hosted/);
    expect(() => peer.addBot({ token: '9:x', bot: { ...SHOP.bot, id: 9, username: 'SHOP_bot' } })).toThrow(
      /username @SHOP_bot is already bot 222's/,
    );
    expect(() => peer.addBot({ token: '', bot: { id: 9, username: 'n', first_name: 'N' } })).toThrow(/token/);
    expect(() => peer.bot('nobody_bot')).toThrow('it hosts 111 (@desk_bot), 222 (@Shop_Bot)');
    expect(() => peer.user(42).to(999)).toThrow(/hosts no bot 999/);
    expect(() => peer.revokeBot('999:unknown')).toThrow(/no hosted bot/);
  });

  it('answers 401 to every request with a revoked token, methods and downloads, while other bots go on', async () => {
    const peer = await twoBots();
    await peer.user(42).to(SHOP.bot.id).sendText('/start');
    const form = new FormData();
    form.append('chat_id', '42');
    form.append('photo', new Blob([tinyPng(2, 2)], { type: 'image/png' }), 'qr.png');
    expect((await fetch(`${peer.apiRoot}/bot${SHOP.token}/sendPhoto`, { method: 'POST', body: form })).status).toBe(
      200,
    );
    const fileId = peer.sent(42, { bot: 'shop_bot' })[0]!.photo![0]!.file_id;
    const file = (await api(peer, SHOP.token, 'getFile', { file_id: fileId })).body.result as { file_path: string };
    const download = `${peer.apiRoot}/file/bot${SHOP.token}/${file.file_path}`;
    expect((await fetch(download)).status).toBe(200);

    peer.revokeBot(SHOP.token);
    expect(peer.bot('shop_bot').revoked).toBe(true);
    expect(await api(peer, SHOP.token, 'getMe')).toEqual(unauthorized);
    expect(await api(peer, SHOP.token, 'sendMessage', { chat_id: 42, text: 'hi' })).toEqual(unauthorized);
    expect((await fetch(download)).status).toBe(401);
    expect(await api(peer, '999:never-issued', 'getMe')).toEqual(unauthorized);
    expect((await api(peer, DESK.token, 'getMe')).status).toBe(200);
    // The 401s are in the log: under the revoked bot, and without a bot for the unknown token.
    expect(peer.calls(undefined, { bot: 'shop_bot' }).map((c) => [c.method, c.error?.error_code])).toEqual([
      ['sendPhoto', undefined],
      ['getFile', undefined],
      ['getMe', 401],
      ['sendMessage', 401],
    ]);
    expect(peer.calls('getMe').map((c) => c.botId)).toEqual([222, undefined, 111]);
    // The revoked bot's chats stay.
    expect(peer.sent(42, { bot: 222 })).toHaveLength(1);
  });

  it('refuses a method a revoked bot returns in its webhook response, while users can still write to it', async () => {
    const peer = await twoBots();
    const hook = await webhook((update) => ({ method: 'sendMessage', chat_id: update.message?.chat.id, text: 'echo' }));
    await api(peer, SHOP.token, 'setWebhook', { url: hook.url });
    const shopUser = peer.user(42).to('shop_bot');
    await shopUser.sendText('before');
    await peer.idle();
    expect(shopUser.lastBotMessage()?.text).toBe('echo');

    peer.revokeBot(SHOP.token);
    await shopUser.sendText('after');
    await peer.idle();
    expect(hook.received.map((r) => r.update.message?.text)).toEqual(['before', 'after']);
    expect(shopUser.botMessages()).toHaveLength(1);
    expect(peer.calls('sendMessage', { bot: 222 }).map((c) => [c.viaWebhookResponse, c.error?.error_code])).toEqual([
      [true, undefined],
      [true, 401],
    ]);
  });

  it("keeps each bot's private chat with a user apart: same chat id, own messages and message ids", async () => {
    const peer = await twoBots();
    const mei = peer.user(42, { first_name: 'Mei' });
    await mei.sendText('/start');
    // Mei has not started Shop: Shop may not write to her yet.
    expect((await api(peer, SHOP.token, 'sendMessage', { chat_id: 42, text: 'hi' })).body.description).toBe(
      'Bad Request: chat not found',
    );
    const toShop = mei.to('shop_bot');
    expect(toShop.botId).toBe(222);
    await toShop.sendText('/start');
    await toShop.sendText('/help');
    const desk = await api(peer, DESK.token, 'sendMessage', { chat_id: 42, text: 'Desk here' });
    const shop = await api(peer, SHOP.token, 'sendMessage', { chat_id: 42, text: 'Shop here' });
    expect(desk.body.result).toMatchObject({ message_id: 2, chat: { id: 42, type: 'private', first_name: 'Mei' } });
    expect(shop.body.result).toMatchObject({ message_id: 3, from: { id: 222, is_bot: true, username: 'Shop_Bot' } });
    expect(mei.messages().map((m) => m.text)).toEqual(['/start', 'Desk here']);
    expect(toShop.messages().map((m) => m.text)).toEqual(['/start', '/help', 'Shop here']);
    expect(peer.sent(42).map((m) => m.text)).toEqual(['Desk here']);
    expect(peer.sent(42, { bot: 222 }).map((m) => m.text)).toEqual(['Shop here']);
    expect(toShop.lastBotMessage()?.text).toBe('Shop here');
    // Blocking one bot leaves the other writable.
    await toShop.block();
    expect((await api(peer, SHOP.token, 'sendMessage', { chat_id: 42, text: 'x' })).status).toBe(403);
    expect((await api(peer, DESK.token, 'sendMessage', { chat_id: 42, text: 'y' })).status).toBe(200);
    expect(mei.blocked).toBe(false);
    // A profile change is seen by every bot.
    peer.user(42, { first_name: 'Mei Li' });
    expect(toShop.messages().at(-1)?.chat.first_name).toBe('Mei Li');
  });

  it("delivers each bot's updates only to its own webhook with its own secret token", async () => {
    const peer = await twoBots();
    const deskHook = await webhook();
    const shopHook = await webhook();
    await api(peer, DESK.token, 'setWebhook', { url: deskHook.url, secret_token: 'desk-secret' });
    await api(peer, SHOP.token, 'setWebhook', { url: shopHook.url, secret_token: 'shop-secret' });
    await peer.user(42).sendText('/start');
    await peer.user(42).to('shop_bot').sendText('/shop');
    await peer.user(43).to(222).sendText('/shop too');
    await peer.idle();
    expect(deskHook.received.map((r) => r.update.message?.text)).toEqual(['/start']);
    expect(shopHook.received.map((r) => r.update.message?.text)).toEqual(['/shop', '/shop too']);
    expect(deskHook.received.map((r) => r.headers['x-telegram-bot-api-secret-token'])).toEqual(['desk-secret']);
    expect(new Set(shopHook.received.map((r) => r.headers['x-telegram-bot-api-secret-token']))).toEqual(
      new Set(['shop-secret']),
    );
    expect(peer.webhookInfo().url).toBe(deskHook.url);
    expect(peer.bot('shop_bot').webhookInfo().url).toBe(shopHook.url);
    expect(peer.bot('shop_bot').deliveries()).toHaveLength(2);
    expect(peer.deliveries()).toHaveLength(1);

    await api(peer, SHOP.token, 'deleteWebhook');
    expect((await api(peer, SHOP.token, 'getWebhookInfo')).body.result).toMatchObject({ url: '' });
    expect((await api(peer, DESK.token, 'getWebhookInfo')).body.result).toMatchObject({ url: deskHook.url });
    // Shop now polls: its update waits for getUpdates while Desk's goes to Desk's webhook.
    await peer.user(42).to('shop_bot').sendText('polled');
    const polled = await api(peer, SHOP.token, 'getUpdates');
    expect((polled.body.result as TgUpdate[]).map((u) => u.message?.text)).toEqual(['polled']);
  });

  it('keeps command menus, callback queries and files per bot', async () => {
    const peer = await twoBots();
    await api(peer, DESK.token, 'setMyCommands', { commands: [{ command: 'start', description: 'Start' }] });
    expect(peer.myCommands()).toEqual([{ command: 'start', description: 'Start' }]);
    expect(peer.bot('shop_bot').myCommands()).toEqual([]);
    expect((await api(peer, SHOP.token, 'getMyCommands')).body.result).toEqual([]);

    const mei = peer.user(42);
    await mei.sendText('/start');
    const sent = await api(peer, DESK.token, 'sendMessage', {
      chat_id: 42,
      text: 'Pick',
      reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] },
    });
    const press = await mei.pressButton((sent.body.result as { message_id: number }).message_id, 'a');
    const queryId = press.callback_query!.id;
    // Shop has no such message to press, and cannot answer Desk's query.
    await expect(mei.to('shop_bot').pressButton(2, 'a')).rejects.toThrow(/has no message 2/);
    expect((await api(peer, SHOP.token, 'answerCallbackQuery', { callback_query_id: queryId })).status).toBe(400);
    expect((await api(peer, DESK.token, 'answerCallbackQuery', { callback_query_id: queryId })).status).toBe(200);
    expect(peer.callbackQuery(queryId)?.answered).toBe(true);
    expect(peer.bot('shop_bot').callbackQuery(queryId)).toBeUndefined();

    const form = new FormData();
    form.append('chat_id', '42');
    form.append('photo', new Blob([tinyPng(3, 2)], { type: 'image/png' }), 'qr.png');
    await fetch(`${peer.apiRoot}/bot${DESK.token}/sendPhoto`, { method: 'POST', body: form });
    const fileId = mei.lastBotMessage()!.photo![0]!.file_id;
    expect(peer.file(fileId)).toEqual(tinyPng(3, 2));
    expect(peer.bot('shop_bot').file(fileId)).toBeUndefined();
    expect((await api(peer, SHOP.token, 'getFile', { file_id: fileId })).body.description).toBe(
      Descriptions.invalidFileId,
    );
    const { file_path } = (await api(peer, DESK.token, 'getFile', { file_id: fileId })).body.result as {
      file_path: string;
    };
    expect((await fetch(`${peer.apiRoot}/file/bot${SHOP.token}/${file_path}`)).status).toBe(404);
  });

  it('lets a group hold several bots: a user message reaches each member bot, each with its own view', async () => {
    const peer = await twoBots();
    const shopHook = await webhook();
    await api(peer, SHOP.token, 'setWebhook', { url: shopHook.url });
    const group = peer.group(-500, 'Both', { bots: ['desk_bot', 'shop_bot'] });
    expect(group.botIds).toEqual([111, 222]);
    expect(group.botId).toBe(111);
    const admin = peer.user(1000, { first_name: 'Admin' });
    const update = await group.sendText(admin, '/stats');
    expect(update.message?.chat).toMatchObject({ id: -500, title: 'Both' });
    await peer.waitFor(() => shopHook.received.length > 0);
    expect(shopHook.received.map((r) => r.update.message?.text)).toEqual(['/stats']);
    expect((await api(peer, DESK.token, 'getUpdates')).body.result).toHaveLength(1);

    await api(peer, SHOP.token, 'sendMessage', { chat_id: -500, text: 'Shop stats' });
    expect(
      group
        .to('shop_bot')
        .botMessages()
        .map((m) => m.text),
    ).toEqual(['Shop stats']);
    expect(group.botMessages()).toEqual([]);
    expect(
      group
        .to(222)
        .messages()
        .map((m) => m.text),
    ).toEqual(['/stats', 'Shop stats']);
    // A group of one bot only: another bot is not a member and cannot write there.
    const deskOnly = peer.group(-600, 'Desk only');
    expect(deskOnly.botIds).toEqual([111]);
    expect(() => deskOnly.to('shop_bot')).toThrow('bot 222 is not a member of group -600');
    expect((await api(peer, SHOP.token, 'sendMessage', { chat_id: -600, text: 'x' })).status).toBe(400);
    // Naming the group again without bots keeps its members; naming a bot makes it join.
    expect(peer.group(-600, 'Desk only').botIds).toEqual([111]);
    expect(peer.group(-600, 'Desk only', { bots: [222] }).botIds).toEqual([111, 222]);
  });
});
