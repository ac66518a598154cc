import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TELEGRAM_LIMITS, type TelegramLimits } from '../../../core/platform/settings.js';
import { LOCAL_ADMIN_CHAT_ID, startLocalStack } from '../../../local/index.js';
import {
  type AdmissionRequest,
  startTelegramPeer,
  type TelegramLimiter,
  type TelegramPeer,
  type TgUpdate,
  telegramLimits,
} from '../../../local/telegram/index.js';

const TOKEN = '123456:TEST-token_for-the-limits';
const BOT = { id: 123456, username: 'limits_test_bot', first_name: 'Limits' };

const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!();
});

/** A clock the test moves by hand. */
function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

async function limitedPeer(
  limits: TelegramLimits = TELEGRAM_LIMITS,
  burst?: number,
): Promise<{ peer: TelegramPeer; limiter: TelegramLimiter; clock: ReturnType<typeof fakeClock> }> {
  const clock = fakeClock();
  const limiter = telegramLimits(limits, { now: clock.now, ...(burst !== undefined && { privateChatBurst: burst }) });
  const peer = await startTelegramPeer({
    token: TOKEN,
    bot: BOT,
    admission: limiter,
    retry: { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 5 },
  });
  running.push(() => peer.stop());
  return { peer, limiter, clock };
}

interface ApiReply {
  status: number;
  body: { ok: boolean; error_code?: number; description?: string; parameters?: { retry_after?: number } };
}

async function api(peer: TelegramPeer, method: string, params: object): Promise<ApiReply> {
  const res = await fetch(`${peer.apiRoot}/bot${TOKEN}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as ApiReply['body'] };
}

const send = (peer: TelegramPeer, chatId: number, extra: object = {}) =>
  api(peer, 'sendMessage', { chat_id: chatId, text: 'hi', ...extra });

const tooMany = (retryAfter: number): ApiReply => ({
  status: 429,
  body: {
    ok: false,
    error_code: 429,
    description: `Too Many Requests: retry after ${retryAfter}`,
    parameters: { retry_after: retryAfter },
  },
});

/** `count` users who started the bot long ago (no updates), ids from `first`. */
function startedUsers(peer: TelegramPeer, count: number, first = 10_000): number[] {
  return Array.from({ length: count }, (_, i) => peer.user(first + i).seed({ started: true }).id);
}

async function statuses(replies: Array<Promise<ApiReply>>): Promise<number[]> {
  return (await Promise.all(replies)).map((r) => r.status);
}

const count = (values: number[], value: number): number => values.filter((v) => v === value).length;

describe('telegramLimits', () => {
  it('admits 30 messages per second per bot and answers the 31st with 429 retry after 1', async () => {
    const { peer, limiter, clock } = await limitedPeer();
    const users = startedUsers(peer, 40);
    const first = await statuses(users.slice(0, 30).map((id) => send(peer, id)));
    expect(count(first, 200)).toBe(30);

    expect(await send(peer, users[30]!)).toEqual(tooMany(1));
    clock.advance(999);
    expect(await send(peer, users[30]!)).toEqual(tooMany(1));
    clock.advance(1);
    expect((await send(peer, users[30]!)).status).toBe(200);

    expect(peer.sent()).toHaveLength(31);
    expect(limiter.stats()).toMatchObject({
      admitted: 31,
      tooManyRequests: 2,
      tooManyRequestsBy: { global: 2, privateChat: 0, group: 0, paid: 0 },
    });
  });

  it('does not count refused calls: after a burst of 429s a full second of budget is back', async () => {
    const { peer, limiter, clock } = await limitedPeer();
    const users = startedUsers(peer, 60);
    const burst = await statuses(users.map((id) => send(peer, id)));
    expect([count(burst, 200), count(burst, 429)]).toEqual([30, 30]);

    clock.advance(1_000);
    const next = await statuses(users.slice(30).map((id) => send(peer, id)));
    expect(count(next, 200)).toBe(30);
    expect(limiter.stats()).toMatchObject({ admitted: 60, tooManyRequests: 30 });
  });

  it('gives a private chat a burst of 3, then 1 message per second', async () => {
    const { peer, limiter, clock } = await limitedPeer();
    const [id] = startedUsers(peer, 1);
    for (let i = 0; i < 3; i += 1) expect((await send(peer, id!)).status).toBe(200);
    expect(await send(peer, id!)).toEqual(tooMany(1));

    clock.advance(1_000);
    expect((await send(peer, id!)).status).toBe(200);
    expect(await send(peer, id!)).toEqual(tooMany(1));

    // Idle long enough, the chat gets its whole burst back (and no more).
    clock.advance(10_000);
    for (let i = 0; i < 3; i += 1) expect((await send(peer, id!)).status).toBe(200);
    expect((await send(peer, id!)).status).toBe(429);
    expect(limiter.stats().tooManyRequestsBy).toMatchObject({ privateChat: 3, global: 0 });
    // Another chat is not held up by this one.
    const [other] = startedUsers(peer, 1, 20_000);
    expect((await send(peer, other!)).status).toBe(200);
  });

  it('answers retry_after as the whole seconds until the chat refills, with a configurable burst', async () => {
    const { peer } = await limitedPeer({ ...TELEGRAM_LIMITS, privateChatMessagesPerSecond: 0.25 }, 1);
    const [id] = startedUsers(peer, 1);
    expect((await send(peer, id!)).status).toBe(200);
    expect(await send(peer, id!)).toEqual(tooMany(4));
  });

  it('admits 20 messages per minute into a group and names the seconds until the oldest leaves the window', async () => {
    const { peer, limiter, clock } = await limitedPeer();
    const group = peer.group(-100_500, 'Desk admins');
    for (let i = 0; i < 20; i += 1) {
      expect((await send(peer, group.id)).status).toBe(200);
      clock.advance(1_000);
    }
    // 20 s after the first message: it leaves the 60-second window in 40 s.
    expect(await send(peer, group.id)).toEqual(tooMany(40));
    clock.advance(39_500);
    expect(await send(peer, group.id)).toEqual(tooMany(1));
    clock.advance(500);
    expect((await send(peer, group.id)).status).toBe(200);
    expect(await send(peer, group.id)).toEqual(tooMany(1));
    expect(limiter.stats().tooManyRequestsBy).toMatchObject({ group: 3, global: 0 });
  });

  it('counts paid broadcasts against their own 1,000/s budget, not the 30/s one, and keeps the per-chat limit', async () => {
    const { peer, limiter, clock } = await limitedPeer({ ...TELEGRAM_LIMITS, paidMessagesPerSecond: 50 });
    const users = startedUsers(peer, 80);
    const paid = await statuses(users.slice(0, 51).map((id) => send(peer, id, { allow_paid_broadcast: true })));
    expect([count(paid, 200), count(paid, 429)]).toEqual([50, 1]);
    // The free budget is untouched by paid messages.
    const free = await statuses(users.slice(50, 80).map((id) => send(peer, id)));
    expect(count(free, 200)).toBe(30);
    // A paid message still respects the private chat's bucket (3 at once; this chat's is full again).
    clock.advance(1_000);
    const oneChat: number[] = [];
    for (let i = 0; i < 4; i += 1) oneChat.push((await send(peer, users[0]!, { allow_paid_broadcast: 'true' })).status);
    expect(oneChat).toEqual([200, 200, 200, 429]);
    expect(limiter.stats()).toMatchObject({
      admitted: 50 + 30 + 3,
      paidAdmitted: 53,
      tooManyRequestsBy: { paid: 1, privateChat: 1, global: 0 },
    });
  });

  it('does not count calls that failed: blocked users and unknown chats give their budget back', async () => {
    const { peer, limiter } = await limitedPeer();
    const blocked = peer.user(7001).seed({ blocked: true });
    for (let i = 0; i < 40; i += 1) {
      expect(await send(peer, blocked.id)).toEqual({
        status: 403,
        body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
      });
    }
    const unknown = await statuses(Array.from({ length: 10 }, (_, i) => send(peer, 990_000 + i)));
    expect(unknown.every((s) => s === 400)).toBe(true);

    blocked.seed({ blocked: false });
    for (let i = 0; i < 3; i += 1) expect((await send(peer, blocked.id)).status).toBe(200);
    const users = startedUsers(peer, 27);
    expect(count(await statuses(users.map((id) => send(peer, id))), 200)).toBe(27);
    expect(limiter.stats()).toMatchObject({ admitted: 30, released: 50, tooManyRequests: 0 });
  });

  it('never limits edits, callback answers or chat actions', async () => {
    const { peer } = await limitedPeer();
    const user = peer.user(7101);
    await user.sendText('/start');
    const first = await send(peer, user.id, {
      reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] },
    });
    expect(first.status).toBe(200);
    for (let i = 0; i < 2; i += 1) expect((await send(peer, user.id)).status).toBe(200);
    expect((await send(peer, user.id)).status).toBe(429);
    for (let i = 0; i < 40; i += 1) {
      expect((await api(peer, 'editMessageText', { chat_id: user.id, message_id: 2, text: `v${i}` })).status).toBe(200);
      expect((await api(peer, 'sendChatAction', { chat_id: user.id, action: 'typing' })).status).toBe(200);
    }
    expect(peer.calls('editMessageText').every((c) => c.ok)).toBe(true);
  });

  it('applies the limits to methods run from a webhook response and records the 429 in the call log', async () => {
    const { peer } = await limitedPeer();
    const hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const update = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TgUpdate;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: 'sendMessage', chat_id: update.message!.chat.id, text: 'echo' }));
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    running.push(() => new Promise<void>((resolve) => hook.close(() => resolve())));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    expect((await api(peer, 'setWebhook', { url })).status).toBe(200);

    const user = peer.user(7201);
    for (let i = 0; i < 5; i += 1) await user.sendText(`m${i}`);
    await peer.idle();
    const replies = peer.calls('sendMessage');
    expect(replies.every((c) => c.viaWebhookResponse)).toBe(true);
    expect(replies.map((c) => c.ok)).toEqual([true, true, true, false, false]);
    expect(replies.at(-1)?.error).toEqual({
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      parameters: { retry_after: 1 },
    });
    expect(user.botMessages()).toHaveLength(3);
  });

  it("keeps each bot's limits apart: one bot flooding never causes a 429 for another", async () => {
    const clock = fakeClock();
    const limiter = telegramLimits(TELEGRAM_LIMITS, { now: clock.now });
    const shop = { token: '222:shop-token', bot: { id: 222, username: 'shop_bot', first_name: 'Shop' } };
    const peer = await startTelegramPeer({ token: TOKEN, bot: BOT, bots: [shop], admission: limiter });
    running.push(() => peer.stop());
    const users = startedUsers(peer, 60);
    for (const id of users) peer.user(id).to('shop_bot').seed({ started: true });
    const sendAs = (token: string, chatId: number) =>
      fetch(`${peer.apiRoot}/bot${token}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: chatId, text: 'hi' }),
      }).then((res) => res.status);

    // At one instant, interleaved: Desk floods 60 chats, Shop sends its own 30 (its whole per-bot budget).
    const desk: Array<Promise<number>> = [];
    const quiet: Array<Promise<number>> = [];
    users.forEach((id, i) => {
      desk.push(sendAs(TOKEN, id));
      if (i < 30) quiet.push(sendAs(shop.token, id));
    });
    const [deskStatuses, shopStatuses] = await Promise.all([Promise.all(desk), Promise.all(quiet)]);
    expect([count(deskStatuses, 200), count(deskStatuses, 429)]).toEqual([30, 30]);
    expect(count(shopStatuses, 200)).toBe(30);
    // 60 messages in one second: above one bot's 30/s, as two bots may send on Telegram.
    expect(limiter.stats()).toMatchObject({ admitted: 60, tooManyRequests: 30 });

    // The same private chat has a burst per bot; the same group 20 a minute per bot.
    clock.advance(1_000);
    const [first] = users;
    expect(await statuses([1, 2, 3, 4].map(() => api(peer, 'sendMessage', { chat_id: first, text: 'x' })))).toEqual([
      200, 200, 200, 429,
    ]);
    expect(await Promise.all([1, 2, 3].map(() => sendAs(shop.token, first!)))).toEqual([200, 200, 200]);
    const group = peer.group(-700, 'Both bots', { bots: [BOT.id, shop.bot.id] });
    const deskGroup = await Promise.all(Array.from({ length: 21 }, () => sendAs(TOKEN, group.id)));
    expect([count(deskGroup, 200), count(deskGroup, 429)]).toEqual([20, 1]);
    const shopGroup = await Promise.all(Array.from({ length: 20 }, () => sendAs(shop.token, group.id)));
    expect(count(shopGroup, 200)).toBe(20);

    // Not one 429 for the quiet bot; every one of them for the flooding bot.
    const errorsOf = (bot: number) => peer.calls('sendMessage', { bot }).filter((call) => !call.ok);
    expect(errorsOf(shop.bot.id)).toEqual([]);
    expect(errorsOf(BOT.id).map((call) => call.error?.error_code)).toEqual(Array(32).fill(429));
  });

  it('sets up 10,000 chats, a tenth of them blocked, without creating a single update', async () => {
    const { peer } = await limitedPeer();
    for (let id = 1; id <= 10_000; id += 1) peer.user(id).seed({ started: true, blocked: id % 10 === 0 });
    expect(peer.webhookInfo().pending_update_count).toBe(0);
    expect(peer.user(10).blocked).toBe(true);
    expect((await send(peer, 10)).status).toBe(403);
    expect((await send(peer, 9_999)).status).toBe(200);
    expect(() => peer.user(1).seed({ started: false, blocked: true })).toThrow(/never started/);
  });

  it('holds a place for a call still running and frees it when the call fails', () => {
    const limiter = telegramLimits({ ...TELEGRAM_LIMITS, messagesPerSecond: 1 });
    const request = (chatId: number): AdmissionRequest => ({
      token: TOKEN,
      botId: BOT.id,
      method: 'sendMessage',
      params: { chat_id: chatId, text: 'x' },
      chatId,
      chatType: 'private',
      viaWebhookResponse: false,
      now: 1_000,
    });
    const a = request(1);
    expect(limiter.admit(a)).toBeUndefined();
    expect(limiter.admit(request(2))?.errorCode).toBe(429);
    limiter.settled?.(a, false);
    const c = request(3);
    expect(limiter.admit(c)).toBeUndefined();
    limiter.settled?.(c, true);
    expect(limiter.stats()).toMatchObject({ admitted: 1, released: 1, tooManyRequests: 1 });
    limiter.reset();
    expect(limiter.stats()).toMatchObject({ admitted: 0, released: 0, tooManyRequests: 0 });
    expect(limiter.admit(request(4))).toBeUndefined();
  });

  it('keeps a busy chat limited while thousands of idle chats are swept from memory', () => {
    const limiter = telegramLimits({ ...TELEGRAM_LIMITS, messagesPerSecond: 1_000_000 });
    let now = 0;
    const sendTo = (chatId: number) => {
      const request: AdmissionRequest = {
        token: TOKEN,
        botId: BOT.id,
        method: 'sendMessage',
        params: {},
        chatId,
        chatType: 'private',
        viaWebhookResponse: false,
        now,
      };
      const denied = limiter.admit(request);
      if (denied === undefined) limiter.settled?.(request, true);
      return denied?.errorCode ?? 200;
    };
    for (let i = 0; i < 3; i += 1) expect(sendTo(1)).toBe(200);
    now += 500;
    for (let id = 2; id < 6_000; id += 1) expect(sendTo(id)).toBe(200);
    // Half a token back: still limited, even though the sweep dropped thousands of full buckets meanwhile.
    expect(sendTo(1)).toBe(429);
    now += 4_000;
    for (let id = 6_000; id < 12_000; id += 1) expect(sendTo(id)).toBe(200);
    // Chat 1 refilled by now: it gets 3 again, not more.
    expect([sendTo(1), sendTo(1), sendTo(1), sendTo(1)]).toEqual([200, 200, 200, 429]);
  });

  it('ignores non-message methods and refuses nonsensical settings', () => {
    const limiter = telegramLimits({ ...TELEGRAM_LIMITS, messagesPerSecond: 1 });
    const call = (method: string): AdmissionRequest => ({
      token: TOKEN,
      botId: BOT.id,
      method,
      params: {},
      viaWebhookResponse: false,
      now: 0,
    });
    for (let i = 0; i < 5; i += 1) expect(limiter.admit(call('answerCallbackQuery'))).toBeUndefined();
    expect(limiter.admit(call('copyMessage'))).toBeUndefined();
    expect(limiter.admit(call('forwardMessage'))?.errorCode).toBe(429);
    expect(() => telegramLimits(TELEGRAM_LIMITS, { privateChatBurst: 0 })).toThrow(/privateChatBurst/);
    expect(() => telegramLimits({ ...TELEGRAM_LIMITS, groupMessagesPerMinute: 0 })).toThrow(/groupMessagesPerMinute/);
  });

  it('is wired into the local stack by the telegramLimits option, with counters on the stack', async () => {
    const stack = await startLocalStack({
      functions: false,
      telegramLimits: { ...TELEGRAM_LIMITS, groupMessagesPerMinute: 2 },
    });
    running.push(() => stack.stop());
    const post = () =>
      fetch(`${stack.telegram.apiRoot}/bot${stack.bot.token}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: LOCAL_ADMIN_CHAT_ID, text: 'digest' }),
      }).then((res) => res.status);
    expect([await post(), await post(), await post()]).toEqual([200, 200, 429]);
    expect(stack.telegramLimits?.stats()).toMatchObject({ admitted: 2, tooManyRequests: 1 });
    expect(stack.telegramLimits?.limits.groupMessagesPerMinute).toBe(2);
  });
});
