import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Markup, Telegraf } from 'telegraf';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Descriptions,
  startTelegramPeer,
  type TelegramPeer,
  type TelegramPeerOptions,
  type TgUpdate,
  tooManyRequests,
} from '../../../local/telegram/index.js';

const TOKEN = '123456:TEST-token_for-the-peer';
const BOT = { id: 123456, username: 'desk_test_bot', first_name: 'Desk' };
const FAST_RETRY = { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 5 };

const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!();
});

async function peerFor(options: Partial<TelegramPeerOptions> = {}): Promise<TelegramPeer> {
  const peer = await startTelegramPeer({ token: TOKEN, bot: BOT, retry: FAST_RETRY, ...options });
  running.push(() => peer.stop());
  return peer;
}

interface ApiReply {
  status: number;
  body: { ok: boolean; result?: unknown; error_code?: number; description?: string };
}

/** A raw Bot API call with fetch, for error paths telegraf would turn into exceptions. */
async function api(peer: TelegramPeer, method: string, params: object = {}, token = TOKEN): Promise<ApiReply> {
  const res = await fetch(`${peer.apiRoot}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as ApiReply['body'] };
}

const failure = (error_code: number, description: string): ApiReply => ({
  status: error_code,
  body: { ok: false, error_code, description },
});

type HookHandler = (update: TgUpdate, res: ServerResponse, req: IncomingMessage) => void | Promise<void>;

/** A webhook receiver on a free port that records what it got. */
async function webhookServer(handler: HookHandler = (_u, res) => void res.end()) {
  const received: Array<{ update: TgUpdate; headers: IncomingHttpHeaders; at: number }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const update = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TgUpdate;
      received.push({ update, headers: req.headers, at: Date.now() });
      void handler(update, res, req);
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

function telegrafFor(peer: TelegramPeer): Telegraf {
  return new Telegraf(TOKEN, { telegram: { apiRoot: peer.apiRoot } });
}

describe('TelegramPeer', () => {
  it('answers getMe with the configured bot when telegraf calls it', async () => {
    const peer = await peerFor();
    const me = await telegrafFor(peer).telegram.getMe();
    expect(me).toMatchObject({ ...BOT, is_bot: true });
    expect(peer.calls('getMe')).toHaveLength(1);
  });

  it('answers 401 Unauthorized when the token is wrong and 404 when the method is unknown', async () => {
    const peer = await peerFor();
    expect(await api(peer, 'getMe', {}, '999:other')).toEqual(failure(401, 'Unauthorized'));
    expect(await api(peer, 'sendTelepathy', {})).toEqual(failure(404, 'Not Found'));
    const res = await fetch(`${peer.apiRoot}/nothing-here`);
    expect(res.status).toBe(404);
  });

  it('matches method names case-insensitively like the Bot API', async () => {
    const peer = await peerFor();
    expect((await api(peer, 'GETME')).body.ok).toBe(true);
  });

  it('sends messages with ids increasing per chat when the users wrote first', async () => {
    const peer = await peerFor();
    const alice = peer.user(1001, { first_name: 'Alice' });
    const bob = peer.user(1002, { first_name: 'Bob' });
    await alice.sendText('/start');
    await bob.sendText('hi');
    const telegram = telegrafFor(peer).telegram;

    const a1 = await telegram.sendMessage(alice.id, 'one');
    const a2 = await telegram.sendMessage(alice.id, 'two');
    const b1 = await telegram.sendMessage(bob.id, 'three');

    // Alice's /start took id 1 in her chat, Bob's "hi" id 1 in his.
    expect([a1.message_id, a2.message_id, b1.message_id]).toEqual([2, 3, 2]);
    expect(a1.chat).toMatchObject({ id: 1001, type: 'private', first_name: 'Alice' });
    expect(peer.sent(alice.id).map((m) => m.text)).toEqual(['one', 'two']);
    expect(peer.sent().map((m) => m.text)).toEqual(['one', 'two', 'three']);
    expect(alice.messages().map((m) => m.text)).toEqual(['/start', 'one', 'two']);
  });

  it('answers 400 chat not found when the bot writes to a user who never wrote or does not exist', async () => {
    const peer = await peerFor();
    peer.user(2001);
    expect(await api(peer, 'sendMessage', { chat_id: 2001, text: 'hi' })).toEqual(
      failure(400, 'Bad Request: chat not found'),
    );
    expect(await api(peer, 'sendMessage', { chat_id: 2002, text: 'hi' })).toEqual(
      failure(400, 'Bad Request: chat not found'),
    );
    expect(await api(peer, 'sendMessage', { text: 'hi' })).toEqual(failure(400, 'Bad Request: chat_id is empty'));
    const group = peer.group(-100500, 'Admins');
    expect((await api(peer, 'sendMessage', { chat_id: group.id, text: 'hi all' })).body.ok).toBe(true);
  });

  it('rejects empty, blank and too-long text and counts length after entity parsing', async () => {
    const peer = await peerFor();
    await peer.user(3001).sendText('hi');
    const send = (params: object) => api(peer, 'sendMessage', { chat_id: 3001, ...params });

    expect(await send({})).toEqual(failure(400, 'Bad Request: message text is empty'));
    expect(await send({ text: '' })).toEqual(failure(400, 'Bad Request: message text is empty'));
    expect(await send({ text: ' \n ' })).toEqual(failure(400, 'Bad Request: message text is empty'));
    expect(await send({ text: '<b> </b>', parse_mode: 'HTML' })).toEqual(
      failure(400, 'Bad Request: message text is empty'),
    );
    expect(await send({ text: 'x'.repeat(4097) })).toEqual(failure(400, 'Bad Request: message is too long'));
    // 4,096 characters are fine even with tags around them: the limit applies after parsing.
    const ok = await send({ text: `<b>${'x'.repeat(4096)}</b>`, parse_mode: 'HTML' });
    expect(ok.body.ok).toBe(true);
    expect(peer.sent(3001).at(-1)?.entities).toEqual([{ type: 'bold', offset: 0, length: 4096 }]);
    // Emoji count as one character each.
    expect((await send({ text: '🏟'.repeat(4096) })).body.ok).toBe(true);
    expect(await send({ text: 'x', parse_mode: 'BBCode' })).toEqual(
      failure(400, 'Bad Request: unsupported parse_mode'),
    );
  });

  it("answers can't parse entities when HTML or MarkdownV2 markup is invalid", async () => {
    const peer = await peerFor();
    await peer.user(3101).sendText('hi');
    const send = (text: string, parse_mode: string) => api(peer, 'sendMessage', { chat_id: 3101, text, parse_mode });

    expect(await send('<b>bold', 'HTML')).toEqual(
      failure(400, "Bad Request: can't parse entities: Can't find end tag corresponding to start tag b"),
    );
    expect(await send('<b><i>x</b></i>', 'HTML')).toEqual(
      failure(
        400,
        'Bad Request: can\'t parse entities: Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
      ),
    );
    expect(await send('<div>x</div>', 'HTML')).toEqual(
      failure(400, 'Bad Request: can\'t parse entities: Unsupported start tag "div" at byte offset 0'),
    );
    expect(await send('Balance: 1.5 SOL', 'MarkdownV2')).toEqual(
      failure(
        400,
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
      ),
    );
    expect(peer.sent(3101)).toEqual([]);

    const ok = await send('<b>Balance</b> &lt;1&gt; <a href="https://solscan.io/tx/1">tx</a>', 'HTML');
    expect(ok.body.result).toMatchObject({
      text: 'Balance <1> tx',
      entities: [
        { type: 'bold', offset: 0, length: 7 },
        { type: 'text_link', offset: 12, length: 2, url: 'https://solscan.io/tx/1' },
      ],
    });
  });

  it('rejects inline keyboards with callback_data over 64 bytes or buttons without an action', async () => {
    const peer = await peerFor();
    await peer.user(3201).sendText('hi');
    const send = (button: object) =>
      api(peer, 'sendMessage', { chat_id: 3201, text: 'menu', reply_markup: { inline_keyboard: [[button]] } });

    expect(await send({ text: 'x', callback_data: 'é'.repeat(33) })).toEqual(
      failure(400, 'Bad Request: BUTTON_DATA_INVALID'),
    );
    expect(await send({ text: 'x', callback_data: 'd'.repeat(64) })).toMatchObject({ status: 200 });
    expect(await send({ text: 'x' })).toEqual(
      failure(
        400,
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
      ),
    );
    expect(await send({ callback_data: 'x' })).toEqual(
      failure(400, 'Bad Request: can\'t parse inline keyboard button: Can\'t find field "text"'),
    );
    expect((await send({ text: 'x', callback_data: 'a', url: 'https://t.me' })).status).toBe(400);
    expect(
      await api(peer, 'sendMessage', { chat_id: 3201, text: 'menu', reply_markup: { inline_keyboard: [{}] } }),
    ).toEqual(
      failure(400, 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'),
    );
  });

  it('accepts form-encoded and multipart bodies alike and rejects other content types with 400', async () => {
    const peer = await peerFor();
    await peer.user(3301).sendText('hi');
    const form = await fetch(`${peer.apiRoot}/bot${TOKEN}/sendMessage`, {
      method: 'POST',
      body: new URLSearchParams({
        chat_id: '3301',
        text: '<i>form</i>',
        parse_mode: 'HTML',
        reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] }),
      }),
    });
    expect(form.status).toBe(200);
    expect(peer.sent(3301).at(-1)).toMatchObject({
      text: 'form',
      reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] },
    });

    // Multipart text fields are string parameters exactly like form fields (JSON objects as JSON text).
    const multipart = new FormData();
    multipart.set('chat_id', '3301');
    multipart.set('text', '<b>multi</b>part');
    multipart.set('parse_mode', 'HTML');
    multipart.set('reply_markup', JSON.stringify({ inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] }));
    const res = await fetch(`${peer.apiRoot}/bot${TOKEN}/sendMessage`, { method: 'POST', body: multipart });
    expect(res.status).toBe(200);
    expect(peer.sent(3301).at(-1)).toMatchObject({
      text: 'multipart',
      entities: [{ type: 'bold', offset: 0, length: 5 }],
      reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] },
    });
    expect(peer.calls('sendMessage').at(-1)?.params).toEqual({
      chat_id: '3301',
      text: '<b>multi</b>part',
      parse_mode: 'HTML',
      reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] }),
    });
    // A file where text is expected is no text (files are only read as files).
    const fileAsText = new FormData();
    fileAsText.set('chat_id', '3301');
    fileAsText.set('text', new Blob(['x']), 'text.txt');
    expect(
      await (await fetch(`${peer.apiRoot}/bot${TOKEN}/sendMessage`, { method: 'POST', body: fileAsText })).json(),
    ).toEqual({ ok: false, error_code: 400, description: Descriptions.textEmpty });

    const broken = await fetch(`${peer.apiRoot}/bot${TOKEN}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=nothing-like-the-body' },
      body: 'chat_id=3301&text=x',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as ApiReply['body']).description).toBe(
      "Bad Request: can't parse multipart/form-data request body",
    );

    const plain = await fetch(`${peer.apiRoot}/bot${TOKEN}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'chat_id=3301&text=x',
    });
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as ApiReply['body']).description).toMatch(/unsupported content type "text\/plain"/);

    // JSON bodies are as before: a bad one is refused, an empty one has no parameters.
    const badJson = await fetch(`${peer.apiRoot}/bot${TOKEN}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"chat_id":',
    });
    expect(await badJson.json()).toEqual({
      ok: false,
      error_code: 400,
      description: "Bad Request: can't parse JSON object",
    });
    const empty = await fetch(`${peer.apiRoot}/bot${TOKEN}/getMe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '',
    });
    expect(empty.status).toBe(200);
    expect(peer.sent(3301)).toHaveLength(2);
  });

  it('edits a menu in place keeping its history and refuses identical or unknown edits', async () => {
    const peer = await peerFor();
    const user = peer.user(3401);
    await user.sendText('/start');
    const telegram = telegrafFor(peer).telegram;
    const menu = await telegram.sendMessage(
      user.id,
      'Menu',
      Markup.inlineKeyboard([Markup.button.callback('Balance', 'bal')]),
    );

    await telegram.editMessageText(user.id, menu.message_id, undefined, 'Balance: 2 SOL', {
      ...Markup.inlineKeyboard([Markup.button.callback('Back', 'back')]),
    });
    await telegram.editMessageReplyMarkup(user.id, menu.message_id, undefined, undefined);

    const [only] = peer.sent(user.id);
    expect(peer.sent(user.id)).toHaveLength(1);
    expect(only).toMatchObject({ message_id: menu.message_id, text: 'Balance: 2 SOL', deleted: false });
    expect(only?.reply_markup).toBeUndefined();
    expect(only?.edit_date).toBeTypeOf('number');
    expect(only?.history.map((v) => [v.text, v.reply_markup?.inline_keyboard[0]?.[0]?.callback_data])).toEqual([
      ['Menu', 'bal'],
      ['Balance: 2 SOL', 'back'],
    ]);

    expect(
      await api(peer, 'editMessageText', { chat_id: user.id, message_id: menu.message_id, text: 'Balance: 2 SOL' }),
    ).toEqual(failure(400, Descriptions.notModified));
    expect(await api(peer, 'editMessageText', { chat_id: user.id, message_id: 999, text: 'x' })).toEqual(
      failure(400, 'Bad Request: message to edit not found'),
    );
    expect(await api(peer, 'editMessageText', { chat_id: user.id, message_id: 1, text: 'x' })).toEqual(
      failure(400, "Bad Request: message can't be edited"),
    );
    expect(await api(peer, 'deleteMessage', { chat_id: user.id, message_id: menu.message_id })).toMatchObject({
      status: 200,
    });
    expect(await api(peer, 'deleteMessage', { chat_id: user.id, message_id: menu.message_id })).toEqual(
      failure(400, 'Bad Request: message to delete not found'),
    );
    expect(peer.sent(user.id)[0]?.deleted).toBe(true);
  });

  it('delivers updates to the webhook with the secret token header and validates setWebhook', async () => {
    const peer = await peerFor();
    const hook = await webhookServer();
    expect(await api(peer, 'setWebhook', { url: hook.url, secret_token: 'bad secret!' })).toEqual(
      failure(400, 'Bad Request: secret token contains unallowed characters'),
    );
    expect(await api(peer, 'setWebhook', { url: hook.url, secret_token: 'a'.repeat(257) })).toEqual(
      failure(400, 'Bad Request: secret token is too long'),
    );
    expect(await api(peer, 'setWebhook', { url: 'not a url' })).toEqual(
      failure(400, 'Bad Request: invalid webhook URL specified'),
    );
    const set = await api(peer, 'setWebhook', { url: hook.url, secret_token: 'S3cret_-x', max_connections: 500 });
    expect(set.body).toEqual({ ok: true, result: true, description: 'Webhook was set' });
    expect(peer.webhookInfo()).toMatchObject({ url: hook.url, max_connections: 100, pending_update_count: 0 });

    const sent = await peer.user(4001).sendText('hello');
    await peer.idle();

    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]?.update).toEqual(sent);
    expect(hook.received[0]?.headers['x-telegram-bot-api-secret-token']).toBe('S3cret_-x');
    expect(hook.received[0]?.headers['content-type']).toBe('application/json');
    expect(peer.deliveries()).toMatchObject([{ update_id: sent.update_id, attempt: 1, status: 200, ok: true }]);
  });

  it('redelivers the same update after a 500 until the webhook answers 2xx', async () => {
    const peer = await peerFor();
    let failuresLeft = 2;
    const hook = await webhookServer((_update, res) => {
      res.statusCode = failuresLeft-- > 0 ? 500 : 200;
      res.end();
    });
    await api(peer, 'setWebhook', { url: hook.url });

    const update = await peer.user(4101).sendText('retry me');
    await peer.idle();

    expect(hook.received.map((r) => r.update.update_id)).toEqual([
      update.update_id,
      update.update_id,
      update.update_id,
    ]);
    expect(peer.deliveries().map((d) => [d.attempt, d.status, d.ok])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ]);
    expect(peer.webhookInfo()).toMatchObject({
      pending_update_count: 0,
      last_error_message: 'Wrong response from the webhook: 500 Internal Server Error',
    });
  });

  it('gives an update up after maxAttempts and redelivers after a delivery timeout', async () => {
    const peer = await peerFor({
      retry: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 3 },
      deliveryTimeoutMs: 250,
    });
    let slowAttempts = 0;
    const hook = await webhookServer((update, res) => {
      if (update.message?.text === 'doomed') {
        res.statusCode = 502;
        res.end();
      } else if (++slowAttempts === 1) {
        // The first attempt for "slow" never answers in time.
        setTimeout(() => res.end(), 600);
      } else {
        res.end();
      }
    });
    await api(peer, 'setWebhook', { url: hook.url });
    const doomed = await peer.user(4201).sendText('doomed');
    const slow = await peer.user(4202).sendText('slow');
    await peer.idle();

    const forDoomed = peer.deliveries().filter((d) => d.update_id === doomed.update_id);
    expect(forDoomed.map((d) => [d.attempt, d.gaveUp])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    const forSlow = peer.deliveries().filter((d) => d.update_id === slow.update_id);
    expect(forSlow.map((d) => [d.ok, d.error])).toEqual([
      [false, 'Read timeout expired'],
      [true, undefined],
    ]);
    expect(peer.webhookInfo().pending_update_count).toBe(0);
  });

  it('keeps per-chat order while a slow chat does not hold up another chat', async () => {
    const peer = await peerFor();
    const events: string[] = [];
    const hook = await webhookServer(async (update, res) => {
      const text = update.message?.text ?? '';
      events.push(`start ${text}`);
      if (text === 'A1') await new Promise((resolve) => setTimeout(resolve, 250));
      events.push(`end ${text}`);
      res.end();
    });
    await api(peer, 'setWebhook', { url: hook.url });
    const chatA = peer.user(4301);
    const chatB = peer.user(4302);

    await chatA.sendText('A1');
    await chatA.sendText('A2');
    await chatB.sendText('B1');
    await peer.idle();

    // B1 finished while A1 was still being handled; A2 started only after A1 was accepted.
    expect(events.indexOf('end B1')).toBeLessThan(events.indexOf('end A1'));
    expect(events.indexOf('start A2')).toBeGreaterThan(events.indexOf('end A1'));
    expect(
      hook.received.filter((r) => r.update.message?.chat.id === chatA.id).map((r) => r.update.message?.text),
    ).toEqual(['A1', 'A2']);
  });

  it('delivers only the update types listed in allowed_updates', async () => {
    const peer = await peerFor();
    const hook = await webhookServer();
    const user = peer.user(4401);
    await user.sendText('/start');
    const menu = await telegrafFor(peer).telegram.sendMessage(
      user.id,
      'Menu',
      Markup.inlineKeyboard([Markup.button.callback('Go', 'go')]),
    );
    await api(peer, 'setWebhook', { url: hook.url, allowed_updates: ['callback_query'], drop_pending_updates: true });
    expect(peer.webhookInfo().allowed_updates).toEqual(['callback_query']);

    await user.sendText('ignored text');
    const press = await user.pressButton(menu.message_id, 'go');
    await peer.idle();

    expect(hook.received.map((r) => r.update.update_id)).toEqual([press.update_id]);
    expect(hook.received[0]?.update.callback_query).toMatchObject({
      data: 'go',
      from: { id: user.id },
      message: { message_id: menu.message_id, text: 'Menu' },
    });
  });

  it('executes a method returned in the webhook response and records it, swallowing its errors', async () => {
    const peer = await peerFor();
    const user = peer.user(4501);
    const replying = await webhookServer((update, res) => {
      res.setHeader('content-type', 'application/json');
      const chat_id = update.message?.chat.id;
      const text = update.message?.text;
      const body =
        text === 'ping'
          ? { method: 'sendMessage', chat_id, text: `echo: ${text}` }
          : text === 'who'
            ? { method: 'getMe' }
            : { method: 'sendMessage', chat_id: 999_999, text: 'to nobody' };
      res.end(JSON.stringify(body));
    });
    await api(peer, 'setWebhook', { url: replying.url });

    await user.sendText('ping');
    await peer.idle();
    expect(user.lastBotMessage()?.text).toBe('echo: ping');
    expect(peer.calls('sendMessage')).toMatchObject([
      { ok: true, viaWebhookResponse: true, params: { chat_id: user.id, text: 'echo: ping' } },
    ]);
    expect(peer.calls('sendMessage')[0]?.params).not.toHaveProperty('method');

    // A failing method is recorded, but the delivery still counts as accepted; get* methods are ignored.
    await user.sendText('fail');
    await user.sendText('who');
    await peer.idle();
    expect(peer.calls('sendMessage').at(-1)).toMatchObject({
      ok: false,
      viaWebhookResponse: true,
      error: { error_code: 400, description: 'Bad Request: chat not found' },
    });
    expect(peer.calls('getMe')).toMatchObject([{ ok: false, viaWebhookResponse: true }]);
    expect(peer.deliveries().map((d) => d.status)).toEqual([200, 200, 200]);
    expect(peer.webhookInfo().pending_update_count).toBe(0);
  });

  it('runs methods telegraf answers through the webhook response (webhookReply)', async () => {
    const peer = await peerFor();
    const bot = telegrafFor(peer);
    bot.on('message', async (ctx) => {
      await ctx.sendChatAction('typing'); // telegraf puts this one in the webhook response body
      await ctx.reply('done'); // and sends this one over HTTP
    });
    const telegrafHook = bot.webhookCallback('/hook', { secretToken: 'hook_secret' });
    const server = createServer((req, res) => void telegrafHook(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    running.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    await bot.telegram.setWebhook(url, { secret_token: 'hook_secret' });

    const user = peer.user(4502);
    await user.sendText('hello');
    await peer.waitFor(() => user.lastBotMessage());
    await peer.idle();

    expect(peer.calls('sendChatAction')).toMatchObject([
      { ok: true, viaWebhookResponse: true, params: { chat_id: user.id, action: 'typing' } },
    ]);
    expect(peer.calls('sendMessage')).toMatchObject([{ ok: true, viaWebhookResponse: false }]);
    expect(peer.deliveries()).toMatchObject([{ ok: true, status: 200 }]);
  });

  it('accepts one answer per callback query and refuses a second or late one', async () => {
    const peer = await peerFor({ callbackQueryTimeoutMs: 200 });
    const user = peer.user(4601);
    await user.sendText('/start');
    const telegram = telegrafFor(peer).telegram;
    const menu = await telegram.sendMessage(
      user.id,
      'Menu',
      Markup.inlineKeyboard([Markup.button.callback('Go', 'go')]),
    );

    const press = await user.pressButton(menu.message_id, 'go');
    const queryId = press.callback_query!.id;
    expect(press.callback_query?.chat_instance).toMatch(/^-?\d+$/);
    expect(await telegram.answerCbQuery(queryId, 'Done')).toBe(true);
    expect(peer.callbackQuery(queryId)).toMatchObject({ answered: true, answer: { text: 'Done', show_alert: false } });
    expect(await api(peer, 'answerCallbackQuery', { callback_query_id: queryId })).toEqual(
      failure(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid'),
    );

    const late = await user.pressButton(menu.message_id, 'go');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await api(peer, 'answerCallbackQuery', { callback_query_id: late.callback_query!.id })).toEqual(
      failure(400, Descriptions.queryTooOld),
    );
    await expect(user.pressButton(menu.message_id, 'nope')).rejects.toThrow(/no button with callback_data "nope"/);
  });

  it('long-polls getUpdates until an update arrives, confirms by offset and refuses while a webhook is set', async () => {
    // Admission runs synchronously right before the handler registers its long poll, so counting
    // arrivals tells the test when a poll is waiting.
    let polls = 0;
    const peer = await peerFor({ admission: { admit: ({ method }) => void (method === 'getUpdates' && polls++) } });
    const user = peer.user(4701);

    const started = Date.now();
    const poll = api(peer, 'getUpdates', { timeout: 5 });
    setTimeout(() => void user.sendText('wake up'), 100);
    const first = await poll;
    const updates = first.body.result as TgUpdate[];
    expect(updates.map((u) => u.message?.text)).toEqual(['wake up']);
    expect(Date.now() - started).toBeLessThan(2_000);

    // Not confirmed yet: returned again; confirmed by a higher offset.
    expect((await api(peer, 'getUpdates', {})).body.result).toHaveLength(1);
    const next = await api(peer, 'getUpdates', { offset: updates[0]!.update_id + 1 });
    expect(next.body.result).toEqual([]);
    expect(peer.webhookInfo().pending_update_count).toBe(0);

    // A second poller ends the first with 409.
    const older = api(peer, 'getUpdates', { timeout: 5 });
    await peer.waitFor(() => polls === 4);
    const newer = api(peer, 'getUpdates', { timeout: 5 });
    expect(await older).toEqual(failure(409, Descriptions.terminatedByOtherPoll));
    await peer.waitFor(() => polls === 5);
    const hook = await webhookServer();
    await api(peer, 'setWebhook', { url: hook.url });
    expect(await newer).toEqual(failure(409, Descriptions.webhookActive));
    expect(await api(peer, 'getUpdates', {})).toEqual(
      failure(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      ),
    );
  });

  it('answers 403 after the user blocked the bot and tells the bot with my_chat_member', async () => {
    const peer = await peerFor();
    const user = peer.user(4801);
    await user.sendText('/start');
    const telegram = telegrafFor(peer).telegram;
    await telegram.sendMessage(user.id, 'welcome');

    const blocked = await user.block();
    expect(await api(peer, 'sendMessage', { chat_id: user.id, text: 'promo' })).toEqual(
      failure(403, 'Forbidden: bot was blocked by the user'),
    );
    expect(await api(peer, 'sendChatAction', { chat_id: user.id, action: 'typing' })).toEqual(
      failure(403, 'Forbidden: bot was blocked by the user'),
    );
    const updates = (await api(peer, 'getUpdates', {})).body.result as TgUpdate[];
    expect(updates.at(-1)).toEqual(blocked);
    expect(blocked.my_chat_member).toMatchObject({
      chat: { id: user.id, type: 'private' },
      from: { id: user.id },
      old_chat_member: { status: 'member', user: { id: BOT.id, is_bot: true } },
      new_chat_member: { status: 'kicked', user: { id: BOT.id } },
    });

    // Writing again restarts the bot.
    await user.sendText('/start');
    expect(user.blocked).toBe(false);
    expect((await api(peer, 'sendMessage', { chat_id: user.id, text: 'back' })).status).toBe(200);
  });

  it('runs a telegraf bot end to end by long polling: command, menu, button, edit in place', async () => {
    const peer = await peerFor();
    const bot = telegrafFor(peer);
    bot.start((ctx) =>
      ctx.reply('<b>Menu</b>', {
        parse_mode: 'HTML',
        ...Markup.inlineKeyboard([Markup.button.callback('Balance', 'balance')]),
      }),
    );
    bot.action('balance', async (ctx) => {
      await ctx.answerCbQuery();
      await ctx.editMessageText('Balance: 1 SOL', Markup.inlineKeyboard([Markup.button.callback('Back', 'back')]));
    });
    const launched = bot.launch();
    running.push(async () => {
      bot.stop('test over');
      await launched;
    });

    const user = peer.user(4901, { first_name: 'Eve', username: 'eve' });
    await user.sendText('/start');
    const menu = await peer.waitFor(() => user.lastBotMessage());
    expect(menu).toMatchObject({ text: 'Menu', entities: [{ type: 'bold', offset: 0, length: 4 }] });

    const press = await user.pressButton(menu.message_id, 'balance');
    const edited = await peer.waitFor(() => user.lastBotMessage()?.text === 'Balance: 1 SOL' && user.lastBotMessage());
    expect(edited.message_id).toBe(menu.message_id);
    expect(edited.history.map((v) => v.text)).toEqual(['Menu']);
    await peer.waitFor(() => peer.callbackQuery(press.callback_query!.id)?.answered);
    expect(peer.calls('deleteWebhook')).toHaveLength(1);
  });

  it('simulates a group whose members write and press buttons under bot messages', async () => {
    const peer = await peerFor();
    const admins = peer.group(-100200, 'Admins');
    const carol = peer.user(5101, { first_name: 'Carol' });
    const said = await admins.sendText(carol, '/digest@desk_test_bot');
    expect(said.message).toMatchObject({
      message_id: 1,
      chat: { id: -100200, type: 'group', title: 'Admins' },
      from: { id: carol.id, first_name: 'Carol' },
      entities: [{ type: 'bot_command', offset: 0, length: 21 }],
    });
    const reply = await telegrafFor(peer).telegram.sendMessage(
      admins.id,
      'Digest',
      Markup.inlineKeyboard([Markup.button.callback('Ack', 'ack')]),
    );
    expect(reply.message_id).toBe(2);
    const press = await admins.pressButton(carol, reply.message_id, 'ack');
    expect(press.callback_query).toMatchObject({ from: { id: carol.id }, message: { chat: { id: admins.id } } });
    expect(admins.messages().map((m) => m.text)).toEqual(['/digest@desk_test_bot', 'Digest']);
    // Writing in a group does not open a private chat with the bot.
    expect((await api(peer, 'sendMessage', { chat_id: carol.id, text: 'dm' })).status).toBe(400);
  });

  it('answers 429 with retry_after when the admission policy refuses a call', async () => {
    const seen: string[] = [];
    const peer = await peerFor({
      admission: {
        admit: ({ method, chatId }) => {
          seen.push(`${method}:${chatId ?? '-'}`);
          return method === 'sendMessage' && chatId === 5001 ? tooManyRequests(3) : undefined;
        },
      },
    });
    await peer.user(5001).sendText('hi');
    expect(await api(peer, 'sendMessage', { chat_id: 5001, text: 'x' })).toEqual({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 3',
        parameters: { retry_after: 3 },
      },
    });
    expect((await api(peer, 'getMe')).status).toBe(200);
    expect(seen).toEqual(['sendMessage:5001', 'getMe:-']);
    expect(peer.sent(5001)).toEqual([]);
  });

  it('runs two peers at once on different ports', async () => {
    const one = await peerFor();
    const two = await peerFor({ bot: { id: 7, username: 'other_bot', first_name: 'Other' } });
    expect(one.apiRoot).not.toBe(two.apiRoot);
    expect((await api(two, 'getMe')).body.result).toMatchObject({ id: 7 });
    expect((await api(one, 'getMe')).body.result).toMatchObject({ id: BOT.id });
  });
});
