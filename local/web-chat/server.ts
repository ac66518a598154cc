/**
 * The web chat page of `npm run dev`: a person talks to the local bot as a Telegram user, in a browser, and
 * watches the admin group in a second pane. When the peer hosts several bots (tenants), a selector picks the
 * bot to talk to (`?bot=<id>` on `/api/state` and `/api/events`, `botId` in the actions; the peer's default bot
 * without them): the conversation shown is the user's private chat with that bot, and the admin pane shows the
 * admin group as that bot sees it (none when the bot is not a member). Both panes' inline buttons are pressable (in the admin pane as an
 * admin user), and the page follows every change live over server-sent events.
 *
 * It only drives the Telegram peer's simulated people (`peer.user(id).sendText`, `pressButton`, ...), so the
 * bot sees exactly the updates a real client would produce. Loopback only; the page is static HTML, CSS and JS
 * (no framework, nothing from the internet) under a strict Content-Security-Policy, and message text reaches it
 * as text plus entities, drawn with DOM text nodes. Photos the bot sent are served from `/api/photo/<file_id>`,
 * read from the peer's store in process, so the page never needs (or sees) the bot token.
 */

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod/mini';
import { AppError } from '../../core/platform/errors.js';
import { readText } from '../http-body.js';
import type { LandedTransaction } from '../solana/index.js';
import type { PeerBot, TelegramPeer } from '../telegram/index.js';
import type { TestWallets } from './test-wallet.js';
import { transactionPage } from './tx-page.js';
import { pageView } from './view.js';

/** How to start the page. */
export interface WebChatOptions {
  peer: TelegramPeer;
  /** The admin group shown in the second pane (it must exist in the peer); no second pane without it. */
  adminChatId?: number;
  /** Who presses buttons and writes in the admin pane (default: user 1000, "Admin"). */
  admin?: { id: number; first_name: string };
  /** Port on 127.0.0.1; 0 or absent picks a free one. When `port` is taken, a free one is used instead. */
  port?: number;
  /** How often each open page is checked for changes, in ms (default 150). */
  pollMs?: number;
  /** Test wallets lent to web chat users, so a person can deposit (no wallet section without them). */
  wallets?: TestWallets;
  /**
   * The local chain's landed transactions, for the page at `/tx/<signature>` (the explorer link of
   * `npm run dev`, {@link transactionUrlTemplate}); no such page without it.
   */
  transactions?: (signature: string) => LandedTransaction | undefined;
}

/** A running page. */
export interface WebChat {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  stop(): Promise<void>;
}

/** A page whose port is bound but which serves nothing yet (503) until `serve`. */
export interface OpenWebChat extends WebChat {
  /** Starts serving with `options` (their `port` is ignored: the page is already bound). */
  serve(options: WebChatOptions): WebChat;
}

/** The page's transaction view as an explorer URL template (`{signature}` replaced), for the functions' `EXPLORER_TX_URL`. */
export const transactionUrlTemplate = (page: Pick<WebChat, 'url'>): string => `${page.url}tx/{signature}`;

/** A request the page server refuses; `status` is the HTTP status it answers with. */
export class WebChatRequestError extends AppError {
  constructor(
    readonly status: number,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super('webchat.request_rejected', message, { ...options, expose: true });
  }
}

const DEFAULT_ADMIN = { id: 1000, first_name: 'Admin' };
const MAX_BODY_BYTES = 64 * 1024;
const HEARTBEAT_MS = 15_000;

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/tx.css': { file: 'tx.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const UserId = z.int().check(z.positive());
/** A bot of the peer, by id; the default bot when absent. */
const BotId = z.optional(z.int().check(z.positive()));
const Pane = z.enum(['user', 'admin']);
const SendBody = z.object({
  pane: Pane,
  userId: UserId,
  botId: BotId,
  text: z.string().check(z.minLength(1), z.maxLength(4096)),
});
const PressBody = z.object({
  pane: Pane,
  userId: UserId,
  botId: BotId,
  messageId: z.int().check(z.positive()),
  data: z.string().check(z.maxLength(64)),
});
const BlockBody = z.object({ userId: UserId, botId: BotId, blocked: z.boolean() });
const WalletBody = z.object({ userId: UserId });
/** A deposit from the test wallet: 0.001 to 4 SOL (the wallet starts with 5). */
const DepositBody = z.object({ userId: UserId, sol: z.number().check(z.minimum(0.001), z.maximum(4)) });
/** A Solana Pay request paid from the test wallet (`sol` when the request names no amount). */
const PayBody = z.object({
  userId: UserId,
  url: z.string().check(z.minLength(8), z.maxLength(400)),
  sol: z.number().check(z.minimum(0.001), z.maximum(4)),
});
const UserName = z.string().check(z.minLength(1), z.maxLength(64));
/** A transaction signature: 64 bytes in base58. */
const Signature = z.string().check(z.regex(/^[1-9A-HJ-NP-Za-km-z]{64,88}$/));
/** A Bot API `file_id` (base64url). */
const FileId = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,256}$/));
/** A photo never changes under its file id: the page may cache it instead of fetching it on every redraw. */
const PHOTO_CACHE_CONTROL = 'private, max-age=86400, immutable';

/** Starts the page on 127.0.0.1. */
export async function startWebChat(options: WebChatOptions): Promise<WebChat> {
  return (await openWebChat(options.port)).serve(options);
}

/**
 * Binds the page's port on 127.0.0.1 (`port`, or a free one when it is taken) before it has anything
 * to serve, so its URL is known first: `npm run dev` gives the functions the page's transaction view
 * as their explorer link, then starts the stack, then calls `serve`.
 */
export async function openWebChat(port = 0): Promise<OpenWebChat> {
  const page = new WebChatServer();
  await page.listen(port);
  return page;
}

class WebChatServer implements OpenWebChat {
  url = '';
  private readonly server: Server;
  private admin = DEFAULT_ADMIN;
  private readonly streams = new Set<() => void>();
  private readonly files = new Map<string, Buffer>();
  private port = 0;
  private served: WebChatOptions | undefined;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  serve(options: WebChatOptions): WebChat {
    this.admin = options.admin ?? DEFAULT_ADMIN;
    this.served = options;
    return this;
  }

  private get options(): WebChatOptions {
    if (this.served === undefined) throw new WebChatRequestError(503, 'The local stack is still starting');
    return this.served;
  }

  async listen(port: number): Promise<void> {
    for (const [path, entry] of Object.entries(STATIC)) {
      this.files.set(path, await readFile(new URL(`./static/${entry.file}`, import.meta.url)));
    }
    try {
      await this.bind(port);
    } catch (error) {
      if (port === 0 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      await this.bind(0);
    }
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}/`;
  }

  private bind(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    for (const close of [...this.streams]) close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      this.checkHost(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const file = STATIC[url.pathname];
      if (req.method === 'GET' && file !== undefined) {
        res.writeHead(200, { 'content-type': file.type, ...SECURITY_HEADERS });
        res.end(this.files.get(url.pathname));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/favicon.ico') {
        res.writeHead(204, SECURITY_HEADERS);
        res.end();
        return;
      }
      if (req.method === 'GET' && url.pathname.startsWith('/tx/')) {
        return this.transaction(url.pathname.slice('/tx/'.length), res);
      }
      if (req.method === 'GET' && url.pathname === '/api/events') return this.events(url, res);
      if (req.method === 'GET' && url.pathname.startsWith('/api/photo/')) {
        return this.photo(url.pathname.slice('/api/photo/'.length), res);
      }
      if (req.method === 'GET' && url.pathname === '/api/wallets') {
        return json(res, 200, { available: this.options.wallets !== undefined });
      }
      if (req.method === 'GET' && url.pathname === '/api/state') {
        return json(res, 200, this.view(this.openUser(url).id, this.chosenBot(url)));
      }
      if (req.method === 'POST' && url.pathname.startsWith('/api/')) {
        this.checkOrigin(req);
        const body = await readJson(req);
        return json(res, 200, await this.act(url.pathname, body));
      }
      throw new WebChatRequestError(404, 'Not found');
    } catch (error) {
      if (error instanceof WebChatRequestError) return json(res, error.status, { error: error.message });
      json(res, 500, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Only loopback names: a page on another site cannot reach this one through DNS rebinding. */
  private checkHost(req: IncomingMessage): void {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${this.port}` && host !== `localhost:${this.port}`) {
      throw new WebChatRequestError(421, 'Misdirected request');
    }
  }

  /** Actions only from this page (browsers send Origin on POST; other sites' pages cannot forge it). */
  private checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) {
      throw new WebChatRequestError(403, 'Cross-origin request refused');
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (type !== 'application/json') throw new WebChatRequestError(415, 'JSON expected');
  }

  /** The admin pane as `bot` sees it: none without an admin chat, or when `bot` is not a member of it. */
  private adminPane(bot: PeerBot): { chatId: number; as: { id: number; first_name: string } } | undefined {
    const chatId = this.options.adminChatId;
    return chatId === undefined || bot.store.chat(chatId) === undefined ? undefined : { chatId, as: this.admin };
  }

  /** What the page shows of `userId`'s conversation with `bot`. */
  private view(userId: number, bot: PeerBot) {
    const bots = this.options.peer.bots().map((each) => each.info);
    return pageView(bot.store, userId, this.adminPane(bot), bots);
  }

  /** The bot named by `?bot=ID` (or a body's `botId`), the peer's default bot without one. */
  private chosenBot(from: URL | number | undefined): PeerBot {
    const raw = from instanceof URL ? from.searchParams.get('bot') : from;
    if (raw === null || raw === undefined) return this.options.peer.bot();
    const id = z.int().check(z.positive()).safeParse(Number(raw));
    const bot = id.success ? this.options.peer.bots().find((each) => each.id === id.data) : undefined;
    if (bot === undefined) throw new WebChatRequestError(404, `No bot ${raw} on this peer`);
    return bot;
  }

  /** The user named by `?user=ID&name=NAME`, created (or renamed) as needed. */
  private openUser(url: URL) {
    const id = UserId.safeParse(Number(url.searchParams.get('user')));
    if (!id.success) throw new WebChatRequestError(400, 'user must be a positive integer');
    const rawName = url.searchParams.get('name');
    if (rawName === null) return this.options.peer.user(id.data);
    const name = UserName.safeParse(rawName.trim());
    if (!name.success) throw new WebChatRequestError(400, 'name must be 1 to 64 characters');
    const existing = this.options.peer.store.users.get(id.data);
    return existing?.first_name === name.data
      ? this.options.peer.user(id.data)
      : this.options.peer.user(id.data, { first_name: name.data });
  }

  /** The bytes of a photo a bot sent, by file id (file ids are unique across the peer's bots), with its content type. */
  private photo(rawId: string, res: ServerResponse): void {
    const id = FileId.safeParse(rawId);
    const file = id.success
      ? this.options.peer
          .bots()
          .map((bot) => bot.store.files.get(id.data))
          .find((found) => found !== undefined)
      : undefined;
    if (file === undefined) throw new WebChatRequestError(404, 'No such photo');
    res.writeHead(200, {
      'content-type': file.mimeType,
      'content-length': file.bytes.length,
      ...SECURITY_HEADERS,
      'cache-control': PHOTO_CACHE_CONTROL,
    });
    res.end(file.bytes);
  }

  /** The page of a transaction on the local chain (HTML: it is opened from the explorer link in a chat). */
  private transaction(rawSignature: string, res: ServerResponse): void {
    const transactions = this.options.transactions;
    if (transactions === undefined) throw new WebChatRequestError(404, 'There is no local chain');
    const signature = Signature.safeParse(rawSignature);
    const found = signature.success ? transactions(signature.data) : undefined;
    const status = !signature.success ? 400 : found === undefined ? 404 : 200;
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS });
    res.end(transactionPage(signature.success ? signature.data : rawSignature, found));
  }

  /** Server-sent events: the whole view, again whenever it changes. */
  private events(url: URL, res: ServerResponse): void {
    const user = this.openUser(url);
    const bot = this.chosenBot(url);
    res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'keep-alive', ...SECURITY_HEADERS });
    res.write('retry: 1000\n\n');
    let last = '';
    let quietSince = Date.now();
    const tick = () => {
      const view = JSON.stringify(this.view(user.id, bot));
      if (view !== last) {
        last = view;
        quietSince = Date.now();
        res.write(`data: ${view}\n\n`);
      } else if (Date.now() - quietSince > HEARTBEAT_MS) {
        quietSince = Date.now();
        res.write(': keep-alive\n\n');
      }
    };
    const timer = setInterval(tick, this.options.pollMs ?? 150);
    const close = () => {
      clearInterval(timer);
      this.streams.delete(close);
      res.end();
    };
    this.streams.add(close);
    res.on('close', close);
    tick();
  }

  private async act(path: string, body: unknown): Promise<unknown> {
    const peer = this.options.peer;
    try {
      if (path === '/api/send') {
        const input = parse(SendBody, body);
        const bot = this.chosenBot(input.botId);
        const update =
          input.pane === 'user'
            ? await peer.user(input.userId).to(bot.id).sendText(input.text)
            : await this.adminGroup(bot).sendText(peer.user(this.admin.id, this.admin), input.text);
        return { update_id: update.update_id };
      }
      if (path === '/api/press') {
        const input = parse(PressBody, body);
        const bot = this.chosenBot(input.botId);
        const update =
          input.pane === 'user'
            ? await peer.user(input.userId).to(bot.id).pressButton(input.messageId, input.data)
            : await this.adminGroup(bot).pressButton(peer.user(this.admin.id, this.admin), input.messageId, input.data);
        return { update_id: update.update_id, callback_query_id: update.callback_query?.id };
      }
      if (path === '/api/wallet' || path === '/api/deposit' || path === '/api/pay') {
        const wallets = this.options.wallets;
        if (!wallets) throw new WebChatRequestError(404, 'There are no test wallets');
        if (path === '/api/wallet') return await wallets.open(parse(WalletBody, body).userId);
        if (path === '/api/pay') {
          const input = parse(PayBody, body);
          try {
            return await wallets.pay(input.userId, input.url, BigInt(Math.round(input.sol * 1e9)));
          } catch (error) {
            if (error instanceof Error && /Solana Pay|amount/.test(error.message))
              throw new WebChatRequestError(400, error.message);
            throw error;
          }
        }
        const input = parse(DepositBody, body);
        return await wallets.deposit(input.userId, BigInt(Math.round(input.sol * 1e9)));
      }
      if (path === '/api/block') {
        const input = parse(BlockBody, body);
        const user = peer.user(input.userId).to(this.chosenBot(input.botId).id);
        if (user.blocked === input.blocked) return { blocked: user.blocked };
        await (input.blocked ? user.block() : user.unblock());
        return { blocked: user.blocked };
      }
    } catch (error) {
      if (error instanceof WebChatRequestError) throw error;
      // The peer refuses what a real client could not do (a button that is gone, a stopped peer).
      throw new WebChatRequestError(409, error instanceof Error ? error.message : String(error), { cause: error });
    }
    throw new WebChatRequestError(404, 'Not found');
  }

  /** The admin group as `bot` sees it. */
  private adminGroup(bot: PeerBot) {
    const chatId = this.options.adminChatId;
    const chat = chatId === undefined ? undefined : bot.store.chat(chatId);
    if (chatId === undefined || chat === undefined) throw new WebChatRequestError(404, 'There is no admin chat');
    return this.options.peer.group(chatId, chat.chat.title ?? '').to(bot.id);
  }
}

function parse<T>(schema: z.ZodMiniType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new WebChatRequestError(400, `Invalid request: ${issue?.path.join('.') || 'body'} ${issue?.message ?? ''}`);
  }
  return result.data;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readText(req, MAX_BODY_BYTES, () => new WebChatRequestError(413, 'Request body too large'));
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WebChatRequestError(400, 'Malformed JSON', { cause: error });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...SECURITY_HEADERS });
  res.end(text);
}
