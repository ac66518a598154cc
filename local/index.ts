/**
 * The embedded local AWS runtime: DynamoDB (dynalite), SQS (fauxqs), the KMS emulator, the Telegram
 * Bot API peer, the Solana JSON-RPC peer, the LLM peer and the Lambda runner, started in one process from the same stage settings
 * the stacks deploy.
 *
 * Production code cannot tell it apart from AWS: functions get the stack's environment
 * variables, with the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` pointing at the emulators.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KMSClient } from '@aws-sdk/client-kms';
import { SQSClient } from '@aws-sdk/client-sqs';
import { depositPollEnvelope } from '../core/desk/deposits/jobs.js';
import { QUEUE_NAMES, type QueueName, type StageSettings, stageSettings } from '../core/desk/settings.js';
import { treasuryAddress } from '../core/desk/solana/signer.js';
import { KmsIntakeKey, KmsSigningKey } from '../core/platform/keys/kms.js';
import { TELEGRAM_LIMITS, type TelegramLimits } from '../core/platform/settings.js';
import {
  assertWiring,
  FUNCTIONS,
  type FunctionWiring,
  KEY_NAMES,
  type KeyName,
  keyAlias,
  type SecretName,
} from '../stacks/manifest.js';
import { localClientConfig } from './aws/common.js';
import { startLocalDynamoDb, tableNameFor } from './aws/dynamodb.js';
import type { ConflictMode } from './aws/dynamodb-conflicts.js';
import { type Meter, startMeter } from './aws/meter.js';
import { startSchedule, startWatchSchedule } from './aws/scheduler.js';
import { type LocalSqs, startLocalSqs } from './aws/sqs.js';
import { type KmsEmulator, startKmsEmulator } from './kms/index.js';
import type { LogLine } from './lambda/environment.js';
import { functionEnv, type StackWiring, stackEnv } from './lambda/function-env.js';
import { type LocalRunner, type RunnerStats, startRunner } from './lambda/runner.js';
import { type LlmPeer, startLlmPeer } from './llm/index.js';
import { type SolanaPeer, type SolanaPeerOptions, startSolanaPeer } from './solana/index.js';
import type { RetryPolicy } from './telegram/delivery.js';
import { startTelegramPeer, type TelegramLimiter, type TelegramPeer, telegramLimits } from './telegram/index.js';

export type { LogLine } from './lambda/environment.js';
export type { RunnerStats } from './lambda/runner.js';

/** Telegram identity of the local bot. */
export interface LocalTelegramOptions {
  readonly token: string;
  readonly botUsername: string;
  readonly webhookSecret: string;
}

/** How to start a local stack. */
export interface LocalStackOptions {
  /** Stage name; `local` by default. */
  stage?: string;
  /** Where DynamoDB data and bundles live; a fresh temp dir (removed on stop) by default. Dev passes `.local-data/<stage>`. */
  dataDir?: string;
  /** Build and run the webhook over HTTP and the consumers via SQS pollers (default true). */
  functions?: boolean;
  /** Defaults: a fake token `123456789:LOCAL…`, username `local_desk_bot`, a random webhook secret. */
  telegram?: LocalTelegramOptions;
  /**
   * Telegram's flood limits on the peer (429 with `retry_after`): `true` for `TELEGRAM_LIMITS`, or other
   * numbers. Off by default; `npm run dev` turns them on. Read the counters from `stack.telegramLimits`.
   */
  telegramLimits?: boolean | TelegramLimits;
  /**
   * How the Telegram peer redelivers an update the webhook did not take (the peer's fast test default
   * otherwise). Telegram itself keeps trying for 24 h; the fault-injection suite sets a longer policy.
   */
  telegramRetry?: RetryPolicy;
  /** Added to every function's environment (and to `env`). */
  extraEnv?: Record<string, string>;
  /** The functions to run; `FUNCTIONS` by default (tests substitute fixture handlers). Entries are relative to the project root. */
  functionWiring?: Readonly<Record<string, FunctionWiring>>;
  /** Function output; by default it goes to this process's stdout/stderr. */
  onFunctionLog?: (line: LogLine) => void;
  /**
   * A Bot API root for the functions other than the local peer (real Telegram, for `npm run dev`
   * with a token). The webhook is then not registered with the peer: updates come from elsewhere.
   */
  telegramApiRoot?: string;
  /**
   * The Solana peer (2 endpoints by default). Without a `treasury`, the treasury is the KMS
   * emulator's Ed25519 treasury key (kept in the data directory), funded with 1,000 SOL.
   */
  solana?: Partial<SolanaPeerOptions>;
  /**
   * A real cluster for the functions instead of the local peer (`npm run dev` against devnet):
   * its `SOLANA_RPC_URLS` JSON and the treasury address to scan.
   */
  solanaCluster?: { rpcUrls: string; treasuryAddress: string };
  /**
   * The `rps` declared for every local peer endpoint in the functions' `SOLANA_RPC_URLS` (50 by
   * default). Benchmarks set it to the cap they enforce on the peer with `endpoint(i).setRateLimit`.
   */
  solanaRps?: number;
  /**
   * A real OpenAI-compatible provider for the assistant instead of the local LLM peer (`npm run dev`
   * with `AI_API_KEY`): the functions' `AI_BASE_URL` and `AI_API_KEY`. The peer runs either way.
   */
  aiProvider?: { baseUrl: string; apiKey: string };
  /**
   * Meter every AWS request (`npm run cost`): the functions, the SQS pollers and the watch schedule
   * reach DynamoDB, SQS and KMS through metering proxies (`stack.meter`), and each function's SDK
   * names it in its user agent (`AWS_SDK_UA_APP_ID`). The schedule's timer is off, so nothing runs
   * unasked: `watchPoll()` still fires it. Off by default.
   */
  meter?: boolean;
}

/** A running local stack. */
export interface LocalStack {
  readonly stage: string;
  readonly settings: StageSettings;
  /**
   * Everything a function may need: region, fake credentials, the emulator endpoints, the stage,
   * the table, every queue URL, the Telegram API root and every secret as `SST_Secret_value_<NAME>`.
   * (Each function is given only its own part of it, as the stacks bind them.)
   */
  readonly env: Readonly<Record<string, string>>;
  readonly dynamodb: {
    readonly endpoint: string;
    readonly tableName: string;
    /** Takes DynamoDB away (connections refused) until `start()`; data is kept. */
    stop(): Promise<void>;
    /** Brings DynamoDB back on the same port with the same data. */
    start(): Promise<void>;
    /** Deletes the items whose TTL has passed now, as the background sweep does every few seconds; how many. */
    sweepExpired(): Promise<number>;
    /** Fault switch: cancels transactions with `TransactionConflict`, as AWS does under contention (`{}`: off). */
    setTransactionConflicts(mode: ConflictMode): void;
    /** Transactions the switch has cancelled so far. */
    readonly transactionConflicts: number;
  };
  readonly sqs: {
    readonly endpoint: string;
    readonly queueUrls: Readonly<Record<QueueName, string>>;
    readonly dlqUrls: Readonly<Record<QueueName, string>>;
  };
  /** The KMS emulator (keys kept in the data directory), with the stage's keys by name. */
  readonly kms: KmsEmulator & { readonly keyIds: Readonly<Record<KeyName, string>> };
  readonly telegram: TelegramPeer;
  /** The peer's rate limiter when `telegramLimits` is on: admitted messages and 429s answered. */
  readonly telegramLimits?: TelegramLimiter;
  /** The Solana RPC peer; its endpoints are the functions' `SOLANA_RPC_URLS`, its `treasury` is funded. */
  readonly solana: SolanaPeer;
  /** The assistant's LLM peer: the functions' `AI_BASE_URL`, with its key as their `AI_API_KEY`. */
  readonly llm: LlmPeer;
  /** The bot identity the peer and the functions share. */
  readonly bot: LocalTelegramOptions & { readonly id: number };
  /** `http://127.0.0.1:PORT/telegram` when functions are on. */
  readonly webhookUrl: string | undefined;
  /** Invocation, queue and concurrency counters, when functions are on. */
  readonly runner?: {
    stats(): RunnerStats;
    /** Kills function `name`'s environments that are mid-invocation (fault injection); how many. */
    crash(name: string): number;
  };
  /** What every metered AWS request would be billed, when `meter` is on. */
  readonly meter?: Meter;
  /** Puts a `watch.poll` job on the rpc queue now, as the schedule does every `watchPollMinutes`. */
  watchPoll(): Promise<void>;
  /** Puts a `deposit.poll` job on the rpc queue now, as the schedule does every `deposits.pollMinutes`. */
  depositPoll(): Promise<void>;
  /** Stops everything (functions first, then the emulators). Idempotent. */
  stop(): Promise<void>;
}

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LOCAL_BOT_ID = 123_456_789;
const LOCAL_TREASURY_LAMPORTS = 1_000_000_000_000n;
/** Each local RPC endpoint as the functions see it in `SOLANA_RPC_URLS`. */
const LOCAL_RPC_RPS = 50;
/** The admin group of the local bot: admin events and alarms are posted there. */
export const LOCAL_ADMIN_CHAT_ID = -1_001_000_000_001;
/** The local admin (the web chat's admin pane writes and presses buttons as this user). */
export const LOCAL_ADMIN_USER_ID = 1_000;
/** The app name in key aliases (`APP_NAME` of sst.config.ts, which `local/` does not import). */
const APP = 'wallet-desk';
const KEY_SPECS = { project: 'SYMMETRIC_DEFAULT', treasury: 'ECC_NIST_EDWARDS25519', intake: 'RSA_2048' } as const;

/** A fresh local bot identity: a token in Telegram's format and a random webhook secret. */
export function localTelegramIdentity(): LocalTelegramOptions {
  return {
    token: `${LOCAL_BOT_ID}:LOCAL${randomBytes(24).toString('base64url')}`,
    botUsername: 'local_desk_bot',
    // Recognisable, so the test run's log grep can find it anywhere it leaked.
    webhookSecret: `local-whs-${randomBytes(24).toString('base64url')}`,
  };
}

/**
 * Starts DynamoDB, SQS (every queue and DLQ of the stage) and the Telegram peer on free loopback
 * ports, then, unless `functions: false`, builds and runs the functions and registers the
 * webhook with the peer exactly as the deploy script does with Telegram.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stage = options.stage ?? 'local';
  const settings = stageSettings(stage);
  assertWiring(settings);
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), `local-stack-${stage}-`)));
  await mkdir(dataDir, { recursive: true });
  const identity = options.telegram ?? localTelegramIdentity();
  const bot = { ...identity, id: botIdOf(identity.token) };
  const limiter =
    options.telegramLimits === undefined || options.telegramLimits === false
      ? undefined
      : telegramLimits(options.telegramLimits === true ? TELEGRAM_LIMITS : options.telegramLimits);

  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
  };

  try {
    const kms = track(await startKmsEmulator({ dataDir }), cleanups);
    const keyIds = await localKeys(kms, stage);
    const kmsClient = new KMSClient({ ...localClientConfig(kms.endpoint), maxAttempts: 2 });
    cleanups.push(async () => kmsClient.destroy());
    const treasuryKey = new KmsSigningKey({ client: kmsClient, keyId: keyIds.treasury });
    const intakePublicKey = await new KmsIntakeKey({ client: kmsClient, keyId: keyIds.intake }).publicKey();
    const [dynamodb, sqs, telegram, solana, llm] = await Promise.all([
      startLocalDynamoDb({
        dataDir,
        tableName: tableNameFor(stage),
        // What IAM does on AWS: each function may touch only the items of its table grant.
        access: Object.fromEntries(
          Object.entries(options.functionWiring ?? FUNCTIONS).map(([name, wiring]) => [name, wiring.table]),
        ),
      }).then((db) => track(db, cleanups)),
      startLocalSqs(stage, settings).then((q) => track(q, cleanups)),
      startTelegramPeer({
        token: bot.token,
        bot: { id: bot.id, username: bot.botUsername, first_name: 'Local Desk' },
        ...(limiter !== undefined && { admission: limiter }),
        ...(options.telegramRetry !== undefined && { retry: options.telegramRetry }),
      }).then((peer) => {
        peer.group(LOCAL_ADMIN_CHAT_ID, 'Desk admins');
        return track(peer, cleanups);
      }),
      startLocalSolana(await treasuryAddress(treasuryKey), options.solana).then((peer) => track(peer, cleanups)),
      // Recognisable, so the test run's log grep can find the key anywhere it leaked.
      startLlmPeer({ apiKey: `local-ai-${randomBytes(24).toString('base64url')}` }).then((peer) =>
        track(peer, cleanups),
      ),
    ]);

    const wiring: StackWiring = {
      stage,
      tableName: dynamodb.tableName,
      queueUrls: mapQueues(sqs, (q) => q.url),
      dlqUrls: mapQueues(sqs, (q) => q.dlqUrl),
      dynamodbEndpoint: dynamodb.endpoint,
      sqsEndpoint: sqs.endpoint,
      kmsEndpoint: kms.endpoint,
      keyIds,
      telegramApiRoot: options.telegramApiRoot ?? telegram.apiRoot,
      aiBaseUrl: options.aiProvider?.baseUrl ?? llm.baseUrl,
      secrets: secretsOf(bot, {
        solanaRpcUrls: options.solanaCluster?.rpcUrls ?? solanaRpcUrls(solana, options.solanaRps ?? LOCAL_RPC_RPS),
        treasuryAddress: options.solanaCluster?.treasuryAddress ?? solana.treasury?.address ?? '',
        intakePublicKey: Buffer.from(intakePublicKey).toString('base64'),
        aiApiKey: options.aiProvider?.apiKey ?? llm.apiKey,
      }),
      ...(options.extraEnv ? { extraEnv: options.extraEnv } : {}),
    };
    const meter = options.meter
      ? track(await startMeter({ dynamodb: dynamodb.endpoint, sqs: sqs.endpoint, kms: kms.endpoint }), cleanups)
      : undefined;
    const functionWiring = options.functionWiring ?? FUNCTIONS;
    const metered: StackWiring = meter ? meteredWiring(wiring, meter) : wiring;

    let runner: LocalRunner | undefined;
    let webhookUrl: string | undefined;
    if (options.functions ?? true) {
      runner = track(
        await startRunner({
          stage,
          settings,
          functions: functionWiring,
          root: PROJECT_ROOT,
          outdir: join(dataDir, 'build'),
          env: (fn) => ({
            ...functionEnv(fn, metered, nameOf(functionWiring, fn)),
            ...(meter && { AWS_SDK_UA_APP_ID: nameOf(functionWiring, fn) }),
          }),
          sqs: { endpoint: meter?.endpoints.sqs ?? sqs.endpoint, queues: sqs.queues },
          ...(options.onFunctionLog ? { onLog: options.onFunctionLog } : {}),
        }),
        cleanups,
      );
      webhookUrl = runner.routeUrls.webhook;
      if (webhookUrl && !options.telegramApiRoot) await setWebhook(telegram.apiRoot, bot, webhookUrl, settings);
    }
    // What EventBridge does on AWS (stacks/Schedule.ts): a watch poll on the rpc queue every few minutes.
    const schedule = track(
      startWatchSchedule({
        client: new SQSClient(localClientConfig(meter?.endpoints.sqs ?? sqs.endpoint)),
        queueUrl: sqs.queues.rpc.url,
        minutes: settings.solana.watchPollMinutes,
      }),
      cleanups,
    );
    // And a deposit poll: open claims, and the treasury's new incoming transfers.
    const depositSchedule = track(
      startSchedule({
        client: new SQSClient(localClientConfig(meter?.endpoints.sqs ?? sqs.endpoint)),
        queueUrl: sqs.queues.rpc.url,
        minutes: settings.deposits.pollMinutes,
        envelope: depositPollEnvelope,
      }),
      cleanups,
    );
    // Metered runs fire the schedule themselves (`watchPoll()` still works once its timer is off).
    if (meter) {
      await schedule.stop();
      await depositSchedule.stop();
    }

    let stopping: Promise<void> | undefined;
    return {
      stage,
      settings,
      env: stackEnv(wiring),
      dynamodb: {
        endpoint: dynamodb.endpoint,
        tableName: dynamodb.tableName,
        stop: () => dynamodb.stop(),
        start: () => dynamodb.start(),
        sweepExpired: () => dynamodb.sweepExpired(),
        setTransactionConflicts: (mode) => dynamodb.setTransactionConflicts(mode),
        get transactionConflicts() {
          return dynamodb.transactionConflicts;
        },
      },
      sqs: {
        endpoint: sqs.endpoint,
        queueUrls: mapQueues(sqs, (q) => q.url),
        dlqUrls: mapQueues(sqs, (q) => q.dlqUrl),
      },
      kms: Object.assign(kms, { keyIds }),
      telegram,
      ...(limiter !== undefined && { telegramLimits: limiter }),
      solana,
      llm,
      bot,
      webhookUrl,
      ...(runner ? { runner: { stats: runner.stats, crash: runner.crash } } : {}),
      ...(meter && { meter }),
      watchPoll: () => schedule.fire(),
      depositPoll: () => depositSchedule.fire(),
      stop() {
        stopping ??= cleanup();
        return stopping;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function track<T extends { stop(): Promise<void> }>(resource: T, cleanups: Array<() => Promise<void>>): T {
  cleanups.push(() => resource.stop());
  return resource;
}

/** The wiring with the metering proxies as the endpoints, and queue URLs on the SQS proxy's origin. */
function meteredWiring(wiring: StackWiring, meter: Meter): StackWiring {
  const queues = (urls: Readonly<Record<QueueName, string>>) =>
    Object.fromEntries(QUEUE_NAMES.map((q) => [q, meter.meteredQueueUrl(urls[q])])) as Record<QueueName, string>;
  return {
    ...wiring,
    dynamodbEndpoint: meter.endpoints.dynamodb,
    sqsEndpoint: meter.endpoints.sqs,
    kmsEndpoint: meter.endpoints.kms,
    queueUrls: queues(wiring.queueUrls),
    dlqUrls: queues(wiring.dlqUrls),
  };
}

/** A function's name in the wiring (its SDK app id when metered). */
function nameOf(functions: Readonly<Record<string, FunctionWiring>>, fn: FunctionWiring): string {
  return Object.entries(functions).find(([, wiring]) => wiring === fn)?.[0] ?? 'unknown';
}

function mapQueues(sqs: LocalSqs, pick: (queue: LocalSqs['queues'][QueueName]) => string): Record<QueueName, string> {
  return Object.fromEntries(QUEUE_NAMES.map((name) => [name, pick(sqs.queues[name])])) as Record<QueueName, string>;
}

/** The stage's keys in the emulator, created on first start and kept with the data directory. */
async function localKeys(kms: KmsEmulator, stage: string): Promise<Record<KeyName, string>> {
  const ids = await Promise.all(KEY_NAMES.map((name) => kms.ensureKey(keyAlias(APP, stage, name), KEY_SPECS[name])));
  return Object.fromEntries(KEY_NAMES.map((name, i) => [name, ids[i]!])) as Record<KeyName, string>;
}

/** The Solana peer, funding the given treasury or the treasury key's address. */
function startLocalSolana(treasuryKeyAddress: string, options: Partial<SolanaPeerOptions> = {}): Promise<SolanaPeer> {
  const treasury = options.treasury ?? { address: treasuryKeyAddress, lamports: LOCAL_TREASURY_LAMPORTS };
  return startSolanaPeer({ ...options, treasury });
}

/** `SOLANA_RPC_URLS`: every endpoint of the peer, in priority order. */
function solanaRpcUrls(peer: SolanaPeer, rps: number): string {
  return JSON.stringify(peer.urls.map((url, priority) => ({ url, rps, priority })));
}

function secretsOf(
  bot: LocalTelegramOptions,
  values: { solanaRpcUrls: string; treasuryAddress: string; intakePublicKey: string; aiApiKey: string },
): Record<SecretName, string> {
  return {
    TELEGRAM_BOT_TOKEN: bot.token,
    TELEGRAM_WEBHOOK_SECRET: bot.webhookSecret,
    TELEGRAM_BOT_USERNAME: bot.botUsername,
    SOLANA_RPC_URLS: values.solanaRpcUrls,
    ADMIN_CHAT_ID: String(LOCAL_ADMIN_CHAT_ID),
    TREASURY_ADDRESS: values.treasuryAddress,
    VAULT_INTAKE_KEY: values.intakePublicKey,
    ADMIN_USER_IDS: String(LOCAL_ADMIN_USER_ID),
    AI_API_KEY: values.aiApiKey,
  };
}

function botIdOf(token: string): number {
  const id = Number(token.split(':')[0]);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error('A bot token starts with the bot id: "<id>:<secret>"');
  return id;
}

/** The deploy script's `setWebhook` call, made to the peer. */
async function setWebhook(
  apiRoot: string,
  bot: LocalTelegramOptions,
  url: string,
  settings: StageSettings,
): Promise<void> {
  const response = await fetch(`${apiRoot}/bot${bot.token}/setWebhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      url,
      secret_token: bot.webhookSecret,
      allowed_updates: settings.webhook.allowedUpdates,
      max_connections: settings.webhook.maxConnections,
    }),
  });
  const body = (await response.json()) as { ok?: boolean; description?: string };
  if (!response.ok || body.ok !== true) {
    throw new Error(`setWebhook on the local Telegram peer failed: ${response.status} ${body.description ?? ''}`);
  }
}
