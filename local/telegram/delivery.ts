/**
 * Webhook delivery, modelled on tdlib/telegram-bot-api's WebhookActor.
 *
 * - Each chat has its own ordered queue: the next update of a chat is sent only after the previous one
 *   was accepted (2xx) or given up. Different chats are delivered in parallel, up to `max_connections`.
 * - A non-2xx answer, a connection error or no answer within the delivery timeout makes the same update be
 *   sent again after a growing delay (`initialDelayMs` doubling up to `maxDelayMs`; a `Retry-After` header is
 *   honoured within that cap), until `maxAttempts` is reached and the update is dropped — Telegram's
 *   analogue is dropping updates older than 24 hours.
 * - The body of a 2xx answer is handed to {@link DeliveryHooks.accepted} before the update is confirmed, so a
 *   method in the response (`{"method":"sendMessage",...}`) takes effect before that chat's next update.
 */
import http from 'node:http';
import https from 'node:https';
import type { Delivery, TgUpdate } from './types.js';
import type { PendingUpdate, UpdateQueue } from './updates.js';

/** How failed deliveries are retried. */
export interface RetryPolicy {
  /** Delay after the first failure. */
  initialDelayMs: number;
  /** Cap of the doubling delay. */
  maxDelayMs: number;
  /** Attempts per update (the first one included) before it is dropped. */
  maxAttempts: number;
}

/** Where and how to deliver (from `setWebhook`). */
export interface WebhookTarget {
  url: string;
  secretToken?: string;
  maxConnections: number;
}

/** What the delivery engine reports back to the peer. */
export interface DeliveryHooks {
  /** A 2xx answer arrived for `update`; `body` is its (possibly empty) response body. */
  accepted(update: TgUpdate, body: string, contentType: string | undefined): Promise<void>;
  /** One attempt finished. */
  recorded(delivery: Delivery): void;
}

interface PostOutcome {
  status?: number;
  statusText?: string;
  body: string;
  contentType?: string;
  retryAfterSeconds?: number;
  error?: string;
}

/** Largest response body read from the webhook (a method call fits easily). */
const MAX_RESPONSE_BYTES = 1 << 20;

function describeSocketError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'ECONNRESET':
      return 'Connection reset by peer';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'Failed to resolve host: Name or service not known';
    default:
      return 'Webhook connection closed';
  }
}

function post(
  url: URL,
  payload: string,
  headers: Record<string, string>,
  agent: http.Agent,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<PostOutcome> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const done = (outcome: PostOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        res.on('end', () => {
          const retryAfter = Number(res.headers['retry-after']);
          done({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            body: Buffer.concat(chunks).toString('utf8'),
            ...(res.headers['content-type'] !== undefined && { contentType: res.headers['content-type'] }),
            ...(Number.isFinite(retryAfter) && retryAfter > 0 && { retryAfterSeconds: retryAfter }),
          });
        });
        res.on('error', () => done({ body: '', error: 'Webhook connection closed' }));
      },
    );
    const timer = setTimeout(() => {
      done({ body: '', error: 'Read timeout expired' });
      req.destroy();
    }, timeoutMs);
    const onAbort = (): void => {
      done({ body: '', error: 'Webhook was deleted' });
      req.destroy();
    };
    signal.addEventListener('abort', onAbort);
    req.on('error', (error: NodeJS.ErrnoException) => done({ body: '', error: describeSocketError(error) }));
    req.end(payload);
  });
}

/** Delivers the queue's updates to one webhook URL until stopped. */
export class WebhookDelivery {
  private active = 0;
  private stopped = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<PendingUpdate, AbortController>();
  private readonly agent: http.Agent;
  private readonly url: URL;
  private readonly unsubscribe: () => void;

  constructor(
    readonly target: WebhookTarget,
    private readonly queue: UpdateQueue,
    private readonly retry: RetryPolicy,
    private readonly timeoutMs: number,
    private readonly hooks: DeliveryHooks,
  ) {
    this.url = new URL(target.url);
    const AgentClass = this.url.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new AgentClass({ keepAlive: true, maxSockets: target.maxConnections });
    this.unsubscribe = queue.onChange(() => this.kick());
    this.kick();
  }

  /** Requests under way. */
  get activeCount(): number {
    return this.active;
  }

  /** Stops delivering: aborts requests under way and hands their updates back to the queue. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.unsubscribe();
    const released = [...this.inFlight.entries()];
    this.inFlight.clear();
    this.active = 0;
    for (const [entry, controller] of released) {
      entry.inFlight = false;
      controller.abort();
    }
    this.agent.destroy();
  }

  /** Schedules a pass over the queue (coalesced). */
  kick(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = Date.now();
    const seenQueues = new Set<string>();
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const entry of this.queue.entries()) {
      if (this.active >= this.target.maxConnections) break;
      // Only the head of each chat's queue may go.
      if (seenQueues.has(entry.queueKey)) continue;
      seenQueues.add(entry.queueKey);
      if (entry.inFlight) continue;
      if (entry.notBefore > now) {
        wakeAt = Math.min(wakeAt, entry.notBefore);
        continue;
      }
      void this.send(entry);
    }
    if (Number.isFinite(wakeAt)) {
      this.timer = setTimeout(() => this.kick(), Math.max(0, wakeAt - Date.now()));
    }
  }

  private async send(entry: PendingUpdate): Promise<void> {
    const controller = new AbortController();
    entry.inFlight = true;
    entry.attempts += 1;
    this.active += 1;
    this.inFlight.set(entry, controller);
    const attempt = entry.attempts;
    const startedAt = Date.now();
    const headers: Record<string, string> = {};
    if (this.target.secretToken !== undefined) headers['x-telegram-bot-api-secret-token'] = this.target.secretToken;

    const outcome = await post(
      this.url,
      JSON.stringify(entry.update),
      headers,
      this.agent,
      this.timeoutMs,
      controller.signal,
    );
    if (this.stopped || this.inFlight.get(entry) !== controller) return;

    const ok = outcome.status !== undefined && outcome.status >= 200 && outcome.status <= 299;
    if (ok) {
      try {
        await this.hooks.accepted(entry.update, outcome.body, outcome.contentType);
      } catch {
        // The peer records failures of methods in responses itself; delivery succeeded regardless.
      }
    }
    if (this.stopped || this.inFlight.get(entry) !== controller) return;
    this.inFlight.delete(entry);
    this.active -= 1;
    entry.inFlight = false;

    const error =
      outcome.error ?? (ok ? undefined : `Wrong response from the webhook: ${outcome.status} ${outcome.statusText}`);
    const gaveUp = !ok && attempt >= this.retry.maxAttempts;
    if (ok || gaveUp) {
      this.queue.remove(entry);
    } else {
      const backoff = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** (attempt - 1));
      const requested =
        outcome.retryAfterSeconds === undefined
          ? backoff
          : Math.min(this.retry.maxDelayMs, outcome.retryAfterSeconds * 1000);
      entry.notBefore = Date.now() + requested;
    }
    this.hooks.recorded({
      update_id: entry.update.update_id,
      ...(entry.chatId !== undefined && { chatId: entry.chatId }),
      attempt,
      ...(outcome.status !== undefined && { status: outcome.status }),
      ok,
      durationMs: Date.now() - startedAt,
      ...(error !== undefined && { error }),
      gaveUp,
      startedAt,
    });
    this.kick();
  }
}
