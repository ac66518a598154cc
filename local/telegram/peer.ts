/**
 * The local Telegram Bot API peer: an in-process HTTP server that stands in for api.telegram.org and for
 * Telegram's webhook delivery, for tests, benchmarks and `npm run dev`.
 *
 * The bot talks to it through telegraf's `apiRoot` (`POST {apiRoot}/bot<token>/<method>`); tests play the
 * users (`peer.user(42).sendText('/start')`), then read what the bot did (`peer.sent(42)`, `peer.calls()`,
 * `peer.file(fileId)` for the bytes of a photo it uploaded).
 * State lives in one {@link PeerStore}; every call passes one {@link AdmissionPolicy} (where rate limits go);
 * updates wait in one {@link UpdateQueue} for a webhook or `getUpdates`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StateSaver } from '../state-file.js';
import { type ActorHost, Group, type PeerGroup, type PeerUser, User } from './actors.js';
import { type AdmissionPolicy, type AdmissionRequest, admitAll } from './admission.js';
import { type RetryPolicy, WebhookDelivery } from './delivery.js';
import { BotApiError, Descriptions } from './errors.js';
import { withFileSummaries } from './files.js';
import { type ApiResponse, errorResponse, fileRoute, readParams, route, writeResponse } from './http.js';
import { allowedInWebhookResponse, commandListKey, Described, findMethod, type PeerRuntime } from './methods.js';
import { readTelegramState, restoreTelegram, telegramSaver } from './persistence.js';
import { type CallbackQueryState, PeerStore } from './store.js';
import type { ApiCall, Delivery, SentMessage, TgBotCommand, TgUpdate, WebhookInfo } from './types.js';
import { LongPoll, UpdateQueue, updateTypeOf } from './updates.js';
import { isUpdateAllowed, type WebhookRequest } from './validate.js';

/** How to start a peer. */
export interface TelegramPeerOptions {
  /** The bot's token; requests with another token get 401 `Unauthorized`. */
  token: string;
  /** The bot itself, as `getMe` returns it. */
  bot: { id: number; username: string; first_name: string };
  /** Port on 127.0.0.1; 0 or absent picks a free one, so several peers can run at once. */
  port?: number;
  /** Webhook redelivery; defaults are fast for tests (50 ms doubling to 2 s, 20 attempts). */
  retry?: RetryPolicy;
  /** A webhook that does not answer within this many ms counts as failed (default 10 s). */
  deliveryTimeoutMs?: number;
  /** How long a callback query can be answered (default 15 s, like Telegram clients wait). */
  callbackQueryTimeoutMs?: number;
  /** The gate every call passes; `telegramLimits()` enforces Telegram's rate limits. Default: admit everything. */
  admission?: AdmissionPolicy;
  /**
   * Where users, chats, messages and photos are kept across restarts (`persistence.ts`): restored at
   * start when the file exists (and is of this bot), saved a moment after each change and on `stop()`.
   */
  stateFile?: string;
}

/** A running peer. */
export interface TelegramPeer {
  /** `http://127.0.0.1:PORT`; telegraf appends `/bot<token>/<method>`. */
  readonly apiRoot: string;
  /** Users, chats, messages and callback queries (for tools such as a web chat page). */
  readonly store: PeerStore;
  /**
   * Queues a raw update as Telegram would create it, for what simulated users have no method for
   * (stickers, photos, edits, forwards…); dropped when `allowed_updates` excludes its type.
   */
  enqueue(update: TgUpdate): TgUpdate;
  /** The user with `id` (created on first use; options update the profile). */
  user(id: number, opts?: { first_name?: string; username?: string; language_code?: string }): PeerUser;
  /** The group with negative `id` (created on first use). */
  group(id: number, title: string): PeerGroup;
  /** Messages the bot sent, in order, with their current state and edit history; optionally for one chat. */
  sent(chatId?: number): SentMessage[];
  /** Every API call received, in completion order, including those executed from webhook responses. */
  calls(method?: string): ApiCall[];
  /** A callback query and the bot's answer to it. */
  callbackQuery(id: string): CallbackQueryState | undefined;
  /**
   * The bytes of a file the bot uploaded (a copy), by any of its `file_id`s, e.g. of a photo it sent:
   * `peer.file(user.lastBotMessage()!.photo!.at(-1)!.file_id)`; `undefined` for an unknown id.
   */
  file(fileId: string): Buffer | undefined;
  /** Polls `predicate` until it returns a truthy value; on timeout throws an error listing recent calls. */
  waitFor<T>(predicate: () => T | undefined | false | null, timeoutMs?: number): Promise<T>;
  /** Like `getWebhookInfo`. */
  webhookInfo(): WebhookInfo;
  /**
   * The command list set for a scope (`default`, `all_private_chats`, `chat:<id>`…) and language (`''`: all),
   * like `getMyCommands`; empty when none is set.
   */
  myCommands(scope?: string, languageCode?: string): TgBotCommand[];
  /** Every webhook attempt, in order. */
  deliveries(): Delivery[];
  /** Resolves when every queued update was delivered (2xx) or given up, and methods in responses ran. */
  idle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 50, maxDelayMs: 2_000, maxAttempts: 20 };
const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
const DEFAULT_CALLBACK_QUERY_TIMEOUT_MS = 15_000;
const DEFAULT_WAIT_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const unixNow = (): number => Math.floor(Date.now() / 1000);

/** Starts a peer on 127.0.0.1 and resolves once it accepts requests. */
export async function startTelegramPeer(options: TelegramPeerOptions): Promise<TelegramPeer> {
  const state = options.stateFile === undefined ? undefined : await readTelegramState(options.stateFile);
  const peer = new Peer(options);
  if (state !== undefined) restoreTelegram(peer.store, state);
  await peer.listen(options.port ?? 0);
  return peer;
}

class Peer implements TelegramPeer, PeerRuntime, ActorHost {
  readonly store: PeerStore;
  readonly updates = new UpdateQueue();
  readonly poll = new LongPoll(this.updates);
  readonly callbackQueryTimeoutMs: number;
  readonly commandLists = new Map<string, TgBotCommand[]>();
  apiRoot = '';
  private readonly server: Server;
  private readonly admission: AdmissionPolicy;
  private readonly retry: RetryPolicy;
  private readonly deliveryTimeoutMs: number;
  private readonly callLog: ApiCall[] = [];
  private readonly deliveryLog: Delivery[] = [];
  private webhook: { request: WebhookRequest; delivery: WebhookDelivery } | undefined;
  private lastError: { date: number; message: string } | undefined;
  private pendingResponseCalls = 0;
  private stopped = false;
  private readonly saver: StateSaver | undefined;

  constructor(private readonly options: TelegramPeerOptions) {
    this.store = new PeerStore(options.bot);
    this.saver = options.stateFile === undefined ? undefined : telegramSaver(this.store, options.stateFile);
    this.admission = options.admission ?? admitAll;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
    this.callbackQueryTimeoutMs = options.callbackQueryTimeoutMs ?? DEFAULT_CALLBACK_QUERY_TIMEOUT_MS;
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

  // ---- HTTP ---------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.serve(req, res);
    } catch (error) {
      writeResponse(res, { ok: false, error_code: 500, description: `Internal Server Error: ${String(error)}` });
    }
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
    if (target.token !== this.options.token) {
      // Like Telegram: the token is checked before the request is even parsed.
      req.resume();
      const response: ApiResponse = { ok: false, error_code: 401, description: Descriptions.unauthorized };
      this.record(target.method, {}, response, false, at);
      writeResponse(res, response);
      return;
    }
    let params: Record<string, unknown>;
    try {
      params = await readParams(req, url);
    } catch (error) {
      const response = errorResponse(error instanceof BotApiError ? error : new BotApiError(400, 'Bad Request'));
      this.record(target.method, {}, response, false, at);
      writeResponse(res, response);
      return;
    }
    writeResponse(res, await this.execute(target.method, params, false, controller.signal));
  }

  /**
   * `GET /file/bot<token>/<file_path>`: the bytes of a file `getFile` pointed to, with its content type; a wrong
   * token gets 401 like the methods do, an unknown path (or another HTTP method) 404. Not recorded as a call.
   */
  private download(token: string, filePath: string, method: string, res: ServerResponse): void {
    if (token !== this.options.token) {
      writeResponse(res, { ok: false, error_code: 401, description: Descriptions.unauthorized });
      return;
    }
    const file = method === 'GET' || method === 'HEAD' ? this.store.files.atPath(filePath) : undefined;
    if (file === undefined) {
      writeResponse(res, { ok: false, error_code: 404, description: Descriptions.notFound });
      return;
    }
    res.writeHead(200, { 'content-type': file.mimeType, 'content-length': file.bytes.length });
    res.end(method === 'HEAD' ? undefined : file.bytes);
  }

  /** Runs one method: admission, handler, call log. The one place every call goes through. */
  private async execute(
    method: string,
    params: Record<string, unknown>,
    viaWebhookResponse: boolean,
    signal: AbortSignal,
  ): Promise<ApiResponse> {
    const at = Date.now();
    let response: ApiResponse | undefined;
    try {
      const found = findMethod(method);
      if (found === undefined) throw new BotApiError(404, Descriptions.notFound);
      const chatId = typeof params.chat_id === 'number' ? params.chat_id : Number(params.chat_id);
      const chat = Number.isSafeInteger(chatId) ? this.store.chat(chatId) : undefined;
      const admission: AdmissionRequest = {
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
        const value = await found.handler({ runtime: this, params, viaWebhookResponse, signal });
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
    this.record(method, params, response, viaWebhookResponse, at);
    this.saver?.changed();
    return response;
  }

  private record(
    method: string,
    params: Record<string, unknown>,
    response: ApiResponse,
    viaWebhookResponse: boolean,
    at: number,
  ): void {
    const call: ApiCall = {
      seq: this.callLog.length + 1,
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

  // ---- webhook ------------------------------------------------------------------------------------------

  hasWebhook(): boolean {
    return this.webhook !== undefined;
  }

  setWebhook(request: WebhookRequest): boolean {
    const current = this.webhook?.request;
    if (
      current !== undefined &&
      current.url === request.url &&
      current.secretToken === request.secretToken &&
      current.maxConnections === request.maxConnections
    ) {
      return false;
    }
    this.webhook?.delivery.stop();
    const delivery = new WebhookDelivery(
      {
        url: request.url,
        maxConnections: request.maxConnections,
        ...(request.secretToken !== undefined && { secretToken: request.secretToken }),
      },
      this.updates,
      this.retry,
      this.deliveryTimeoutMs,
      {
        accepted: (update, body, contentType) => this.runWebhookResponse(update, body, contentType),
        recorded: (delivery) => {
          this.deliveryLog.push(delivery);
          if (!delivery.ok) this.lastError = { date: unixNow(), message: delivery.error ?? 'Webhook delivery failed' };
        },
      },
    );
    this.webhook = { request, delivery };
    return true;
  }

  deleteWebhook(): boolean {
    if (this.webhook === undefined) return false;
    this.webhook.delivery.stop();
    this.webhook = undefined;
    return true;
  }

  myCommands(scope = 'default', languageCode = ''): TgBotCommand[] {
    return (this.commandLists.get(commandListKey(scope, languageCode)) ?? []).map((command) => ({ ...command }));
  }

  webhookInfo(): WebhookInfo {
    const webhook = this.webhook;
    const allowed = this.updates.allowedUpdates;
    return {
      url: webhook?.request.url ?? '',
      has_custom_certificate: false,
      pending_update_count: this.updates.size,
      ...(webhook !== undefined && { ip_address: '127.0.0.1', max_connections: webhook.request.maxConnections }),
      ...(webhook !== undefined && allowed !== undefined && { allowed_updates: [...allowed] }),
      ...(this.lastError !== undefined && {
        last_error_date: this.lastError.date,
        last_error_message: this.lastError.message,
      }),
    };
  }

  /** Telegram's "reply in the webhook response": a 2xx body `{ method, ...params }` is executed; errors are swallowed. */
  private async runWebhookResponse(_update: TgUpdate, body: string, contentType: string | undefined): Promise<void> {
    const params = parseResponseBody(body, contentType);
    if (params === undefined || typeof params.method !== 'string' || params.method === '') return;
    const { method, ...rest } = params;
    if (!allowedInWebhookResponse(method)) {
      const description = `Bad Request: method ${method} can't be used in a webhook response (Telegram ignores it)`;
      this.record(method, rest, { ok: false, error_code: 400, description }, true, Date.now());
      return;
    }
    this.pendingResponseCalls += 1;
    try {
      await this.execute(method, rest, true, new AbortController().signal);
    } finally {
      this.pendingResponseCalls -= 1;
    }
  }

  // ---- simulated users ------------------------------------------------------------------------------------

  /** Queues an update for the bot unless `allowed_updates` excludes its type (then Telegram never creates it). */
  enqueue(update: TgUpdate): TgUpdate {
    if (this.stopped) throw new Error('the Telegram peer is stopped');
    if (isUpdateAllowed(updateTypeOf(update), this.updates.allowedUpdates)) {
      this.updates.push(structuredClone(update));
    }
    this.saver?.changed();
    return update;
  }

  user(id: number, opts?: { first_name?: string; username?: string; language_code?: string }): PeerUser {
    if (opts !== undefined || !this.store.users.has(id)) this.store.upsertUser(id, opts);
    // The user may change their chat without an update (`seed`).
    this.saver?.changed();
    return new User(this, id);
  }

  group(id: number, title: string): PeerGroup {
    const state = this.store.upsertGroup(id, title);
    this.saver?.changed();
    return new Group(this, state);
  }

  // ---- reading ------------------------------------------------------------------------------------------

  sent(chatId?: number): SentMessage[] {
    return this.store.botMessages(chatId).map((m) => this.store.toSentMessage(m));
  }

  calls(method?: string): ApiCall[] {
    const lower = method?.toLowerCase();
    return this.callLog.filter((call) => lower === undefined || call.method.toLowerCase() === lower);
  }

  callbackQuery(id: string): CallbackQueryState | undefined {
    const query = this.store.callbackQueries.get(id);
    return query === undefined ? undefined : structuredClone(query);
  }

  deliveries(): Delivery[] {
    return [...this.deliveryLog];
  }

  file(fileId: string): Buffer | undefined {
    const file = this.store.files.get(fileId);
    return file === undefined ? undefined : Buffer.from(file.bytes);
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
      const busy =
        this.updates.size > 0 || this.pendingResponseCalls > 0 || (this.webhook?.delivery.activeCount ?? 0) > 0;
      if (!busy) return;
      if (Date.now() >= deadline) {
        const why = this.webhook === undefined ? ' (no webhook is set: updates wait for getUpdates)' : '';
        throw new Error(
          `idle timed out after ${timeoutMs} ms with ${this.updates.size} pending updates${why}\n${this.describe()}`,
        );
      }
      await sleep(5);
    }
  }

  /** Recent calls and deliveries, for timeout errors. */
  private describe(): string {
    const calls = this.callLog.slice(-10).map((c) => {
      const outcome = c.ok ? 'ok' : `${c.error?.error_code} ${c.error?.description}`;
      const via = c.viaWebhookResponse ? ' (webhook response)' : '';
      // The webhook's secret token never goes into a test's failure output.
      const params = { ...c.params, ...('secret_token' in c.params ? { secret_token: '[redacted]' } : {}) };
      return `  #${c.seq} ${c.method}${via} ${JSON.stringify(params).slice(0, 160)} -> ${outcome}`;
    });
    const deliveries = this.deliveryLog.slice(-10).map((d) => {
      const outcome = d.ok ? `${d.status}` : (d.error ?? 'failed');
      return `  update ${d.update_id} attempt ${d.attempt}: ${outcome}${d.gaveUp ? ' (gave up)' : ''}`;
    });
    return [
      `recent API calls (${this.callLog.length} total):`,
      ...(calls.length > 0 ? calls : ['  (none)']),
      `recent webhook deliveries (${this.deliveryLog.length} total):`,
      ...(deliveries.length > 0 ? deliveries : ['  (none)']),
      `pending updates: ${this.updates.size}; webhook: ${this.webhook?.request.url ?? '(none)'}`,
    ].join('\n');
  }

  /** Stops delivery and the server, then saves the state (when it is kept). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.webhook?.delivery.stop();
    this.webhook = undefined;
    this.poll.terminate();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.saver?.flush();
  }
}

/** Parses a webhook response body as Telegram does: JSON object or form fields. */
function parseResponseBody(body: string, contentType: string | undefined): Record<string, unknown> | undefined {
  const trimmed = body.trim();
  if (trimmed === '') return undefined;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(trimmed));
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
