/**
 * Stage settings: how each queue is consumed, how the table is keyed, the limits and timings of
 * every feature, per stage. Which functions exist and what each may touch (the deployment
 * manifest) is not here but in `stacks/manifest.ts`, which core never imports.
 *
 * This module is plain data: no SDK imports, safe to load from functions, stacks and tests.
 */
/**
 * The queues of the platform; each has one consumer function and one DLQ. `decisions` carries the
 * admins' decisions (payouts, deposits): only the webhook, where admins press the buttons, may send
 * to it, so no other function can cause a decision whatever it puts on the queues it may send to.
 */
import {
  type ConsumerSettings,
  explorerTxUrlProblem,
  type NotifySettings,
  type RetentionSettings,
  type SolanaSettings,
  type WebhookSettings,
} from '../platform/settings.js';

export const QUEUE_NAMES = ['rpc', 'notify', 'ai', 'vault', 'payouts', 'decisions'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * Withdrawals from the treasury (lamports). Every payout is approved by an admin; these bound
 * what can be asked for at all. Amounts are plain numbers: 2^53 lamports is 9 million SOL.
 */
export interface PayoutSettings {
  /** Smallest withdrawal (a transfer below this is not worth its fee). */
  readonly minLamports: number;
  /** Largest single withdrawal. */
  readonly maxLamports: number;
  /** What one user may withdraw per UTC day, requests pending included. */
  readonly dailyCapLamports: number;
  /** Kept in the treasury beyond the amount: fees, and rent exemption of the treasury account. */
  readonly feeReserveLamports: number;
  /** Transactions signed for one payout, one after another's blockhash expired unlanded. */
  readonly maxAttempts: number;
  /** Seconds a payout job waits before retrying while KMS is unavailable. */
  readonly keyRetrySeconds: number;
  /** The network fee of one payout transfer (one signature), shown before the user confirms; the desk pays it. */
  readonly networkFeeLamports: number;
  /**
   * A first payout to a destination the user was never paid at waits this long (cancellable by the
   * user) before admins see it: a stolen session cannot empty a balance to a new address at once.
   */
  readonly coolingSeconds: number;
  /** How long a `/withdraw` confirmation screen stays valid (s). */
  readonly confirmSeconds: number;
}

/**
 * Deposits by reference (Solana Pay transfer requests; see core/desk/deposits/claims.ts). Amounts are
 * plain numbers of lamports.
 */
export interface DepositSettings {
  /** A deposit of at most this is credited without an admin (admins see it in the digest); above it an admin confirms. */
  readonly autoCreditLamports: number;
  /** How long a transfer request stays open: the scheduled poll looks for payments to it until then. */
  readonly claimHours: number;
  /** Minutes between scheduled polls (open claims, and the treasury's incoming transfers). */
  readonly pollMinutes: number;
  /** Open claims one poll checks at most (oldest first); the rest wait for the next poll or the user's button. */
  readonly maxClaimsPerPoll: number;
}

/** The per-user secret vault. */
export interface VaultSettings {
  /** Named secrets one user may keep. */
  readonly maxSecretsPerUser: number;
  /** Longest secret value (UTF-8 bytes). */
  readonly maxSecretBytes: number;
  /** Data keys are reused and cached this long, and for at most `dataKeyMaxUses` operations. */
  readonly dataKeyMaxAgeSeconds: number;
  readonly dataKeyMaxUses: number;
}

/**
 * The assistant (the ai queue's worker) and its OpenAI-compatible provider. The provider's base URL
 * reaches functions as `AI_BASE_URL` (the stacks set this one; `local/` points it at its LLM peer),
 * its key as the `AI_API_KEY` secret.
 */
export interface AiSettings {
  /** Chat Completions base URL (`<baseUrl>/chat/completions`): DeepSeek's by default. */
  readonly baseUrl: string;
  readonly model: string;
  /**
   * The provider's request rate we stay under, all containers together: each ai worker container
   * paces its share (÷ `queues.ai.maxConcurrency`), so the provider never has cause to answer 429.
   */
  readonly requestsPerSecond: number;
  /** Bound on one provider request. */
  readonly requestTimeoutMs: number;
  /** Provider requests for one question (retries on 429, 5xx, timeouts), within `answerDeadlineSeconds`. */
  readonly maxAttempts: number;
  /**
   * Longest one question may take from its job's start, retries and `Retry-After` waits included;
   * past it the user is told the assistant is unavailable. Below the ai function's timeout.
   */
  readonly answerDeadlineSeconds: number;
  /** `max_tokens` of an answer. */
  readonly maxAnswerTokens: number;
  /** Questions one user may ask per UTC day (a question the provider failed to answer does not count). */
  readonly dailyQuestionsPerUser: number;
  /** Longest question taken (characters); longer ones are cut here. */
  readonly maxQuestionChars: number;
  /** A user's conversation memory, kept in the table. */
  readonly history: {
    /** Question–answer pairs kept (the oldest go first). */
    readonly maxTurns: number;
    /** UTF-8 bytes of all kept turns together (the oldest go first; one oversized turn is cut). */
    readonly maxBytes: number;
    /** Forgotten after this long without a question (TTL). */
    readonly idleSeconds: number;
  };
  /** Seconds between two "typing…" actions while an answer is awaited (Telegram shows one for 5 s). */
  readonly typingIntervalSeconds: number;
  /**
   * While an invocation answers, it takes the questions arriving meanwhile from the ai queue
   * itself, long-polling this many seconds per receive (1–20): fewer receives the longer, but an
   * invocation may outlast its last answer by as much. Questions are taken only while the
   * invocation has `answerDeadlineSeconds` + `TAKE_MARGIN_SECONDS` + this left.
   */
  readonly topUpWaitSeconds: number;
}

/** Time an ai invocation keeps, beyond a question's answer deadline, to send the answer (s). */
export const TAKE_MARGIN_SECONDS = 5;

/** Function logs (CloudWatch Logs). */
export interface LogSettings {
  /** Days every function's log group keeps its events (a CloudWatch Logs retention value). */
  readonly retentionDays: number;
}

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface StageSettings {
  readonly queues: Readonly<Record<QueueName, ConsumerSettings>>;
  readonly logs: LogSettings;
  readonly webhook: WebhookSettings;
  readonly retention: RetentionSettings;
  readonly solana: SolanaSettings;
  readonly notify: NotifySettings;
  readonly payouts: PayoutSettings;
  readonly deposits: DepositSettings;
  readonly vault: VaultSettings;
  readonly ai: AiSettings;
}

/** The single-table layout; the stacks and the local runtime create the table from this. */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;

const DAY = 86_400;

function consumer(
  c: Omit<
    ConsumerSettings,
    'visibilityTimeoutSeconds' | 'retentionSeconds' | 'dlqRetentionSeconds' | 'firstRetrySeconds'
  >,
): ConsumerSettings {
  return {
    ...c,
    visibilityTimeoutSeconds: 6 * c.timeoutSeconds,
    retentionSeconds: 4 * DAY,
    dlqRetentionSeconds: 14 * DAY,
    firstRetrySeconds: 5,
  };
}

const BASE: StageSettings = {
  queues: {
    // Chain reads and writes: concurrency is what keeps us under the providers' rate caps.
    rpc: consumer({
      fifo: false,
      batchSize: 10,
      maxBatchingWindowSeconds: 1,
      maxConcurrency: 5,
      timeoutSeconds: 30,
      // It mostly waits (for the providers' answers and its share of their rate) and is billed
      // for it by the GB-second: 256 MB, not 512 (docs/cost.md).
      memoryMb: 256,
      maxReceiveCount: 5,
    }),
    // Outgoing Telegram messages: FIFO so a chat's messages keep their order (group = chat).
    notify: consumer({
      fifo: true,
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: 5,
      timeoutSeconds: 30,
      memoryMb: 256,
      maxReceiveCount: 8,
    }),
    // Questions to the assistant: FIFO with one group per chat, so a user's questions (and /reset)
    // are answered in order, one at a time (the conversation is read, then written back), and one
    // user cannot take every slot. LLM calls take seconds and wait on the network, so one
    // container runs a batch's questions of different chats side by side, and while it waits it
    // takes the questions arriving meanwhile from the queue itself (`ai.topUpWaitSeconds`; FIFO
    // event sources have no batching window): at most maxConcurrency × batchSize provider calls
    // in flight (10). The timeout leaves time to take questions past the answer deadline.
    ai: consumer({
      fifo: true,
      batchSize: 5,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: 2,
      timeoutSeconds: 90,
      // It waits on the provider for seconds per answer and is billed for it by the GB-second:
      // the least memory Lambda offers (the bundle is small: no web3.js, no KMS client).
      memoryMb: 128,
      // The worker retries the provider itself; these are for our own outages and crashes.
      maxReceiveCount: 5,
    }),
    // Storing and checking user secrets (KMS data keys): light, rare, no external rate limit.
    vault: consumer({
      fifo: false,
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: 2,
      timeoutSeconds: 15,
      memoryMb: 256,
      maxReceiveCount: 5,
    }),
    // Withdrawals, signed by the treasury's KMS key. Every step is a conditional write, so
    // redelivery is safe; many receives let a payout ride out a KMS or RPC outage (each
    // retry waits `payouts.keyRetrySeconds` or the visibility timeout) before the DLQ alarm.
    payouts: consumer({
      fifo: false,
      batchSize: 5,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: 2,
      timeoutSeconds: 30,
      memoryMb: 512,
      maxReceiveCount: 20,
    }),
    // Admins' decisions, consumed by the signer beside its payouts queue (so sized as it is): the
    // first decision wins by a conditional write, so order and redelivery do not matter.
    decisions: consumer({
      fifo: false,
      batchSize: 5,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: 2,
      timeoutSeconds: 30,
      memoryMb: 512,
      maxReceiveCount: 20,
    }),
  },
  // A month of logs: enough to look into an incident, without paying to keep debug noise forever.
  logs: { retentionDays: 30 },
  webhook: {
    timeoutSeconds: 10,
    memoryMb: 512,
    maxConnections: 40,
    allowedUpdates: ['message', 'edited_message', 'callback_query', 'my_chat_member'],
    maxBodyBytes: 1_048_576,
  },
  retention: {
    sessionIdleSeconds: 90 * DAY,
    updateDedupeSeconds: 2 * DAY,
  },
  solana: {
    commitment: 'confirmed',
    cacheSeconds: 10,
    requestTimeoutMs: 8_000,
    maxAttempts: 4,
    breaker: { failureThreshold: 5, openSeconds: 30 },
    watchPollMinutes: 1,
    resendEveryMs: 2_000,
    explorerTxUrl: 'https://explorer.solana.com/tx/{signature}?cluster=devnet',
  },
  notify: {
    digestWindowSeconds: 5,
    maxChatWaitSeconds: 5,
    broadcastPageSize: 100,
    paidBroadcast: false,
  },
  payouts: {
    minLamports: 10_000_000,
    maxLamports: 10_000_000_000,
    dailyCapLamports: 20_000_000_000,
    feeReserveLamports: 5_000_000,
    maxAttempts: 3,
    keyRetrySeconds: 10,
    networkFeeLamports: 5_000,
    // Seconds outside production, so the whole flow can be tried on the local stack.
    coolingSeconds: 3,
    confirmSeconds: 300,
  },
  deposits: {
    autoCreditLamports: 1_000_000_000,
    claimHours: 24,
    pollMinutes: 1,
    maxClaimsPerPoll: 200,
  },
  vault: {
    maxSecretsPerUser: 20,
    maxSecretBytes: 1_024,
    // Five minutes and 1,000 uses: a user's secrets share a data key, so reads cost about one
    // KMS call per user per container, while a stolen cached key is bounded in time and use.
    dataKeyMaxAgeSeconds: 300,
    dataKeyMaxUses: 1_000,
  },
  ai: {
    baseUrl: 'https://api.deepseek.com/v1',
    model: 'deepseek-chat',
    requestsPerSecond: 8,
    requestTimeoutMs: 30_000,
    maxAttempts: 3,
    answerDeadlineSeconds: 45,
    maxAnswerTokens: 1_024,
    dailyQuestionsPerUser: 50,
    maxQuestionChars: 2_000,
    history: { maxTurns: 8, maxBytes: 12_000, idleSeconds: 7 * DAY },
    typingIntervalSeconds: 4,
    topUpWaitSeconds: 2,
  },
};

const OVERRIDES: Readonly<Record<string, (base: StageSettings) => StageSettings>> = {
  prod: (base) => ({
    ...base,
    queues: {
      ...base.queues,
      rpc: { ...base.queues.rpc, maxConcurrency: 10 },
      notify: { ...base.queues.notify, maxConcurrency: 10 },
    },
    webhook: { ...base.webhook, maxConnections: 80 },
    // Production logs are the trail of payouts and admin decisions: a quarter.
    logs: { retentionDays: 90 },
    solana: { ...base.solana, explorerTxUrl: 'https://explorer.solana.com/tx/{signature}' },
    payouts: { ...base.payouts, coolingSeconds: 86_400 },
  }),
  // Short waits, for the test suite's local stacks: a failed job is first tried again after 1 s
  // instead of 5, a refused RPC endpoint after 2 s instead of 30, a payout after 2 s of KMS trouble instead of 10, admin digests close after
  // 1 s instead of 5, a first payout cools for 1 s, a sent transaction is looked at again after 250 ms instead of 2 s. The same steps, retries and DLQ after
  // `maxReceiveCount` receives, in seconds instead of minutes.
  quick: (base) => ({
    ...base,
    // A failure that says nothing comes back after 1, 3, 9, 27 s… instead of 5, 15, 45, 135 s….
    queues: Object.fromEntries(
      QUEUE_NAMES.map((name) => [name, { ...base.queues[name], firstRetrySeconds: 1 }]),
    ) as unknown as StageSettings['queues'],
    solana: { ...base.solana, breaker: { ...base.solana.breaker, openSeconds: 2 }, resendEveryMs: 250 },
    notify: { ...base.notify, digestWindowSeconds: 1 },
    payouts: { ...base.payouts, keyRetrySeconds: 2, coolingSeconds: 1 },
  }),
};

/** Settings of one stage (`prod` raises caps, `quick` shortens waits; every other stage, local included, uses the base). */
export function stageSettings(stage: string): StageSettings {
  const settings = OVERRIDES[stage]?.(BASE) ?? BASE;
  assertValid(settings);
  return settings;
}

/** Rejects settings AWS or Telegram would refuse, at synth time and at local start alike. */
export function assertValid(settings: StageSettings): void {
  const problems: string[] = [];
  for (const name of QUEUE_NAMES) {
    const q = settings.queues[name];
    if (q.maxConcurrency < 2 || q.maxConcurrency > 1000) problems.push(`${name}: maxConcurrency must be 2–1000`);
    if (q.visibilityTimeoutSeconds < 6 * q.timeoutSeconds) problems.push(`${name}: visibility < 6 × timeout`);
    if (q.firstRetrySeconds < 1 || q.firstRetrySeconds > q.visibilityTimeoutSeconds)
      problems.push(`${name}: firstRetrySeconds must be 1–visibility`);
    if (q.visibilityTimeoutSeconds > 43_200) problems.push(`${name}: visibility > 12 h`);
    if (q.fifo && (q.batchSize > 10 || q.maxBatchingWindowSeconds !== 0))
      problems.push(`${name}: FIFO needs batchSize ≤ 10 and no batching window`);
    if (!q.fifo && q.batchSize > 10 && q.maxBatchingWindowSeconds < 1)
      problems.push(`${name}: batchSize > 10 needs a batching window`);
    if (q.batchSize < 1 || q.batchSize > 10_000) problems.push(`${name}: batchSize must be 1–10000`);
    if (q.maxReceiveCount < 1 || q.maxReceiveCount > 1000) problems.push(`${name}: maxReceiveCount must be 1–1000`);
  }
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(settings.logs.retentionDays))
    problems.push(`logs: retentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}`);
  const w = settings.webhook;
  if (w.maxConnections < 1 || w.maxConnections > 100) problems.push('webhook: maxConnections must be 1–100');
  if (w.timeoutSeconds > 29) problems.push('webhook: timeout must stay under 30 s');
  const p = settings.payouts;
  if (!(p.minLamports > 0 && p.minLamports <= p.maxLamports && p.maxLamports <= p.dailyCapLamports))
    problems.push('payouts: need 0 < minLamports ≤ maxLamports ≤ dailyCapLamports');
  if (p.maxAttempts < 1) problems.push('payouts: maxAttempts must be ≥ 1');
  if (p.coolingSeconds < 0 || p.confirmSeconds < 10) problems.push('payouts: coolingSeconds ≥ 0, confirmSeconds ≥ 10');
  const d = settings.deposits;
  if (!(d.autoCreditLamports >= 0 && d.claimHours > 0 && d.pollMinutes >= 1 && d.maxClaimsPerPoll >= 1))
    problems.push('deposits: need autoCreditLamports ≥ 0, claimHours > 0, pollMinutes ≥ 1, maxClaimsPerPoll ≥ 1');
  const ai = settings.ai;
  if (ai.answerDeadlineSeconds >= settings.queues.ai.timeoutSeconds)
    problems.push('ai: answerDeadlineSeconds must be below the ai function timeout');
  if (!(ai.requestsPerSecond > 0 && ai.maxAttempts >= 1 && ai.dailyQuestionsPerUser >= 1))
    problems.push('ai: requestsPerSecond > 0, maxAttempts ≥ 1 and dailyQuestionsPerUser ≥ 1 are needed');
  if (!(ai.topUpWaitSeconds >= 1 && ai.topUpWaitSeconds <= 20))
    problems.push('ai: topUpWaitSeconds must be 1–20 (an SQS long poll)');
  if (ai.history.maxTurns < 0 || ai.history.maxBytes < 1_024)
    problems.push('ai: history needs maxTurns ≥ 0, maxBytes ≥ 1024');
  const explorer = settings.solana.explorerTxUrl;
  const explorerProblem = explorer === null ? undefined : explorerTxUrlProblem(explorer);
  if (explorerProblem) problems.push(`solana: explorerTxUrl ${explorerProblem}`);
  if (problems.length > 0) throw new Error(`Invalid stage settings: ${problems.join('; ')}`);
}

/** The environment variable names a function reads its wiring from (set by stacks and by `local/`). */
export const ENV = {
  stage: 'STAGE',
  tableName: 'TABLE_NAME',
  queueUrl: {
    rpc: 'RPC_QUEUE_URL',
    notify: 'NOTIFY_QUEUE_URL',
    ai: 'AI_QUEUE_URL',
    vault: 'VAULT_QUEUE_URL',
    payouts: 'PAYOUTS_QUEUE_URL',
    decisions: 'DECISIONS_QUEUE_URL',
  },
  /** The ARN (or id) of each KMS key a function is granted; see `FunctionWiring.keys`. */
  keyId: { project: 'PROJECT_KEY_ID', treasury: 'TREASURY_KEY_ID', intake: 'INTAKE_KEY_ID' },
  /** A consumer's own DLQ, where it parks poison messages at once. */
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  /** Every queue's DLQ, by queue: given only to a function that inspects queues (`FunctionWiring.inspectsQueues`). */
  deadLetterQueueUrls: {
    rpc: 'RPC_DLQ_URL',
    notify: 'NOTIFY_DLQ_URL',
    ai: 'AI_DLQ_URL',
    vault: 'VAULT_DLQ_URL',
    payouts: 'PAYOUTS_DLQ_URL',
    decisions: 'DECISIONS_DLQ_URL',
  },
  telegramApiRoot: 'TELEGRAM_API_ROOT',
  /** The assistant provider's Chat Completions base URL (`AiSettings.baseUrl` on AWS). */
  aiBaseUrl: 'AI_BASE_URL',
  /** A transaction's explorer page, `{signature}` replaced (`SolanaSettings.explorerTxUrl` on AWS); unset: no link. */
  explorerTxUrl: 'EXPLORER_TX_URL',
} as const satisfies Record<string, unknown>;

/** Encryption-context purpose of per-user secrets. */
export const USER_SECRET_PURPOSE = 'user-secret';
/** Encryption-context purpose of deployment-wide service credentials that admins store (owner `service`). */
export const SERVICE_SECRET_PURPOSE = 'service-credential';

/** Which queues are FIFO, as producers need to know (group and deduplication ids). */
export function fifoQueues(settings: StageSettings): Record<QueueName, boolean> {
  return Object.fromEntries(QUEUE_NAMES.map((q) => [q, settings.queues[q].fifo])) as Record<QueueName, boolean>;
}
