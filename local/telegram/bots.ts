/**
 * One bot of the peer, with everything Telegram keeps per bot: its token (which `revokeBot` can revoke), its
 * view of the chats (a {@link PeerStore}: a user's private chat with it, its message ids, callback queries and
 * files), its update queue, its webhook (own URL and secret token), its command menus and its delivery log.
 *
 * The peer (`peer.ts`) owns the bots, routes each request to the bot of its token and keeps the one call log;
 * a {@link PeerBot} is the test-facing handle of one bot (`peer.bot(idOrUsername)`).
 */
import type { ActorHost } from './actors.js';
import { type RetryPolicy, WebhookDelivery } from './delivery.js';
import type { ApiResponse } from './http.js';
import { allowedInWebhookResponse, commandListKey, type PeerRuntime } from './methods.js';
import { type CallbackQueryState, PeerStore } from './store.js';
import type { ApiCall, Delivery, SentMessage, TgBotCommand, TgUpdate, TgUser, WebhookInfo } from './types.js';
import { LongPoll, UpdateQueue, updateTypeOf } from './updates.js';
import { isUpdateAllowed, type WebhookRequest } from './validate.js';

/** A bot to host: its token and itself, as `getMe` returns it. */
export interface PeerBotOptions {
  /** The bot's token, `<bot id>:<secret>` on Telegram; each bot has its own. */
  token: string;
  bot: { id: number; username: string; first_name: string };
}

/** A bot, by its id or its username (with or without `@`, any case). */
export type BotRef = number | string;

/** One bot hosted by the peer, for tests and tools. */
export interface PeerBot {
  readonly id: number;
  readonly username: string;
  readonly token: string;
  /** The bot as it appears in messages (`from`) and chat members. */
  readonly info: TgUser;
  /** True once `revokeBot(token)` was called: every request with the token then gets 401. */
  readonly revoked: boolean;
  /** This bot's chats, messages, callback queries and files. */
  readonly store: PeerStore;
  /** Queues a raw update for this bot (see `TelegramPeer.enqueue`). */
  enqueue(update: TgUpdate): TgUpdate;
  /** This bot's messages, in order; optionally in one chat. */
  sent(chatId?: number): SentMessage[];
  /** The API calls made with this bot's token, in completion order. */
  calls(method?: string): ApiCall[];
  /** A callback query created by a press on one of this bot's buttons, and its answer. */
  callbackQuery(id: string): CallbackQueryState | undefined;
  /** The bytes of a file this bot uploaded, by its `file_id` (file ids are per bot, as on Telegram). */
  file(fileId: string): Buffer | undefined;
  /** Like this bot's `getWebhookInfo`. */
  webhookInfo(): WebhookInfo;
  /** This bot's command list for a scope and language, like its `getMyCommands`. */
  myCommands(scope?: string, languageCode?: string): TgBotCommand[];
  /** Every webhook attempt for this bot, in order. */
  deliveries(): Delivery[];
}

/** What a bot needs from the peer that hosts it. */
export interface BotHost {
  readonly retry: RetryPolicy;
  readonly deliveryTimeoutMs: number;
  readonly callbackQueryTimeoutMs: number;
  readonly stopped: boolean;
  /** Runs a method with this bot's token: admission, handler, call log. */
  execute(
    bot: HostedBot,
    method: string,
    params: Record<string, unknown>,
    viaWebhookResponse: boolean,
    signal: AbortSignal,
  ): Promise<ApiResponse>;
  /** Adds a call that never reached a handler to the call log. */
  record(
    bot: HostedBot,
    method: string,
    params: Record<string, unknown>,
    response: ApiResponse,
    viaWebhookResponse: boolean,
    at: number,
  ): void;
  /** The calls logged for `bot`. */
  callsOf(bot: HostedBot, method?: string): ApiCall[];
  /** Something worth saving changed. */
  changed(): void;
}

const unixNow = (): number => Math.floor(Date.now() / 1000);

/** A bot the peer hosts: the runtime its method handlers and simulated users work with. */
export class HostedBot implements PeerBot, PeerRuntime, ActorHost {
  readonly store: PeerStore;
  readonly updates = new UpdateQueue();
  readonly poll = new LongPoll(this.updates);
  readonly commandLists = new Map<string, TgBotCommand[]>();
  revoked = false;
  private readonly deliveryLog: Delivery[] = [];
  private webhook: { request: WebhookRequest; delivery: WebhookDelivery } | undefined;
  private lastError: { date: number; message: string } | undefined;
  private pendingResponseCalls = 0;

  constructor(
    private readonly host: BotHost,
    readonly token: string,
    bot: PeerBotOptions['bot'],
    users: Map<number, TgUser>,
  ) {
    this.store = new PeerStore(bot, users);
  }

  get id(): number {
    return this.store.bot.id;
  }

  get username(): string {
    return this.store.bot.username ?? '';
  }

  get info(): TgUser {
    return structuredClone(this.store.bot);
  }

  get callbackQueryTimeoutMs(): number {
    return this.host.callbackQueryTimeoutMs;
  }

  /** Whether `ref` names this bot. */
  matches(ref: BotRef): boolean {
    if (typeof ref === 'number') return ref === this.id;
    return ref.replace(/^@/, '').toLowerCase() === this.username.toLowerCase();
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
      this.host.retry,
      this.host.deliveryTimeoutMs,
      {
        accepted: (_update, body, contentType) => this.runWebhookResponse(body, contentType),
        recorded: (attempt) => {
          this.deliveryLog.push(attempt);
          if (!attempt.ok) this.lastError = { date: unixNow(), message: attempt.error ?? 'Webhook delivery failed' };
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
  private async runWebhookResponse(body: string, contentType: string | undefined): Promise<void> {
    const params = parseResponseBody(body, contentType);
    if (params === undefined || typeof params.method !== 'string' || params.method === '') return;
    const { method, ...rest } = params;
    if (!allowedInWebhookResponse(method)) {
      const description = `Bad Request: method ${method} can't be used in a webhook response (Telegram ignores it)`;
      this.host.record(this, method, rest, { ok: false, error_code: 400, description }, true, Date.now());
      return;
    }
    this.pendingResponseCalls += 1;
    try {
      await this.host.execute(this, method, rest, true, new AbortController().signal);
    } finally {
      this.pendingResponseCalls -= 1;
    }
  }

  /** Updates waiting, webhook requests under way or methods from webhook responses still running. */
  get busy(): boolean {
    return this.updates.size > 0 || this.pendingResponseCalls > 0 || (this.webhook?.delivery.activeCount ?? 0) > 0;
  }

  /** This bot's pending updates and webhook, for timeout errors. */
  describe(): string {
    return `bot ${this.id} (@${this.username}): ${this.updates.size} pending updates; webhook: ${this.webhook?.request.url ?? '(none: updates wait for getUpdates)'}`;
  }

  /** Recent webhook attempts, for timeout errors. */
  recentDeliveries(count: number): Delivery[] {
    return this.deliveryLog.slice(-count);
  }

  /** Stops webhook delivery and long polling (the peer is stopping). */
  stop(): void {
    this.webhook?.delivery.stop();
    this.webhook = undefined;
    this.poll.terminate();
  }

  // ---- updates and reading ------------------------------------------------------------------------------

  enqueue(update: TgUpdate): TgUpdate {
    if (this.host.stopped) throw new Error('the Telegram peer is stopped');
    if (isUpdateAllowed(updateTypeOf(update), this.updates.allowedUpdates)) {
      this.updates.push(structuredClone(update));
    }
    this.host.changed();
    return update;
  }

  sent(chatId?: number): SentMessage[] {
    return this.store.botMessages(chatId).map((m) => this.store.toSentMessage(m));
  }

  calls(method?: string): ApiCall[] {
    return this.host.callsOf(this, method);
  }

  callbackQuery(id: string): CallbackQueryState | undefined {
    const query = this.store.callbackQueries.get(id);
    return query === undefined ? undefined : structuredClone(query);
  }

  file(fileId: string): Buffer | undefined {
    const file = this.store.files.get(fileId);
    return file === undefined ? undefined : Buffer.from(file.bytes);
  }

  myCommands(scope = 'default', languageCode = ''): TgBotCommand[] {
    return (this.commandLists.get(commandListKey(scope, languageCode)) ?? []).map((command) => ({ ...command }));
  }

  deliveries(): Delivery[] {
    return [...this.deliveryLog];
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
