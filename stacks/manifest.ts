/**
 * The deployment manifest: which functions exist, their entries, the secrets, queues, table items
 * and KMS keys each may touch, the alarms, the KMS key aliases and SST's secret naming. Read by
 * the stacks (what CloudFormation declares) and by the local runtime (what `local/` runs and
 * enforces), so both agree; core never imports it. Plain data: no CDK or SDK imports.
 */

import {
  type QueueName,
  SERVICE_SECRET_PURPOSE,
  type StageSettings,
  USER_SECRET_PURPOSE,
} from '../core/desk/settings.js';
import { BOT_TOKEN_PURPOSE, type ConsumerSettings } from '../core/platform/settings.js';
import { TABLE_GRANTS, type TableGrant } from './table-grants.js';

/**
 * Operational alarms (stacks/Alarms.ts), declared once. Each alarm evaluates one period and tells
 * the admin chat both when it fires and when it recovers.
 */
export interface AlarmSettings {
  /** Any DLQ holding a visible message: `ApproximateNumberOfMessagesVisible` (maximum) above `threshold`. */
  readonly deadLetterQueue: { readonly periodSeconds: number; readonly threshold: number };
  /** A consumer's `100 × Errors ÷ Invocations` above `thresholdPercent` (no invocations: not breaching). */
  readonly workerErrorRate: { readonly periodSeconds: number; readonly thresholdPercent: number };
  /** The webhook function URL's `Url5xxCount`, summed over the period, at or above `threshold`. */
  readonly webhookServerErrors: { readonly periodSeconds: number; readonly threshold: number };
  /** The function posting alarms to the admin chat, invoked asynchronously by SNS. */
  readonly notifier: {
    readonly timeoutSeconds: number;
    readonly memoryMb: number;
    /** Lambda's retries of a failed asynchronous invocation (0–2; about 1 and 2 minutes later). */
    readonly retryAttempts: number;
    /** How long Lambda keeps an undelivered alarm event (60–21,600 s). */
    readonly maxEventAgeSeconds: number;
  };
}

export const ALARM_SETTINGS: AlarmSettings = {
  deadLetterQueue: { periodSeconds: 60, threshold: 0 },
  workerErrorRate: { periodSeconds: 300, thresholdPercent: 5 },
  // Telegram redelivers after a 5xx, so a lone one is noise; a handful in 5 minutes is an outage.
  webhookServerErrors: { periodSeconds: 300, threshold: 5 },
  notifier: { timeoutSeconds: 15, memoryMb: 128, retryAttempts: 2, maxEventAgeSeconds: 21_600 },
};

/** The KMS keys of a stage: the symmetric project key, the treasury's Ed25519 key, the RSA intake key. */
/**
 * Every function's Lambda logging (advanced logging controls), applied by `wiredFunction`:
 * - JSON format: Lambda reads each of our lines' `level` and `timestamp` (Powertools-style lines,
 *   `functions/lib/observability.ts`) and filters by level;
 * - system log level WARN: Lambda's own START, END and REPORT lines (INFO events, ~400 bytes an
 *   invocation, most of the ingested log bytes) are dropped; its warnings are kept (timeouts,
 *   crashes; the alarms read CloudWatch metrics, never these lines);
 * - application log level INFO: our lines at info and above, and Powertools Metrics' EMF documents
 *   (no `level`, so INFO to Lambda): a higher level would drop the metrics. Powertools takes this
 *   level over `LOG_LEVEL`.
 */
export const FUNCTION_LOGGING = { format: 'JSON', systemLogLevel: 'WARN', applicationLogLevel: 'INFO' } as const;

export const KEY_NAMES = ['project', 'treasury', 'intake'] as const;
export type KeyName = (typeof KEY_NAMES)[number];

/**
 * Alias of one of a stage's keys (`alias/wallet-desk-prod`, `alias/wallet-desk-prod-treasury`…). The
 * stacks create them, `local/` creates them in its KMS emulator, and functions find their keys by them.
 */
export function keyAlias(app: string, stage: string, key: KeyName): string {
  return key === 'project' ? `alias/${app}-${stage}` : `alias/${app}-${stage}-${key}`;
}

/** SST `Config.Secret` names; a function sees each as `SST_Secret_value_<NAME>`. */
export const SECRETS = [
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'TELEGRAM_BOT_USERNAME',
  /** JSON list of Solana RPC endpoints: `[{ url, rps, methodRps?, priority }]` (URLs often embed API keys). */
  'SOLANA_RPC_URLS',
  /**
   * JSON list of price sources, the same shape: `[{ url, rps, priority }]`, each answering as CoinGecko's
   * `simple/token_price/solana` does (a demo or pro API key may ride in the URL's query).
   */
  'PRICE_URLS',
  /** Chat id of the admin group or channel (negative for groups). */
  'ADMIN_CHAT_ID',
  /** The treasury's deposit address (base58), shown to users and scanned for deposits. */
  'TREASURY_ADDRESS',
  /**
   * The intake key's public key (base64 SubjectPublicKeyInfo DER): the webhook seals secrets to
   * it without KMS. Public; a secret only so it is set per stage (`npm run treasury:address`).
   */
  'VAULT_INTAKE_KEY',
  /** Comma-separated Telegram user ids of the admins (payout approvals, admin commands). */
  'ADMIN_USER_IDS',
  /** The assistant provider's API key (DeepSeek's by default). */
  'AI_API_KEY',
] as const;
export type SecretName = (typeof SECRETS)[number];
export const secretEnvName = (name: SecretName): string => `SST_Secret_value_${name}`;

/** The KMS actions functions may be granted. */
export type KmsAction = 'kms:GenerateDataKey' | 'kms:Decrypt' | 'kms:Sign' | 'kms:GetPublicKey' | 'kms:DescribeKey';

/** Use of one of the stage's keys; `purposes` restricts it to those `kms:EncryptionContext:purpose` values. */
export interface KeyGrant {
  readonly key: KeyName;
  readonly actions: readonly KmsAction[];
  readonly purposes?: readonly string[];
}

/** A function of the app: where its code is, and exactly what it may touch. */
export interface FunctionWiring {
  /** Source entry, relative to the project root; its `handler` export is the Lambda handler. */
  readonly entry: string;
  /** SST secrets bound to it (and nothing else). */
  readonly secrets: readonly SecretName[];
  /** Queues it sends jobs to. */
  readonly sendsTo: readonly QueueName[];
  /** Queue it consumes, if it is a consumer (its sizing is this queue's). */
  readonly consumes?: QueueName;
  /**
   * More queues it consumes, each with its own event source and DLQ, and each with handlers of its
   * own: a job is run only if its type belongs to the queue it came from. Sized like `consumes`.
   */
  readonly alsoConsumes?: readonly QueueName[];
  /** The table items it may read and write, by partition key (`TABLE_GRANTS`, stacks/table-grants.ts). */
  readonly table: 'none' | TableGrant;
  /** Direct use of KMS keys (none by default; table encryption needs no grant here). */
  readonly keys?: readonly KeyGrant[];
  /**
   * Use of the registered bots' own treasury keys (created by `npm run bot:add`, tagged `tenant`):
   * these actions on the account's keys carrying that tag, and no other.
   */
  readonly tenantTreasuryKeys?: readonly KmsAction[];
  /**
   * Puts bots on the deployment (the manager bot's onboarding): creates their treasury keys
   * (`kms:CreateKey` and `kms:TagResource` only with the `tenant` tag and no other, `kms:CreateAlias`
   * only under the stage's tenant treasury alias prefix and on tenant-tagged keys), and calls the Bot
   * API with their tokens (given `TELEGRAM_API_ROOT`).
   */
  readonly onboardsBots?: true;
  /**
   * Reads the depth of every queue and DLQ (`sqs:GetQueueAttributes` on each, nothing else), for
   * the admins' `/stats`; it is given every queue's and DLQ's URL. One function at most.
   */
  readonly inspectsQueues?: true;
  /** Links transactions to an explorer in what it tells users: given the stage's `EXPLORER_TX_URL` (when it has one). */
  readonly linksTransactions?: true;
}

export const FUNCTIONS = {
  webhook: {
    entry: 'functions/webhook.ts',
    // ADMIN_CHAT_ID: admin commands (/broadcast) are taken only in the admin chat.
    // VAULT_INTAKE_KEY: secrets are sealed to the intake key here; the webhook has no KMS access at all.
    secrets: [
      'TELEGRAM_BOT_TOKEN',
      'TELEGRAM_WEBHOOK_SECRET',
      'TELEGRAM_BOT_USERNAME',
      'ADMIN_CHAT_ID',
      'ADMIN_USER_IDS',
      'VAULT_INTAKE_KEY',
      // The deposit address shown to users.
      'TREASURY_ADDRESS',
    ],
    // decisions: only here, where the admins' buttons are pressed.
    sendsTo: ['rpc', 'notify', 'ai', 'vault', 'payouts', 'decisions'],
    table: TABLE_GRANTS.webhook,
  },
  notifyWorker: {
    entry: 'functions/notify-worker.ts',
    // ADMIN_USER_IDS: a broadcast's start and cancel are checked against the admins again.
    secrets: ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_BOT_USERNAME', 'ADMIN_CHAT_ID', 'ADMIN_USER_IDS'],
    // notify: a broadcast page fans out into one send job per user.
    sendsTo: ['notify'],
    consumes: 'notify',
    table: TABLE_GRANTS.notifyWorker,
    // Registered bots' tokens, sealed in the registry with { purpose: bot-token, ownerId: <botId> }.
    keys: [{ key: 'project', actions: ['kms:Decrypt'], purposes: [BOT_TOKEN_PURPOSE] }],
  },
  rpcWorker: {
    entry: 'functions/rpc-worker.ts',
    // ADMIN_USER_IDS: deposit decisions and the admin desk's jobs are checked against the admins again.
    // PRICE_URLS: balances carry their indicative value; prices are fetched here only.
    secrets: ['SOLANA_RPC_URLS', 'PRICE_URLS', 'TREASURY_ADDRESS', 'ADMIN_USER_IDS'],
    // rpc: a watch poll fans out into watch checks on its own queue; payouts: a payout's
    // transaction outcome goes back to the signer.
    sendsTo: ['notify', 'rpc', 'payouts'],
    consumes: 'rpc',
    table: TABLE_GRANTS.rpcWorker,
    // `/stats` runs here (the table, and the RPC pool's counters): queue and DLQ depths.
    inspectsQueues: true,
  },
  /**
   * The assistant: only the provider's key, only the notify queue (its answers), no KMS key, and
   * no job that could move money or act as an admin.
   */
  aiWorker: {
    entry: 'functions/ai-worker.ts',
    secrets: ['AI_API_KEY'],
    sendsTo: ['notify'],
    consumes: 'ai',
    table: TABLE_GRANTS.aiWorker,
  },
  /**
   * Stores users' secrets: opens what the webhook sealed to the intake key, seals it under a data key.
   * Also the manager bot's onboarding: opens a bot token an operator sent (sealed to the intake key
   * too), sets the bot up and seals its token under the project key; removes a bot for its operator.
   */
  vaultWorker: {
    entry: 'functions/vault-worker.ts',
    // ADMIN_USER_IDS: service credentials are an admin's, checked again here.
    // TELEGRAM_WEBHOOK_SECRET: an onboarded bot's webhook secret derives from it.
    secrets: ['ADMIN_USER_IDS', 'TELEGRAM_WEBHOOK_SECRET'],
    sendsTo: ['notify'],
    consumes: 'vault',
    table: TABLE_GRANTS.vaultWorker,
    keys: [
      { key: 'intake', actions: ['kms:Decrypt'] },
      {
        key: 'project',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        purposes: [USER_SECRET_PURPOSE, SERVICE_SECRET_PURPOSE, BOT_TOKEN_PURPOSE],
      },
    ],
    // A bot with payouts gets its own treasury key (found again by its alias on a retry).
    tenantTreasuryKeys: ['kms:DescribeKey', 'kms:GetPublicKey'],
    onboardsBots: true,
  },
  /**
   * The only function that may sign with the treasury key: signs and settles payouts (payouts queue),
   * and applies the admins' payout and deposit decisions (decisions queue, which only the webhook feeds).
   */
  signer: {
    entry: 'functions/signer.ts',
    // No RPC endpoints (their URLs may carry API keys): chain reads for payouts run in the rpc worker.
    // ADMIN_USER_IDS: a payout decision is checked against the admins again before it moves money.
    secrets: ['TREASURY_ADDRESS', 'ADMIN_USER_IDS'],
    // rpc: `payout.prepare` (treasury balance, blockhash) and the signed transaction's `tx.send`.
    sendsTo: ['notify', 'rpc'],
    consumes: 'payouts',
    alsoConsumes: ['decisions'],
    table: TABLE_GRANTS.signer,
    keys: [{ key: 'treasury', actions: ['kms:Sign', 'kms:GetPublicKey'] }],
    // Each registered bot pays from its own treasury key.
    tenantTreasuryKeys: ['kms:Sign', 'kms:GetPublicKey'],
    // The paid withdrawal's message links the transaction.
    linksTransactions: true,
  },
  /** Posts CloudWatch alarms (via SNS, stacks/Alarms.ts) to the admin chat; not run by `local/`. */
  alarmNotifier: {
    entry: 'functions/alarm-notifier.ts',
    secrets: ['TELEGRAM_BOT_TOKEN', 'ADMIN_CHAT_ID'],
    sendsTo: [],
    table: 'none',
  },
} as const satisfies Record<string, FunctionWiring>;
export type FunctionName = keyof typeof FUNCTIONS;

/**
 * Modules every function bundle takes from elsewhere (esbuild's `alias`: SST's `nodejs.esbuild`
 * in sst.config.ts, and `buildFunction` in local/lambda/build.ts), so what runs locally is what
 * is uploaded. Paths are relative to the project root. `whatwg-url`: see functions/lib/whatwg-url.ts;
 * `@aws-sdk/credential-provider-node`: see functions/lib/aws-credentials.ts.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  'whatwg-url': './functions/lib/whatwg-url.ts',
  '@aws-sdk/credential-provider-node': './functions/lib/aws-credentials.ts',
};

/**
 * How every function is bundled beyond SST's defaults, in the cloud (sst.config.ts) and locally
 * (local/lambda/runner.ts), so the local stack runs the bytes that are uploaded:
 * - minified: bundle size is cold-start time;
 * - without `keepNames`, which SST turns on: it wraps every function and class in a `__name` call
 *   that runs at import (about 10 ms of the webhook's cold start). No code may go by a function's
 *   or class's `name`; see core/platform/tenants/dynamodb-scope.ts.
 */
export const BUNDLE_OPTIONS = { minify: true, keepNames: false } as const;

/** Every queue a function consumes: `consumes`, then `alsoConsumes`. */
export function consumedQueues(wiring: FunctionWiring): QueueName[] {
  return wiring.consumes ? [wiring.consumes, ...(wiring.alsoConsumes ?? [])] : [];
}

/** Physical queue names for a stage (FIFO names must end in `.fifo`, and so must their DLQs'). */
export function queueResourceNames(stage: string, queue: QueueName, settings: ConsumerSettings) {
  const suffix = settings.fifo ? '.fifo' : '';
  return { queue: `${stage}-${queue}${suffix}`, dlq: `${stage}-${queue}-dlq${suffix}` };
}

/** Rejects a manifest the stage's settings cannot run: one function's queues must be sized alike. */
export function assertWiring(settings: StageSettings): void {
  const problems: string[] = [];
  for (const [name, wiring] of Object.entries(FUNCTIONS) as [string, FunctionWiring][]) {
    const [first, ...more] = consumedQueues(wiring).map((q) => settings.queues[q]);
    if (more.some((q) => q.timeoutSeconds !== first!.timeoutSeconds || q.memoryMb !== first!.memoryMb))
      problems.push(`${name}: the queues it consumes need the same timeoutSeconds and memoryMb (one function)`);
    if (wiring.alsoConsumes && !wiring.consumes) problems.push(`${name}: alsoConsumes needs consumes`);
  }
  if (problems.length > 0) throw new Error(`Invalid deployment manifest: ${problems.join('; ')}`);
}
