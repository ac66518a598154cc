/**
 * The local Telegram Bot API peer: an in-process HTTP server that stands in for api.telegram.org and for
 * Telegram's webhook delivery, for tests, benchmarks and `npm run dev`.
 *
 * It hosts many bots at once, as Telegram does: the bot of the options (`token`, `bot`) is the default one,
 * `bots` or `peer.addBot({ token, bot })` add more, and `peer.revokeBot(token)` revokes a token (every later
 * request with it gets 401 `Unauthorized`, like a token revoked in BotFather; so does an unknown token).
 * Each bot talks to it through telegraf's `apiRoot` (`POST {apiRoot}/bot<token>/<method>`) and has its own
 * state where Telegram keeps one per bot (`bots.ts`): webhook and secret token, update queue, command menus,
 * chats with their message ids, callback queries and files. Users are shared: a user's private chat with any
 * bot has the user's id. Tests play the users (`peer.user(42).sendText('/start')` to the default bot,
 * `peer.user(42).to('other_bot').sendText('/start')` to another), then read what a bot did
 * (`peer.sent(42)`, `peer.sent(42, { bot: 'other_bot' })`, `peer.calls()`, `peer.calls('sendMessage', { bot })`,
 * `peer.bot('other_bot').webhookInfo()`, `peer.file(fileId)` for the bytes of a photo the default bot uploaded).
 * Every call passes one {@link AdmissionPolicy} (where rate limits go; `telegramLimits()` keeps them per token).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StateSaver } from '../state-file.js';
import { type ActorWorld, Group, type PeerGroup, type PeerUser, User } from './actors.js';
import { type AdmissionPolicy, type AdmissionRequest, admitAll } from './admission.js';
import { type BotHost, type BotRef, HostedBot, type PeerBot, type PeerBotOptions } from './bots.js';
import type { RetryPolicy } from './delivery.js';
import { BotApiError, Descriptions } from './errors.js';
import { withFileSummaries } from './files.js';
import { type ApiResponse, errorResponse, fileRoute, readParams, route, writeResponse } from './http.js';
import { Described, findMethod } from './methods.js';
import {
  readTelegramState,
  restoreBot,
  restoreTelegram,
  type SavedBot,
  telegramSaver,
  telegramState,
} from './persistence.js';
import type { CallbackQueryState, PeerStore } from './store.js';
import type { ApiCall, Delivery, SentMessage, TgBotCommand, TgUpdate, TgUser, WebhookInfo } from './types.js';

/** How to start a peer. */
export interface TelegramPeerOptions {
  /** The default bot's token; requests with a token of no hosted bot get 401 `Unauthorized`. */
  token: string;
  /** The default bot itself, as `getMe` returns it. */
  bot: { id: number; username: string; first_name: string };
  /** More bots to host from the start, as {@link TelegramPeer.addBot} adds them. */
  bots?: readonly PeerBotOptions[];
  /** Port on 127.0.0.1; 0 or absent picks a free one, so several peers can run at once. */
  port?: number;
  /** Webhook redelivery; defaults are fast for tests (50 ms doubling to 2 s, 20 attempts). */
  retry?: RetryPolicy;
  /** A webhook that does not answer within this many ms counts as failed (default 10 s). */
  deliveryTimeoutMs?: number;
  /** How long a callback query can be answered (default 15 s, like Telegram clients wait). */
  callbackQueryTimeoutMs?: number;
  /**
   * The gate every call passes; `telegramLimits()` enforces Telegram's rate limits (per token). Default:
   * admit everything.
   */
  admission?: AdmissionPolicy;
  /**
   * Where users, chats, messages and photos are kept across restarts (`persistence.ts`): restored at
   * start when the file exists (each bot's part into the bot with its id, also one added later), saved a
   * moment after each change and on `stop()`.
   */
  stateFile?: string;
}

/** Which bot a reading is about: by id or username; the default bot when absent. */
export interface BotChoice {
  bot?: BotRef;
}

/** A running peer. */
export interface TelegramPeer {
  /** `http://127.0.0.1:PORT`; telegraf appends `/bot<token>/<method>`. */
  readonly apiRoot: string;
  /** The default bot's users, chats, messages and callback queries (for tools such as a web chat page). */
  readonly store: PeerStore;
  /**
   * Hosts one more bot (its own token, id and username, none of them taken) and returns it; a bot restored
   * from the state file gets its chats back. Throws for a token, id or username already hosted.
   */
  addBot(options: PeerBotOptions): PeerBot;
  /**
   * Revokes a hosted bot's token, as BotFather's /revoke does: every later request with it (methods and file
   * downloads) gets 401 `Unauthorized`, and so does a method in its webhook responses. Its chats and webhook
   * stay: users' messages still reach it. Throws for a token the peer does not host.
   */
  revokeBot(token: string): void;
  /** A hosted bot by id or username (`@` optional), the default bot when absent; throws for an unknown one. */
  bot(ref?: BotRef): PeerBot;
  /** Every hosted bot, the default one first, then in the order they were added. */
  bots(): PeerBot[];
  /**
   * Queues a raw update for the default bot as Telegram would create it, for what simulated users have no
   * method for (stickers, photos, edits, forwards…); dropped when `allowed_updates` excludes its type. For
   * another bot: `peer.bot(ref).enqueue(update)`.
   */
  enqueue(update: TgUpdate): TgUpdate;
  /**
   * The user with `id` (created on first use; options update the profile, seen by every bot), talking to the
   * default bot: `.to(botIdOrUsername)` for another one.
   */
  user(id: number, opts?: { first_name?: string; username?: string; language_code?: string }): PeerUser;
  /**
   * The group with negative `id` (created on first use), seen by its first member bot. `bots` makes those
   * bots members (joining a group created before); without it a new group has the default bot as its member
   * and an existing one keeps its members. `.to(bot)` sees it as another member.
   */
  group(id: number, title: string, options?: { bots?: readonly BotRef[] }): PeerGroup;
  /** Messages a bot (the default one unless chosen) sent, in order, with their current state and edit history; optionally for one chat. */
  sent(chatId?: number, choice?: BotChoice): SentMessage[];
  /**
   * API calls received, in completion order, including those executed from webhook responses: every call
   * (each carries its `botId`; none for an unknown token), or with `{ bot }` only that bot's.
   */
  calls(method?: string, choice?: BotChoice): ApiCall[];
  /** A callback query on a default bot's message and its answer (`peer.bot(ref).callbackQuery` for another). */
  callbackQuery(id: string): CallbackQueryState | undefined;
  /**
   * The bytes of a file the default bot uploaded (a copy), by any of its `file_id`s, e.g. of a photo it sent:
   * `peer.file(user.lastBotMessage()!.photo!.at(-1)!.file_id)`; `undefined` for an unknown id.
   */
  file(fileId: string): Buffer | undefined;
  /** Polls `predicate` until it returns a truthy value; on timeout throws an error listing recent calls. */
  waitFor<T>(predicate: () => T | undefined | false | null, timeoutMs?: number): Promise<T>;
  /** Like the default bot's `getWebhookInfo`. */
  webhookInfo(): WebhookInfo;
  /**
   * The default bot's command list for a scope (`default`, `all_private_chats`, `chat:<id>`…) and language
   * (`''`: all), like `getMyCommands`; empty when none is set.
   */
  myCommands(scope?: string, languageCode?: string): TgBotCommand[];
  /** Every webhook attempt for the default bot, in order. */
  deliveries(): Delivery[];
  /** Resolves when every bot's queued updates were delivered (2xx) or given up, and methods in responses ran. */
  idle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 50, maxDelayMs: 2_000, maxAttempts: 20 };
const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
const DEFAULT_CALLBACK_QUERY_TIMEOUT_MS = 15_000;
const DEFAULT_WAIT_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a peer on 127.0.0.1 and resolves once it accepts requests. */
export async function startTelegramPeer(options: TelegramPeerOptions): Promise<TelegramPeer> {
  const state = options.stateFile === undefined ? undefined : await readTelegramState(options.stateFile);
  const peer = new Peer(options);
  if (state !== undefined) peer.restore(restoreTelegram(peer.users, peer.stores(), state));
  await peer.listen(options.port ?? 0);
  return peer;
}

class Peer implements TelegramPeer, BotHost, ActorWorld {
  /** The users, shared by every bot's store. */
  readonly users = new Map<number, TgUser>();
  readonly retry: RetryPolicy;
  readonly deliveryTimeoutMs: number;
  readonly callbackQueryTimeoutMs: number;
  apiRoot = '';
  stopped = false;
  private readonly server: Server;
  private readonly admission: AdmissionPolicy;
  /** The default bot first. */
  private readonly hosted: HostedBot[] = [];
  private readonly callLog: ApiCall[] = [];
  /** Saved parts of bots not hosted (yet), by bot id. */
  private dormant = new Map<number, SavedBot>();
  private readonly saver: StateSaver | undefined;

  constructor(options: TelegramPeerOptions) {
    this.admission = options.admission ?? admitAll;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
    this.callbackQueryTimeoutMs = options.callbackQueryTimeoutMs ?? DEFAULT_CALLBACK_QUERY_TIMEOUT_MS;
    for (const bot of [{ token: options.token, bot: options.bot }, ...(options.bots ?? [])]) this.host(bot);
    this.saver =
      options.stateFile === undefined
        ? undefined
        : telegramSaver(options.stateFile, () => telegramState(this.users, this.stores(), this.dormant.values()));
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  listen(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        const address = this.server.address() as AddressInfo;
        this.apiRoot = `http://127.0.0.1:${address.port}`;
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  // ---- bots ---------------------------------------------------------------------------------------------

  private get defaultBot(): HostedBot {
    return this.hosted[0]!;
  }

  get store(): PeerStore {
    return this.defaultBot.store;
  }

  /** Every hosted bot's store, the default bot's first. */
  stores(): PeerStore[] {
    return this.hosted.map((bot) => bot.store);
  }

  /** Keeps the saved parts of bots that are not hosted, for a later `addBot` (and the next save). */
  restore(dormant: Map<number, SavedBot>): void {
    this.dormant = dormant;
  }

  private host({ token, bot }: PeerBotOptions): HostedBot {
    if (token === '' || token.includes('/')) throw new Error(`a bot token must be non-empty without "/": ${bot.id}`);
    if (!Number.isSafeInteger(bot.id) || bot.id <= 0) throw new Error(`bot id must be a positive integer: ${bot.id}`);
    for (const other of this.hosted) {
      if (other.token === token) throw new Error(`the token of bot ${bot.id} is already bot ${other.id}'s`);
      if (other.id === bot.id) throw new Error(`bot ${bot.id} is already hosted`);
      if (other.matches(bot.username)) throw new Error(`username @${bot.username} is already bot ${other.id}'s`);
    }
    const hosted = new HostedBot(this, token, bot, this.users);
    this.hosted.push(hosted);
    return hosted;
  }

  addBot(options: PeerBotOptions): PeerBot {
    if (this.stopped) throw new Error('the Telegram peer is stopped');
    const bot = this.host(options);
    const saved = this.dormant.get(bot.id);
    if (saved !== undefined) {
      restoreBot(bot.store, saved);
      this.dormant.delete(bot.id);
    }
    this.changed();
    return bot;
  }

  revokeBot(token: string): void {
    const bot = this.hosted.find((candidate) => candidate.token === token);
    if (bot === undefined) throw new Error('revokeBot: no hosted bot has this token');
    bot.revoked = true;
  }

  botFor(ref?: BotRef): HostedBot {
    if (ref === undefined) return this.defaultBot;
    const bot = this.hosted.find((candidate) => candidate.matches(ref));
    if (bot === undefined) {
      const known = this.hosted.map((candidate) => `${candidate.id} (@${candidate.username})`).join(', ');
      throw new Error(`the Telegram peer hosts no bot ${JSON.stringify(ref)}; it hosts ${known}`);
    }
    return bot;
  }

  bot(ref?: BotRef): PeerBot {
    return this.botFor(ref);
  }

  bots(): PeerBot[] {
    return [...this.hosted];
  }

  groupBots(chatId: number): HostedBot[] {
    return this.hosted.filter((bot) => {
      const chat = bot.store.chat(chatId);
      return chat !== undefined && chat.chat.type !== 'private';
    });
  }

  changed(): void {
    this.saver?.changed();
  }

  // ---- HTTP ---------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.serve(req, res);
    } catch (error) {
      writeResponse(res, { ok: false, error_code: 500, description: `Internal Server Error: ${String(error)}` });
    }
  }

  /** The bot a token belongs to, unless the token is unknown or revoked. */
  private authorized(token: string): HostedBot | undefined {
    const bot = this.hosted.find((candidate) => candidate.token === token);
    return bot?.revoked === false ? bot : undefined;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const download = fileRoute(url.pathname);
    if (download !== undefined) {
      req.resume();
      this.download(download.token, download.filePath, req.method ?? 'GET', res);
      return;
    }
    const target = route(url.pathname);
    if (target === undefined) {
      req.resume();
      writeResponse(res, { ok: false, error_code: 404, description: Descriptions.notFound });
      return;
    }
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const at = Date.now();
    const bot = this.authorized(target.token);
    if (bot === undefined) {
      // Like Telegram: the token is checked before the request is even parsed.
      req.resume();
      const response: ApiResponse = { ok: false, error_code: 401, description: Descriptions.unauthorized };
      const revoked = this.hosted.find((candidate) => candidate.token === target.token);
      this.record(revoked, target.method, {}, response, false, at);
      writeResponse(res, response);
      return;
    }
    let params: Record<string, unknown>;
    try {
      params = await readParams(req, url);
    } catch (error) {
      const response = errorResponse(error instanceof BotApiError ? error : new BotApiError(400, 'Bad Request'));
      this.record(bot, target.method, {}, response, false, at);
      writeResponse(res, response);
      return;
    }
    writeResponse(res, await this.execute(bot, target.method, params, false, controller.signal));
  }

  /**
   * `GET /file/bot<token>/<file_path>`: the bytes of a file `getFile` pointed to (for that token's bot), with
   * its content type; an unknown or revoked token gets 401 like the methods do, an unknown path (or another
   * HTTP method) 404. Not recorded as a call.
   */
  private download(token: string, filePath: string, method: string, res: ServerResponse): void {
    const bot = this.authorized(token);
    if (bot === undefined) {
      writeResponse(res, { ok: false, error_code: 401, description: Descriptions.unauthorized });
      return;
    }
    const file = method === 'GET' || method === 'HEAD' ? bot.store.files.atPath(filePath) : undefined;
    if (file === undefined) {
      writeResponse(res, { ok: false, error_code: 404, description: Descriptions.notFound });
      return;
    }
    res.writeHead(200, { 'content-type': file.mimeType, 'content-length': file.bytes.length });
    res.end(method === 'HEAD' ? undefined : file.bytes);
  }

  /** Runs one method for `bot`: admission, handler, call log. The one place every call goes through. */
  async execute(
    bot: HostedBot,
    method: string,
    params: Record<string, unknown>,
    viaWebhookResponse: boolean,
    signal: AbortSignal,
  ): Promise<ApiResponse> {
    const at = Date.now();
    let response: ApiResponse | undefined;
    try {
      // A revoked bot can do nothing, not even through a webhook response.
      if (bot.revoked) throw new BotApiError(401, Descriptions.unauthorized);
      const found = findMethod(method);
      if (found === undefined) throw new BotApiError(404, Descriptions.notFound);
      const chatId = typeof params.chat_id === 'number' ? params.chat_id : Number(params.chat_id);
      const chat = Number.isSafeInteger(chatId) ? bot.store.chat(chatId) : undefined;
      const admission: AdmissionRequest = {
        token: bot.token,
        botId: bot.id,
        method: found.name,
        params,
        ...(Number.isSafeInteger(chatId) && { chatId }),
        ...(chat !== undefined && { chatType: chat.chat.type }),
        viaWebhookResponse,
        now: at,
      };
      const denied = this.admission.admit(admission);
      if (denied !== undefined) throw denied;
      try {
        const value = await found.handler({ runtime: bot, params, viaWebhookResponse, signal });
        response =
          value instanceof Described
            ? { ok: true, result: value.result, description: value.description }
            : { ok: true, result: value };
      } finally {
        this.admission.settled?.(admission, response?.ok === true);
      }
    } catch (error) {
      response =
        error instanceof BotApiError
          ? errorResponse(error)
          : { ok: false, error_code: 500, description: `Internal Server Error: ${String(error)}` };
    }
    this.record(bot, method, params, response, viaWebhookResponse, at);
    this.changed();
    return response;
  }

  /** Logs a call; `bot` is absent for a token no bot has. */
  record(
    bot: HostedBot | undefined,
    method: string,
    params: Record<string, unknown>,
    response: ApiResponse,
    viaWebhookResponse: boolean,
    at: number,
  ): void {
    const call: ApiCall = {
      seq: this.callLog.length + 1,
      ...(bot !== undefined && { botId: bot.id }),
      method,
      params: structuredClone(withFileSummaries(params)),
      ok: response.ok,
      viaWebhookResponse,
      at,
    };
    if (response.ok) call.result = structuredClone(response.result);
    else {
      call.error = {
        error_code: response.error_code,
        description: response.description,
        ...(response.parameters !== undefined && { parameters: response.parameters }),
      };
    }
    this.callLog.push(call);
  }

  // ---- simulated users ------------------------------------------------------------------------------------

  enqueue(update: TgUpdate): TgUpdate {
    return this.defaultBot.enqueue(update);
  }

  user(id: number, opts?: { first_name?: string; username?: string; language_code?: string }): PeerUser {
    if (opts !== undefined || !this.users.has(id)) for (const bot of this.hosted) bot.store.upsertUser(id, opts);
    // The user may change their chat without an update (`seed`).
    this.changed();
    return new User(this, this.defaultBot, id);
  }

  group(id: number, title: string, options: { bots?: readonly BotRef[] } = {}): PeerGroup {
    const members = this.groupBots(id);
    const joining = options.bots?.map((ref) => this.botFor(ref)) ?? (members.length === 0 ? [this.defaultBot] : []);
    for (const bot of [...members, ...joining]) bot.store.upsertGroup(id, title);
    this.changed();
    return new Group(this, members[0] ?? joining[0]!, id);
  }

  // ---- reading ------------------------------------------------------------------------------------------

  sent(chatId?: number, choice: BotChoice = {}): SentMessage[] {
    return this.botFor(choice.bot).sent(chatId);
  }

  calls(method?: string, choice: BotChoice = {}): ApiCall[] {
    const botId = choice.bot === undefined ? undefined : this.botFor(choice.bot).id;
    return this.filterCalls(method, botId);
  }

  callsOf(bot: HostedBot, method?: string): ApiCall[] {
    return this.filterCalls(method, bot.id);
  }

  private filterCalls(method: string | undefined, botId: number | undefined): ApiCall[] {
    const lower = method?.toLowerCase();
    return this.callLog.filter(
      (call) =>
        (lower === undefined || call.method.toLowerCase() === lower) && (botId === undefined || call.botId === botId),
    );
  }

  callbackQuery(id: string): CallbackQueryState | undefined {
    return this.defaultBot.callbackQuery(id);
  }

  deliveries(): Delivery[] {
    return this.defaultBot.deliveries();
  }

  file(fileId: string): Buffer | undefined {
    return this.defaultBot.file(fileId);
  }

  webhookInfo(): WebhookInfo {
    return this.defaultBot.webhookInfo();
  }

  myCommands(scope?: string, languageCode?: string): TgBotCommand[] {
    return this.defaultBot.myCommands(scope, languageCode);
  }

  async waitFor<T>(predicate: () => T | undefined | false | null, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) return value;
      if (Date.now() >= deadline) throw new Error(`waitFor timed out after ${timeoutMs} ms\n${this.describe()}`);
      await sleep(5);
    }
  }

  async idle(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.hosted.some((bot) => bot.busy)) return;
      if (Date.now() >= deadline) throw new Error(`idle timed out after ${timeoutMs} ms\n${this.describe()}`);
      await sleep(5);
    }
  }

  /** Recent calls and deliveries, and each bot's pending updates, for timeout errors. */
  private describe(): string {
    const calls = this.callLog.slice(-10).map((c) => {
      const outcome = c.ok ? 'ok' : `${c.error?.error_code} ${c.error?.description}`;
      const via = c.viaWebhookResponse ? ' (webhook response)' : '';
      const bot = this.hosted.length > 1 ? ` [bot ${c.botId ?? '?'}]` : '';
      // The webhook's secret token never goes into a test's failure output.
      const params = { ...c.params, ...('secret_token' in c.params ? { secret_token: '[redacted]' } : {}) };
      return `  #${c.seq}${bot} ${c.method}${via} ${JSON.stringify(params).slice(0, 160)} -> ${outcome}`;
    });
    const deliveries = this.hosted.flatMap((bot) =>
      bot.recentDeliveries(10).map((d) => {
        const outcome = d.ok ? `${d.status}` : (d.error ?? 'failed');
        return `  bot ${bot.id} update ${d.update_id} attempt ${d.attempt}: ${outcome}${d.gaveUp ? ' (gave up)' : ''}`;
      }),
    );
    return [
      `recent API calls (${this.callLog.length} total):`,
      ...(calls.length > 0 ? calls : ['  (none)']),
      'recent webhook deliveries:',
      ...(deliveries.length > 0 ? deliveries : ['  (none)']),
      ...this.hosted.map((bot) => bot.describe()),
    ].join('\n');
  }

  /** Stops delivery and the server, then saves the state (when it is kept). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const bot of this.hosted) bot.stop();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.saver?.flush();
  }
}
