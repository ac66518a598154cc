import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, Keypair, PublicKey } from '@solana/web3.js';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newReference, transferRequestUrl } from '../../../core/desk/deposits/claims.js';
import { LOCAL_ADMIN_CHAT_ID, type LocalStack, startLocalStack } from '../../../local/index.js';
import { startSolanaPeer } from '../../../local/solana/index.js';
import { startTelegramPeer, type TelegramPeer } from '../../../local/telegram/index.js';
import { startWebChat, type WebChat } from '../../../local/web-chat/server.js';
import { testWallets } from '../../../local/web-chat/test-wallet.js';
import { tinyPng } from '../png.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SKIPPED = `skipped: Chromium not found at ${CHROMIUM} (apt-get install chromium)`;
if (!hasChromium) console.warn(`web chat page in a browser: ${SKIPPED}`);

const silent = () => undefined;

/** The main menu's buttons, in order, in each language. */
const MENU_BUTTONS = {
  en: [
    '👛 Wallets',
    '💰 Balance',
    '📥 Deposit',
    '📤 Withdraw',
    '📒 History',
    '👁 Watches',
    '💬 Assistant',
    '🌐 Language',
    '❓ Help',
  ],
  zh: ['👛 钱包', '💰 余额', '📥 充值', '📤 提现', '📒 账单', '👁 关注', '💬 助手', '🌐 语言', '❓ 帮助'],
} as const;

/** What a menu button must answer with (a word of the screen it opens, or of the answer that follows). */
const MENU_ANSWERS = {
  en: [
    'wallets',
    '/balance',
    '/deposit',
    '/withdraw',
    'History',
    'watching',
    '/reset',
    'Choose your language',
    '/help',
  ],
  zh: ['钱包', '/balance', '/deposit', '/withdraw', '账单', '关注', '/reset', 'Choose your language', '/help'],
} as const;
const BOT_WAIT_MS = 20_000;

/** `sendPhoto` as a bot makes it: multipart, a PNG Blob, `reply_markup` as JSON text. */
async function sendPhoto(
  apiRoot: string,
  token: string,
  chatId: number,
  png: Uint8Array,
  caption: string,
  keyboard: object,
): Promise<{ ok: boolean; result?: { message_id: number; photo?: Array<{ file_id: string }> } }> {
  const form = new FormData();
  form.append('chat_id', String(chatId));
  form.append('caption', caption);
  form.append('parse_mode', 'HTML');
  form.append('reply_markup', JSON.stringify(keyboard));
  form.append('photo', new Blob([png], { type: 'image/png' }), 'qr.png');
  const res = await fetch(`${apiRoot}/bot${token}/sendPhoto`, { method: 'POST', body: form });
  return (await res.json()) as { ok: boolean; result?: { message_id: number } };
}

/** A Bot API call to the peer, as the notify worker would make it. */
async function botApi(stack: LocalStack, method: string, params: object): Promise<{ ok: boolean; result?: unknown }> {
  const res = await fetch(`${stack.telegram.apiRoot}/bot${stack.bot.token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return (await res.json()) as { ok: boolean; result?: unknown };
}

describe.skipIf(!hasChromium)(
  hasChromium ? 'web chat page in a browser' : `web chat page in a browser (${SKIPPED})`,
  () => {
    let dataDir: string;
    let stack: LocalStack;
    let chat: WebChat;
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];
    /** Where the menu walk's screenshots go: a tmp dir of this run, never committed. */
    let shots: Promise<string> | undefined;

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'web-chat-'));
      // 50-ms slots: a deposit is finalized (32 slots) in under 2 s instead of 13.
      stack = await startLocalStack({ dataDir, onFunctionLog: silent, solana: { slotMs: 50 } });
      chat = await startWebChat({
        peer: stack.telegram,
        adminChatId: LOCAL_ADMIN_CHAT_ID,
        wallets: await testWallets(stack.solana),
      });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      page = await browser.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text());
      });
      await page.goto(chat.url);
      await page.fill('#user-id', '7301');
      await page.fill('#user-name', 'Pat');
      await page.click('#who button[type=submit]');
      await page.locator('#status', { hasText: 'live · user 7301' }).waitFor();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await chat?.stop();
      await stack?.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('lets a person send /start, press a language button and see the menu edited in place', async () => {
      const userPane = page.locator('#user-pane');
      await userPane.locator('.composer input').fill('/start');
      await userPane.locator('.composer input').press('Enter');
      await userPane.locator('.msg.mine', { hasText: '/start' }).waitFor();

      const prompt = userPane.locator('.msg.bot', { hasText: 'Choose your language' });
      await prompt.waitFor({ timeout: BOT_WAIT_MS });
      expect(await prompt.locator('.keyboard button').allTextContents()).toEqual(['English', '中文']);

      await prompt.getByRole('button', { name: 'English' }).click();
      const menu = userPane.locator('.msg.bot', { hasText: 'Hello, Pat!' });
      await menu.waitFor({ timeout: BOT_WAIT_MS });
      // The HTML the bot sent is drawn from its entities: <b> became a strong element.
      expect(await menu.locator('strong').textContent()).toBe('Solana wallet desk');
      expect(await menu.locator('.meta').textContent()).toContain('edited');
      expect(await menu.locator('.keyboard button').allTextContents()).toEqual(MENU_BUTTONS.en);
      await userPane.locator('.toast', { hasText: 'Language set to English.' }).waitFor({ timeout: BOT_WAIT_MS });

      // One message, edited in place, as in the peer's own record.
      expect(await userPane.locator('.msg.bot').count()).toBe(1);
      const sent = stack.telegram.user(7301).lastBotMessage();
      expect(sent?.history.map((v) => v.text)).toEqual(['Choose your language / 选择语言']);
      expect(await menu.getAttribute('data-message-id')).toBe(String(sent?.message_id));
    });

    it('shows a formatted admin post live and delivers its button press to the bot as a callback query', async () => {
      const adminPane = page.locator('#admin-pane');
      const posted = await botApi(stack, 'sendMessage', {
        chat_id: LOCAL_ADMIN_CHAT_ID,
        parse_mode: 'HTML',
        text: '<b>Deposit</b> of <code>1 SOL</code> by &lt;img src=x onerror="window.__xss=1"&gt; <a href="https://example.com/tx">tx</a>',
        reply_markup: { inline_keyboard: [[{ text: 'Acknowledge', callback_data: 'ack:42' }]] },
      });
      expect(posted.ok).toBe(true);
      const messageId = (posted.result as { message_id: number }).message_id;

      const post = adminPane.locator(`.msg[data-message-id="${messageId}"]`);
      await post.waitFor();
      expect(await post.locator('strong').textContent()).toBe('Deposit');
      expect(await post.locator('code').textContent()).toBe('1 SOL');
      expect(await post.locator('a').getAttribute('href')).toBe('https://example.com/tx');
      expect(await post.locator('.text').textContent()).toContain('<img src=x onerror="window.__xss=1">');
      expect(await adminPane.locator('img').count()).toBe(0);

      await post.getByRole('button', { name: 'Acknowledge' }).click();
      const query = await stack.telegram.waitFor(() =>
        [...stack.telegram.store.callbackQueries.values()].find(
          (q) => q.chatId === LOCAL_ADMIN_CHAT_ID && q.messageId === messageId,
        ),
      );
      expect(query).toMatchObject({ data: 'ack:42', from: { id: 1000, first_name: 'Admin' } });
      // The bot got it: it answered that very callback query (this button is not one of its own).
      const answer = await stack.telegram.waitFor(
        () => stack.telegram.calls('answerCallbackQuery').find((c) => c.params.callback_query_id === query.id),
        BOT_WAIT_MS,
      );
      expect(answer.ok).toBe(true);
      await adminPane.locator('.toast', { hasText: 'no longer valid' }).waitFor({ timeout: BOT_WAIT_MS });
      expect(await page.evaluate(() => (globalThis as Record<string, unknown>).__xss)).toBeUndefined();
    });

    it('shows a photo the bot sent with its caption, and delivers a press on its button', async () => {
      const adminPane = page.locator('#admin-pane');
      const sent = await sendPhoto(
        stack.telegram.apiRoot,
        stack.bot.token,
        LOCAL_ADMIN_CHAT_ID,
        tinyPng(40, 30),
        'Deposit <b>QR</b>',
        { inline_keyboard: [[{ text: 'Looks right', callback_data: 'qr:ok' }]] },
      );
      expect(sent.ok).toBe(true);
      const messageId = sent.result!.message_id;

      const post = adminPane.locator(`.msg[data-message-id="${messageId}"]`);
      await post.waitFor();
      const image = post.locator('img.photo');
      await image.waitFor();
      // Loaded from the page's own server and decoded by the browser: its natural size is the PNG's.
      const loadedSize = () =>
        image.evaluate((img) => {
          const el = img as unknown as { complete: boolean; naturalWidth: number; naturalHeight: number };
          return el.complete ? [el.naturalWidth, el.naturalHeight] : undefined;
        });
      await expect.poll(loadedSize).toEqual([40, 30]);
      expect(await image.getAttribute('src')).toMatch(/^\/api\/photo\/[A-Za-z0-9_-]+$/);
      expect(await post.locator('.text').textContent()).toBe('Deposit QR');
      expect(await post.locator('strong').textContent()).toBe('QR');

      await post.getByRole('button', { name: 'Looks right' }).click();
      const query = await stack.telegram.waitFor(() =>
        [...stack.telegram.store.callbackQueries.values()].find(
          (q) => q.chatId === LOCAL_ADMIN_CHAT_ID && q.messageId === messageId,
        ),
      );
      expect(query).toMatchObject({ data: 'qr:ok', from: { id: 1000 } });
      expect(pageErrors).toEqual([]);
    });

    it("draws what a person types as text, never as markup, and shows the bot's answer to it", async () => {
      const userPane = page.locator('#user-pane');
      const typed = '<img src=x onerror="window.__xss=1"><b>not bold</b>';
      const before = await userPane.locator('.msg.bot').count();
      await userPane.locator('.composer input').fill(typed);
      await userPane.locator('.composer button').click();
      const mine = userPane.locator('.msg.mine', { hasText: typed });
      await mine.waitFor();
      expect(await mine.locator('.text').textContent()).toBe(typed);
      expect(await userPane.locator('img, b').count()).toBe(0);
      await userPane.locator('.msg.bot').nth(before).waitFor({ timeout: BOT_WAIT_MS });
      // The assistant (the local LLM peer) repeats it: shown as text, never as markup.
      expect(await userPane.locator('.msg.bot').last().locator('.text').textContent()).toBe(
        `Local model: you said "${typed}"`,
      );
      expect(await page.evaluate(() => (globalThis as Record<string, unknown>).__xss)).toBeUndefined();
      expect(pageErrors).toEqual([]);
    });

    it('lets a person deposit from a test wallet and an admin confirm it, all in the page', {
      timeout: 120_000,
    }, async () => {
      const userPane = page.locator('#user-pane');
      const adminPane = page.locator('#admin-pane');
      const say = async (text: string) => {
        await userPane.locator('.composer input').fill(text);
        await userPane.locator('.composer input').press('Enter');
      };
      await page.click('#wallet-open');
      const address = page.locator('#wallet-address');
      await expect.poll(() => address.textContent(), { timeout: BOT_WAIT_MS }).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
      const wallet = (await address.textContent())!;
      expect(await page.locator('#wallet-balance').textContent()).toBe('5 SOL');

      // Link it by sending its address (linking proves nothing: deposits go by reference).
      await say(wallet);
      await userPane.locator('.msg.bot', { hasText: 'is a wallet' }).waitFor({ timeout: BOT_WAIT_MS });

      // Ask for a deposit request, click its solana: link to put it in the wallet, and pay it.
      await say('/deposit 1');
      const request = userPane.locator('.msg.bot', { hasText: 'Pay this Solana Pay request' });
      await request.waitFor({ timeout: BOT_WAIT_MS });
      await request.locator('code', { hasText: 'solana:' }).click();
      await expect.poll(() => page.locator('#wallet-pay-url').inputValue()).toMatch(/^solana:.+reference=/);
      await page.click('#wallet-pay');
      await expect
        .poll(() => page.locator('#wallet-balance').textContent(), { timeout: BOT_WAIT_MS })
        .not.toBe('5 SOL');

      // "I've paid" until the payment is finalized and credited (1 SOL: automatically).
      const credited = userPane.locator('.msg.bot', { hasText: 'confirmed and credited' });
      await expect
        .poll(
          async () => {
            await request.getByRole('button', { name: "✅ I've paid" }).click();
            await page.waitForTimeout(1_000);
            return credited.count();
          },
          { timeout: 40_000 },
        )
        .toBeGreaterThan(0);
      // The admins see the automatic credit in their digest.
      await adminPane.locator('.msg', { hasText: 'Deposits confirmed' }).first().waitFor({ timeout: 30_000 });
      expect(pageErrors).toEqual([]);
      // The page's wallet endpoints take only what the page sends: a sane amount, a user id.
      const api = (path: string, body: unknown) =>
        fetch(new URL(path, chat.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await api('/api/deposit', { userId: 7301, sol: 10 })).status).toBe(400);
      expect((await api('/api/deposit', { userId: 7301, sol: 0 })).status).toBe(400);
      expect((await api('/api/wallet', { userId: 'x' })).status).toBe(400);
      expect((await api('/api/pay', { userId: 7301, url: 'solana:nope', sol: 1 })).status).toBe(400);
    });

    // The two walks side by side, each in its own tab as its own user (a chat takes a message a second).
    it.concurrent.for(['en', 'zh'] as const)(
      'walks the main menu (%s): every button gives a meaningful answer, in the chosen language',
      { timeout: 120_000 },
      async (lang, { expect }) => {
        const userId = lang === 'en' ? 7310 : 7311;
        const tab = await browser.newPage();
        const tabErrors: string[] = [];
        tab.on('pageerror', (error) => tabErrors.push(error.message));
        tab.on('console', (message) => {
          if (message.type() === 'error') tabErrors.push(message.text());
        });
        await tab.goto(chat.url);
        await tab.fill('#user-id', String(userId));
        await tab.fill('#user-name', 'Mo');
        await tab.click('#who button[type=submit]');
        await tab.locator('#status', { hasText: `live · user ${userId}` }).waitFor();
        const userPane = tab.locator('#user-pane');
        const bots = userPane.locator('.msg.bot');
        const say = async (text: string) => {
          await userPane.locator('.composer input').fill(text);
          await userPane.locator('.composer input').press('Enter');
        };
        await say('/start');
        const prompt = bots.filter({ hasText: 'Choose your language' }).last();
        await prompt.waitFor({ timeout: BOT_WAIT_MS });
        await prompt.getByRole('button', { name: lang === 'en' ? 'English' : '中文' }).click();
        await bots.filter({ hasText: 'Mo' }).last().waitFor({ timeout: BOT_WAIT_MS });

        // Kept after the run (the stack's data dir is removed), for a person to look at.
        shots ??= mkdtemp(join(tmpdir(), 'web-chat-menu-'));
        const shotDir = await shots;
        const buttons = MENU_BUTTONS[lang];
        for (const [index, name] of buttons.entries()) {
          // A fresh menu for each button: the last bot message, as /menu sends it.
          const before = await bots.count();
          await say('/menu');
          await expect.poll(() => bots.count(), { timeout: BOT_WAIT_MS }).toBe(before + 1);
          const menu = bots.last();
          const id = await menu.getAttribute('data-message-id');
          const menuText = (await menu.locator('.text').textContent()) ?? (await menu.textContent()) ?? '';
          expect(await menu.locator('.keyboard button').allTextContents()).toEqual([...buttons]);
          await menu.getByRole('button', { name, exact: true }).click();

          // The answer: the menu edited into a screen, or a new message (a job's answer) after it.
          const pressed = userPane.locator(`.msg.bot[data-message-id="${id}"]`);
          let answer = '';
          await expect
            .poll(
              async () => {
                const edited = (await pressed.textContent()) ?? '';
                const count = await bots.count();
                answer = count > before + 1 ? ((await bots.last().textContent()) ?? '') : edited;
                return count > before + 1 || !edited.includes(menuText.trim().slice(0, 12)) ? answer : '';
              },
              { timeout: BOT_WAIT_MS, message: `${lang} ${name}` },
            )
            .not.toBe('');
          expect(answer, name).toContain(MENU_ANSWERS[lang][index]);
          expect(answer, name).not.toMatch(/no longer valid|已失效|did not understand|没有理解/);
          await tab.screenshot({ path: join(shotDir, `menu-${lang}-${index + 1}.png`), fullPage: true });
        }
        expect(tabErrors).toEqual([]);
        await tab.close();
        console.info(`web chat menu walk (${lang}): screenshots in ${shotDir}`);
      },
    );
  },
);

/** GET `url` with another Host header (a DNS-rebinding page would send its own name). */
function statusWithHost(url: string, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web chat server', () => {
  let peer: TelegramPeer;
  let chat: WebChat;
  afterEach(async () => {
    await chat?.stop();
    await peer?.stop();
  });

  async function start(): Promise<void> {
    peer = await startTelegramPeer({ token: '1:T', bot: { id: 1, username: 'web_bot', first_name: 'Web' } });
    peer.group(-100_700, 'Admins');
    chat = await startWebChat({ peer, adminChatId: -100_700 });
  }

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(new URL(path, chat.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('serves the page under a Content-Security-Policy that allows no inline script', async () => {
    await start();
    const res = await fetch(chat.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain('<script type="module" src="/app.js">');
    expect((await fetch(new URL('/app.js', chat.url))).headers.get('content-type')).toContain('javascript');
    expect((await fetch(new URL('/nope', chat.url))).status).toBe(404);
  });

  it('sends a user message and a press to the bot as updates, and reports the state', async () => {
    await start();
    const sent = await post('/api/send', { pane: 'user', userId: 77, text: 'hello' });
    expect(sent.status).toBe(200);
    const update = (await sent.json()) as { update_id: number };
    expect(
      peer
        .user(77)
        .messages()
        .map((m) => m.text),
    ).toEqual(['hello']);
    expect(peer.webhookInfo().pending_update_count).toBe(1);
    expect(update.update_id).toBeGreaterThan(0);

    const state = await fetch(new URL('/api/state?user=77', chat.url));
    const view = (await state.json()) as { userChat: { messages: Array<{ text: string }> }; adminChat: object };
    expect(view.userChat.messages.map((m) => m.text)).toEqual(['hello']);
    expect(view.adminChat).toMatchObject({ id: -100_700, title: 'Admins' });

    const blocked = await post('/api/block', { userId: 77, blocked: true });
    expect(await blocked.json()).toEqual({ blocked: true });
    expect(peer.user(77).blocked).toBe(true);
  });

  it('refuses invalid input, presses on missing buttons, other origins, other hosts and non-JSON bodies', async () => {
    await start();
    const bad = await post('/api/send', { pane: 'user', userId: -1, text: 'x' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/userId/);
    expect((await post('/api/send', { pane: 'user', userId: 5, text: '' })).status).toBe(400);
    expect((await post('/api/send', '{"pane":')).status).toBe(400);
    expect((await post('/api/press', { pane: 'user', userId: 5, messageId: 9, data: 'x' })).status).toBe(409);
    expect(
      (await post('/api/send', { pane: 'user', userId: 5, text: 'x' }, { origin: 'https://evil.example' })).status,
    ).toBe(403);
    expect((await post('/api/send', 'pane=user', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('/api/nothing', {})).status).toBe(404);
    // Without test wallets (a real cluster), the page has none to lend.
    expect((await post('/api/wallet', { userId: 5 })).status).toBe(404);
    expect(await (await fetch(`${chat.url}api/wallets`)).json()).toEqual({ available: false });
    expect((await fetch(new URL('/api/state?user=abc', chat.url))).status).toBe(400);
    expect(await statusWithHost(chat.url, 'evil.example')).toBe(421);
    expect(peer.user(5).messages()).toEqual([]);
  });

  it('shows a photo with its caption and buttons, serving the image itself without the bot token', async () => {
    await start();
    await post('/api/send', { pane: 'user', userId: 77, text: '/deposit' });
    const png = tinyPng(16, 16);
    const keyboard = { inline_keyboard: [[{ text: 'I paid', callback_data: 'paid' }]] };
    const sent = await sendPhoto(peer.apiRoot, '1:T', 77, png, 'Scan <b>me</b>', keyboard);
    expect(sent.ok).toBe(true);
    const fileId = sent.result!.photo![0]!.file_id;

    const state = await fetch(new URL('/api/state?user=77', chat.url));
    const raw = await state.text();
    expect(raw).not.toContain('1:T');
    expect(raw).not.toContain(peer.apiRoot);
    const view = JSON.parse(raw) as { userChat: { messages: Array<Record<string, unknown>> } };
    const message = view.userChat.messages.at(-1)!;
    expect(message).toMatchObject({
      id: sent.result!.message_id,
      fromBot: true,
      text: 'Scan me',
      entities: [{ type: 'bold', offset: 5, length: 2 }],
      photo: { src: `/api/photo/${fileId}`, width: 16, height: 16 },
      keyboard: [[{ text: 'I paid', data: 'paid' }]],
    });
    expect(view.userChat.messages[0]).not.toHaveProperty('photo');

    const image = await fetch(new URL(`/api/photo/${fileId}`, chat.url));
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(Buffer.from(await image.arrayBuffer()).equals(png)).toBe(true);
    expect((await fetch(new URL('/api/photo/AgACunknown', chat.url))).status).toBe(404);
    expect((await fetch(new URL('/api/photo/..%2F..%2Fetc', chat.url))).status).toBe(404);

    const pressed = await post('/api/press', {
      pane: 'user',
      userId: 77,
      messageId: sent.result!.message_id,
      data: 'paid',
    });
    expect(pressed.status).toBe(200);
    const { callback_query_id } = (await pressed.json()) as { callback_query_id: string };
    expect(peer.callbackQuery(callback_query_id)).toMatchObject({ messageId: sent.result!.message_id, data: 'paid' });
  });

  it('streams the view again when the chat changes', async () => {
    await start();
    const controller = new AbortController();
    const res = await fetch(new URL('/api/events?user=88&name=Ann', chat.url), { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    const readUntil = async (needle: string) => {
      while (!seen.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        seen += decoder.decode(value);
      }
    };
    await readUntil('"first_name":"Ann"');
    await post('/api/send', { pane: 'admin', userId: 88, text: 'admins, look' });
    await readUntil('admins, look');
    controller.abort();
    expect(peer.group(-100_700, 'Admins').messages()).toMatchObject([{ text: 'admins, look', from: { id: 1000 } }]);
  });
});

const SHOP = { token: '2:S', bot: { id: 2, username: 'shop_bot', first_name: 'Shop' } };

describe("web chat with the peer's bots", () => {
  let peer: TelegramPeer;
  let chat: WebChat;
  afterEach(async () => {
    await chat?.stop();
    await peer?.stop();
  });

  async function start(): Promise<void> {
    peer = await startTelegramPeer({ token: '1:T', bot: { id: 1, username: 'web_bot', first_name: 'Web' } });
    peer.addBot(SHOP);
    peer.group(-100_700, 'Admins');
    chat = await startWebChat({ peer, adminChatId: -100_700 });
  }

  const post = (path: string, body: unknown) =>
    fetch(new URL(path, chat.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const state = async (query: string) => {
    const res = await fetch(new URL(`/api/state?${query}`, chat.url));
    return {
      status: res.status,
      view: (await res.json()) as {
        bot: { id: number };
        bots: Array<{ id: number; username: string }>;
        userChat: { messages: Array<{ text: string }>; blocked: boolean };
        adminChat?: { id: number };
        error?: string;
      },
    };
  };

  it('talks to the chosen bot: its own conversation, admin pane only where it is a member, default without a choice', async () => {
    await start();
    expect((await post('/api/send', { pane: 'user', userId: 77, botId: 2, text: 'hi shop' })).status).toBe(200);
    expect((await post('/api/send', { pane: 'user', userId: 77, text: 'hi web' })).status).toBe(200);
    expect(
      peer
        .user(77)
        .to('shop_bot')
        .messages()
        .map((m) => m.text),
    ).toEqual(['hi shop']);
    expect(peer.bot('shop_bot').webhookInfo().pending_update_count).toBe(1);

    const shop = await state('user=77&bot=2');
    expect(shop.view.bot.id).toBe(2);
    expect(shop.view.bots.map((b) => [b.id, b.username])).toEqual([
      [1, 'web_bot'],
      [2, 'shop_bot'],
    ]);
    expect(shop.view.userChat.messages.map((m) => m.text)).toEqual(['hi shop']);
    expect(shop.view.adminChat).toBeUndefined();
    const web = await state('user=77');
    expect(web.view.bot.id).toBe(1);
    expect(web.view.userChat.messages.map((m) => m.text)).toEqual(['hi web']);
    expect(web.view.adminChat).toMatchObject({ id: -100_700 });

    // Shop is not in the admin group: nothing to write there as Shop.
    expect((await post('/api/send', { pane: 'admin', userId: 77, botId: 2, text: 'x' })).status).toBe(404);
    // Blocking Shop leaves the chat with Web open.
    expect(await (await post('/api/block', { userId: 77, botId: 2, blocked: true })).json()).toEqual({ blocked: true });
    expect(peer.user(77).to(2).blocked).toBe(true);
    expect(peer.user(77).blocked).toBe(false);
    expect((await state('user=77&bot=2')).view.userChat.blocked).toBe(true);
  });

  it("presses the chosen bot's buttons, shows its photos and refuses a bot the peer does not host", async () => {
    await start();
    await post('/api/send', { pane: 'user', userId: 77, botId: 2, text: '/deposit' });
    const keyboard = { inline_keyboard: [[{ text: 'Paid', callback_data: 'paid' }]] };
    const sent = await sendPhoto(peer.apiRoot, SHOP.token, 77, tinyPng(4, 4), 'Scan', keyboard);
    const messageId = sent.result!.message_id;
    expect((await post('/api/press', { pane: 'user', userId: 77, messageId, data: 'paid' })).status).toBe(409);
    const pressed = await post('/api/press', { pane: 'user', userId: 77, botId: 2, messageId, data: 'paid' });
    expect(pressed.status).toBe(200);
    const { callback_query_id } = (await pressed.json()) as { callback_query_id: string };
    expect(peer.bot(2).callbackQuery(callback_query_id)?.data).toBe('paid');
    const photo = await fetch(new URL(`/api/photo/${sent.result!.photo!.at(-1)!.file_id}`, chat.url));
    expect(photo.status).toBe(200);
    expect(Buffer.from(await photo.arrayBuffer())).toEqual(tinyPng(4, 4));

    const unknown = await state('user=77&bot=999');
    expect([unknown.status, unknown.view.error]).toEqual([404, 'No bot 999 on this peer']);
    expect((await state('user=77&bot=abc')).status).toBe(404);
    expect((await post('/api/send', { pane: 'user', userId: 77, botId: 999, text: 'x' })).status).toBe(404);
    expect((await post('/api/send', { pane: 'user', userId: 77, botId: -2, text: 'x' })).status).toBe(400);
  });
});

describe.skipIf(!hasChromium)(
  hasChromium ? 'web chat bot selector in a browser' : `web chat bot selector in a browser (${SKIPPED})`,
  () => {
    it("switches the conversation shown to the chosen bot's, and writes to that bot", async () => {
      const peer = await startTelegramPeer({ token: '1:T', bot: { id: 1, username: 'web_bot', first_name: 'Web' } });
      const chat = await startWebChat({ peer });
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        await page.goto(chat.url);
        await page.fill('#user-id', '7401');
        await page.fill('#user-name', 'Lin');
        await page.click('#who button[type=submit]');
        await page.locator('#status', { hasText: 'live · user 7401' }).waitFor();
        // One bot: no selector.
        expect(await page.locator('#bot-choice').isHidden()).toBe(true);

        peer.addBot(SHOP);
        await page.locator('#bot-choice').waitFor({ state: 'visible' });
        expect(await page.locator('#bot option').allTextContents()).toEqual(['Web (@web_bot)', 'Shop (@shop_bot)']);
        const input = page.locator('#user-pane .composer input');
        await input.fill('to web');
        await input.press('Enter');
        await page.locator('#user-pane .msg.mine', { hasText: 'to web' }).waitFor();

        await page.selectOption('#bot', '2');
        await page.locator('#bot-name', { hasText: 'Shop (@shop_bot)' }).waitFor();
        await page.locator('#user-pane .msg', { hasText: 'to web' }).waitFor({ state: 'detached' });
        await input.fill('to shop');
        await input.press('Enter');
        await page.locator('#user-pane .msg.mine', { hasText: 'to shop' }).waitFor();
        const reply = await fetch(`${peer.apiRoot}/bot${SHOP.token}/sendMessage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chat_id: 7401, text: 'Shop answers' }),
        });
        expect(reply.status).toBe(200);
        await page.locator('#user-pane .msg.bot', { hasText: 'Shop answers' }).waitFor();
        expect(
          peer
            .user(7401)
            .to('shop_bot')
            .messages()
            .map((m) => m.text),
        ).toEqual(['to shop', 'Shop answers']);
        expect(
          peer
            .user(7401)
            .messages()
            .map((m) => m.text),
        ).toEqual(['to web']);

        await page.selectOption('#bot', '1');
        await page.locator('#user-pane .msg.mine', { hasText: 'to web' }).waitFor();
        expect(await page.locator('#user-pane .msg').count()).toBe(1);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
        await chat.stop();
        await peer.stop();
      }
    }, 60_000);
  },
);

describe('web chat test wallet', () => {
  it('pays a Solana Pay request with the reference as a read-only non-signer key, findable by it once finalized', async () => {
    const treasury = Keypair.generate().publicKey.toBase58();
    const solana = await startSolanaPeer({ slotMs: 20, treasury: { address: treasury, lamports: 1_000_000_000n } });
    const peer = await startTelegramPeer({ token: '1:T', bot: { id: 1, username: 'web_bot', first_name: 'Web' } });
    peer.group(-100_700, 'Admins');
    const chat = await startWebChat({ peer, adminChatId: -100_700, wallets: await testWallets(solana) });
    try {
      const reference = newReference();
      const url = transferRequestUrl({ recipient: treasury, reference, lamports: 250_000_000n, label: 'Desk' });
      const pay = (body: unknown) =>
        fetch(new URL('/api/pay', chat.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await pay({ userId: 9, url: 'solana:nope', sol: 1 })).status).toBe(400);
      const paid = await pay({ userId: 9, url, sol: 1 });
      expect(paid.status).toBe(200);
      const { signature, lamports } = (await paid.json()) as { signature: string; lamports: string };
      expect(lamports).toBe('250000000');
      const rpc = new Connection(solana.urls[0]!, 'confirmed');
      // Found by its reference once confirmed (a slot later), and at finalized once 32 slots have passed.
      const foundAt = async (commitment: 'confirmed' | 'finalized') => {
        let found: string[] = [];
        for (let i = 0; i < 200 && found.length === 0; i++) {
          found = (await rpc.getSignaturesForAddress(new PublicKey(reference), {}, commitment)).map((s) => s.signature);
          if (found.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return found;
      };
      expect(await foundAt('confirmed')).toEqual([signature]);
      const finalized = await foundAt('finalized');
      expect(finalized).toEqual([signature]);
      const tx = await rpc.getTransaction(signature, { commitment: 'finalized', maxSupportedTransactionVersion: 0 });
      const keys = tx!.transaction.message.getAccountKeys().staticAccountKeys.map((k) => k.toBase58());
      const index = keys.indexOf(reference);
      expect(index).toBeGreaterThan(0);
      expect(tx!.transaction.message.isAccountSigner(index)).toBe(false);
      expect(tx!.transaction.message.isAccountWritable(index)).toBe(false);
      const t = keys.indexOf(treasury);
      expect(BigInt(tx!.meta!.postBalances[t]!) - BigInt(tx!.meta!.preBalances[t]!)).toBe(250_000_000n);
      expect(tx!.meta!.err).toBeNull();
    } finally {
      await chat.stop();
      await peer.stop();
      await solana.stop();
    }
  });
});
