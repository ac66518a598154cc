/**
 * The platform's settings types and Telegram's limits: how a queue is consumed, the webhook, the
 * RPC pool, the sender. A bot's stage settings (`core/desk/settings.ts` for the desk) fill them in.
 *
 * This module is plain data: no SDK imports, safe to load from functions, stacks and tests.
 */
/** How one queue is declared and consumed (SQS event source mapping + function). */
export interface ConsumerSettings {
  /** FIFO queue (ordering per message group, dedupe by id, batch ≤ 10, no batching window). */
  readonly fifo: boolean;
  /** Messages per invocation (FIFO ≤ 10; standard ≤ 10,000 with a batching window). */
  readonly batchSize: number;
  /** Seconds to gather a batch before invoking (0 for FIFO). */
  readonly maxBatchingWindowSeconds: number;
  /** SQS event source `ScalingConfig.MaximumConcurrency` (2–1,000). */
  readonly maxConcurrency: number;
  /** Consumer function timeout. */
  readonly timeoutSeconds: number;
  /** Consumer function memory. */
  readonly memoryMb: number;
  /** Receives before a message is moved to the queue's DLQ. */
  readonly maxReceiveCount: number;
  /** Queue visibility timeout; at least 6 × `timeoutSeconds` (AWS guidance for Lambda consumers). */
  readonly visibilityTimeoutSeconds: number;
  /** How long messages are kept in the queue. */
  readonly retentionSeconds: number;
  /** How long messages are kept in the DLQ (the maximum SQS allows: 14 days). */
  readonly dlqRetentionSeconds: number;
  /**
   * A failure that does not say when to retry comes back after this many seconds, then 3 × as
   * long each receive, never later than the visibility timeout (`failureBackoffSeconds`).
   */
  readonly firstRetrySeconds: number;
}

/** The webhook function and its registration with Telegram. */
export interface WebhookSettings {
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** `setWebhook.max_connections` (1–100). */
  readonly maxConnections: number;
  /** `setWebhook.allowed_updates`: the update types the bot handles. */
  readonly allowedUpdates: readonly string[];
  /** Largest webhook body accepted; larger bodies get 413. */
  readonly maxBodyBytes: number;
}

/** How the rpc worker uses Solana RPC. */
export interface SolanaSettings {
  /** Commitment for reads and confirmations. */
  readonly commitment: 'processed' | 'confirmed' | 'finalized';
  /** Seconds a balance or account read is shared from the cache. */
  readonly cacheSeconds: number;
  /** Bound on one RPC request, including the wait for a rate-limit token. */
  readonly requestTimeoutMs: number;
  /** Attempts of one request across endpoints before it fails as transient. */
  readonly maxAttempts: number;
  /** Circuit breaker per endpoint: consecutive failures that open it, and how long it stays open. */
  readonly breaker: { readonly failureThreshold: number; readonly openSeconds: number };
  /** Minutes between watch polls (EventBridge schedule). */
  readonly watchPollMinutes: number;
  /** Pause between resends of a sent transaction while it awaits confirmation (Solana drops unconfirmed ones readily). */
  readonly resendEveryMs: number;
  /**
   * A transaction's explorer page, `{signature}` replaced (`EXPLORER_TX_URL` of the functions that
   * link transactions); `null`: no link (a chain no public explorer knows).
   */
  readonly explorerTxUrl: string | null;
}

/** What is wrong with an explorer link template (an http(s) URL with `{signature}` once), or `undefined`. */
export function explorerTxUrlProblem(template: string): string | undefined {
  if (template.split('{signature}').length !== 2) return 'must contain {signature} exactly once';
  try {
    const url = new URL(template.replace('{signature}', 'signature'));
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  } catch {
    return 'must be an http(s) URL';
  }
  return undefined;
}

/** The explorer page of `signature` from a template; none without one. */
export function explorerTxLink(template: string | undefined, signature: string): string | undefined {
  return template === undefined ? undefined : template.replace('{signature}', encodeURIComponent(signature));
}

/**
 * Telegram's flood limits [core.telegram.org/bots/faq; Bot API sendMessage]. The notify worker
 * keeps them and the local Telegram peer enforces them, both from this one object.
 */
export const TELEGRAM_LIMITS = {
  /** Messages per second per bot, all chats together. */
  messagesPerSecond: 30,
  /** Messages per second into one private chat. */
  privateChatMessagesPerSecond: 1,
  /** Messages per minute into one group, supergroup or channel. */
  groupMessagesPerMinute: 20,
  /** Messages per second with `allow_paid_broadcast` (0.1 Star each). */
  paidMessagesPerSecond: 1_000,
  /** Characters in one message text. */
  maxTextLength: 4_096,
  /** Bytes of `callback_data` in one button. */
  maxCallbackDataBytes: 64,
} as const;
export type TelegramLimits = { readonly [K in keyof typeof TELEGRAM_LIMITS]: number };

/** How the notify worker batches and fans out. */
export interface NotifySettings {
  /** Admin events are posted as one digest per window of this many seconds. */
  readonly digestWindowSeconds: number;
  /** Longest a sender waits in-process for a chat's next slot; later slots send the job back. */
  readonly maxChatWaitSeconds: number;
  /** Users read per broadcast page job. */
  readonly broadcastPageSize: number;
  /** Broadcasts pay for `allow_paid_broadcast` (up to 1,000 msg/s, 0.1 Star each). */
  readonly paidBroadcast: boolean;
}

/** Lifetimes of stored items (seconds). */
export interface RetentionSettings {
  /** A session idle for this long expires (TTL, filtered on read). */
  readonly sessionIdleSeconds: number;
  /** A processed `update_id` is remembered this long (Telegram keeps undelivered updates 24 h). */
  readonly updateDedupeSeconds: number;
}

/** The encryption-context purpose of sealed bot tokens (what IAM lets the notify worker open). */
export const BOT_TOKEN_PURPOSE = 'bot-token';
