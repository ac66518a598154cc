import { createHash, timingSafeEqual } from 'node:crypto';
import { describeError, TransientError } from '../errors.js';
import type { Logger } from '../log.js';
import type { UpdateProcessor } from './process.js';
import { checkUpdate } from './update.js';

/** The HTTP request as the webhook sees it (headers lower-cased). */
export interface WebhookRequest {
  /** The request path: `/telegram/<botId>` names the bot the update is for. */
  path?: string;
  headers: Readonly<Record<string, string | undefined>>;
  body: string | undefined;
  isBase64Encoded: boolean;
}

export interface WebhookResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookDeps {
  /** The `secret_token` given to `setWebhook`. */
  secret: string;
  maxBodyBytes: number;
  /** Update kinds the bot handles; anything else is acknowledged and dropped. */
  allowedUpdates: readonly string[];
  process: UpdateProcessor;
  log: Logger;
}

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
const JSON_TYPE = { 'content-type': 'application/json' };

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Compares a given secret with the expected one in constant time: both are hashed first, so
 * neither the content nor the length of the expected secret leaks through timing.
 */
export function secretMatches(expectedDigest: Buffer, given: string | undefined): boolean {
  return given !== undefined && timingSafeEqual(expectedDigest, digest(given));
}

function respond(statusCode: number, body: unknown = {}): WebhookResponse {
  return { statusCode, headers: JSON_TYPE, body: JSON.stringify(body) };
}

/**
 * The Telegram webhook contract:
 * - wrong or missing secret → 401, nothing read or stored;
 * - body over the limit → 413;
 * - malformed or unsupported update → 200 and a log line (a non-2xx makes Telegram retry for
 *   24 h and holds back that chat's later updates);
 * - a transient infrastructure failure before any effect → 503, so Telegram redelivers;
 * - a bug in the bot → 200 and an error log, for the same reason as malformed updates;
 * - otherwise 200, with the reply method in the body when there is one.
 */
export function createWebhook(deps: WebhookDeps) {
  const expected = digest(deps.secret);
  return async function handle(request: WebhookRequest): Promise<WebhookResponse> {
    const given = request.headers[SECRET_HEADER];
    if (!secretMatches(expected, given)) {
      deps.log.warn('webhook.unauthorized', { hasHeader: given !== undefined });
      return respond(401, { error: 'unauthorized' });
    }
    const raw = request.isBase64Encoded ? Buffer.from(request.body ?? '', 'base64') : Buffer.from(request.body ?? '');
    if (raw.byteLength > deps.maxBodyBytes) {
      deps.log.warn('webhook.too_large', { bytes: raw.byteLength });
      return respond(413, { error: 'payload too large' });
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      deps.log.warn('update.malformed', { detail: 'body is not JSON', bytes: raw.byteLength });
      return respond(200);
    }
    const check = checkUpdate(body, deps.allowedUpdates);
    if (!check.ok) {
      deps.log.warn(`update.${check.reason}`, { updateId: check.updateId, detail: check.detail });
      return respond(200);
    }
    const log = deps.log.child({ correlationId: `u${check.value.updateId}` });
    try {
      const result = await deps.process(check.value);
      log.info('update.processed', {
        kind: check.value.kind,
        duplicate: result.duplicate,
        reply: result.reply?.method,
      });
      return respond(200, result.reply ? { method: result.reply.method, ...result.reply.params } : {});
    } catch (error) {
      if (error instanceof TransientError) {
        log.warn('update.deferred', { error: describeError(error) });
        return respond(503, { error: 'temporarily unavailable' });
      }
      log.error('update.failed', { kind: check.value.kind, error: describeError(error) });
      return respond(200);
    }
  };
}

/** One bot as the webhook serves it: its secret token and its update processor. */
export interface BotEndpoint {
  /** The `secret_token` given to this bot's `setWebhook`. */
  readonly secret: string;
  readonly process: UpdateProcessor;
  /** The bot's logger (its tenant in every line). */
  readonly log: Logger;
}

export interface BotsWebhookDeps extends Omit<WebhookDeps, 'secret' | 'process'> {
  /** The bot of a tenant id, when the deployment serves it (active); undefined for any other id. */
  bots(botId: string): Promise<BotEndpoint | undefined>;
}

const BOT_PATH = /^\/telegram\/([1-9]\d{0,19})\/?$/;

/**
 * The webhook of every bot on the deployment, `POST /telegram/<botId>`: the path names the bot,
 * whose own secret token the request must carry (`createWebhook`'s contract, per bot). A path
 * naming no bot the deployment serves gets the same 401 as a wrong secret, so the route does not
 * tell which bots exist.
 */
export function createBotsWebhook(deps: BotsWebhookDeps) {
  const webhooks = new WeakMap<BotEndpoint, ReturnType<typeof createWebhook>>();
  return async function handle(request: WebhookRequest): Promise<WebhookResponse> {
    const botId = BOT_PATH.exec(request.path ?? '')?.[1];
    let bot: BotEndpoint | undefined;
    try {
      bot = botId === undefined ? undefined : await deps.bots(botId);
    } catch (error) {
      deps.log.warn('webhook.bot_unavailable', { botId, error: describeError(error) });
      return respond(503, { error: 'temporarily unavailable' });
    }
    if (!bot) {
      deps.log.warn('webhook.unknown_bot', { path: (request.path ?? '').slice(0, 64) });
      return respond(401, { error: 'unauthorized' });
    }
    let webhook = webhooks.get(bot);
    if (!webhook) {
      webhook = createWebhook({ ...deps, secret: bot.secret, process: bot.process, log: bot.log });
      webhooks.set(bot, webhook);
    }
    return webhook(request);
  };
}
