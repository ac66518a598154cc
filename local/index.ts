/**
 * The embedded local AWS runtime, and the entry of the `local/` package: DynamoDB (dynalite), SQS
 * (fauxqs), the KMS emulator, the Telegram Bot API peer, the Solana JSON-RPC peer, the LLM peer, the
 * price peer and the Lambda runner, started in one process from the same stage settings the stacks deploy.
 *
 * Production code cannot tell it apart from AWS: functions get the stack's environment
 * variables, with the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` pointing at the emulators.
 *
 * `startLocalStack` composes one starter per service (`stack/`); code outside `local/` imports
 * from this file only (see README.md).
 */

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type QueueName, type StageSettings, stageSettings } from '../core/desk/settings.js';
import type { OffboardOutcome } from '../core/platform/onboarding/index.js';
import { explorerTxUrlProblem, type TelegramLimits } from '../core/platform/settings.js';
import { assertWiring, FUNCTIONS, type FunctionWiring, type KeyName, keyAlias } from '../stacks/manifest.js';
import type { ConflictMode } from './aws/dynamodb-conflicts.js';
import type { Meter } from './aws/meter.js';
import type { KmsEmulator } from './kms/index.js';
import type { LogLine } from './lambda/environment.js';
import { type StackWiring, stackEnv } from './lambda/function-env.js';
import type { RunnerStats } from './lambda/runner.js';
import type { LlmPeer } from './llm/index.js';
import type { PricePeer } from './prices/index.js';
import type { SolanaPeer, SolanaPeerOptions } from './solana/index.js';
import { startStackDataDir } from './stack/data-dir.js';
import { startStackDynamoDb } from './stack/dynamodb.js';
import { startStackFunctions } from './stack/functions.js';
import { botIdOf, type LocalTelegramOptions, localTelegramIdentity } from './stack/identity.js';
import { APP, startStackKms } from './stack/kms.js';
import { startStackLlm } from './stack/llm.js';
import { meteredWiring, startStackMeter } from './stack/meter.js';
import { priceUrls, startStackPrices } from './stack/prices.js';
import { startStackSchedules } from './stack/schedules.js';
import { Services } from './stack/services.js';
import { solanaRpcUrls, startStackSolana } from './stack/solana.js';
import { queueUrlsOf, startStackSqs } from './stack/sqs.js';
import { startStackTelegram } from './stack/telegram.js';
import { type LocalBot, type LocalBotRequest, localTenants } from './stack/tenants.js';
import { localSecrets } from './stack/wiring.js';
import type { RetryPolicy } from './telegram/delivery.js';
import type { TelegramLimiter, TelegramPeer } from './telegram/index.js';

// What code outside `local/` may use (bench/, cost/, scripts/, test helpers): the package's API.
export { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION, localClientConfig } from './aws/common.js';
export { dynamoItemBytes, type Meter, type MeterRecord, meterTotals } from './aws/meter.js';
export { type KmsEmulator, startKmsEmulator } from './kms/index.js';
export { type BuiltFunction, buildFunction } from './lambda/build.js';
export type { LogLine } from './lambda/environment.js';
export type { RunnerStats } from './lambda/runner.js';
export type { LlmPeer } from './llm/index.js';
export { LOCAL_PRICES, type PricePeer } from './prices/index.js';
export type { DownMode, RpcCall, SolanaPeer } from './solana/index.js';
export {
  LOCAL_ADMIN_CHAT_ID,
  LOCAL_ADMIN_USER_ID,
  type LocalTelegramOptions,
  localTelegramIdentity,
} from './stack/identity.js';
export type { ApiCall, PeerBot, PeerBotOptions, PeerUser, TelegramPeer, TgUpdate } from './telegram/index.js';
export { transferRequestInstruction } from './web-chat/test-wallet.js';

/** How to start a local stack. */
export interface LocalStackOptions {
  /** Stage name; `local` by default. */
  stage?: string;
  /**
   * Where DynamoDB data and bundles live; a fresh temp dir (removed on stop) by default. Dev passes
   * `.local-data/<stage>`. A given directory also keeps the local chain and the Telegram peer's
   * chats across restarts (`solana-chain.json`, `telegram-peer.json`).
   */
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
  /**
   * Receives before a queue's jobs move to its DLQ, for the queues named, instead of the stage's
   * `maxReceiveCount`: only the local queues' redrive policy reads it (the functions never do), so
   * a fault test parks its jobs in a few receives instead of waiting out the stage's backoff.
   */
  maxReceiveCounts?: Partial<Record<QueueName, number>>;
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
   * The functions' explorer link template (`EXPLORER_TX_URL`, `{signature}` replaced). By default the
   * stage's (`settings.solana.explorerTxUrl`) with a `solanaCluster`, and none on the local chain,
   * which no public explorer knows: `npm run dev` gives the web chat's transaction page.
   */
  explorerTxUrl?: string;
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
   * Real price sources for the rpc worker instead of the local price peer (`npm run dev` with
   * `PRICE_URLS`): their `PRICE_URLS` JSON. The peer runs either way.
   */
  priceUrls?: string;
  /**
   * Meter every AWS request (`npm run cost`): the functions, the SQS pollers and the watch schedule
   * reach DynamoDB, SQS and KMS through metering proxies (`stack.meter`), and each function's SDK
   * names it in its user agent (`AWS_SDK_UA_APP_ID`). The schedule's timer is off, so nothing runs
   * unasked: `watchPoll()` still fires it. Off by default.
   */
  meter?: boolean;
  /**
   * More bots to onboard at start, as `npm run bot:add` does on a deployed stage (registry, sealed
   * token, treasury key, webhook on `/telegram/<botId>`); `npm run dev` starts with a demo one. Needs
   * the functions and the local peer.
   */
  bots?: readonly LocalBotRequest[];
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
  /** The offline price peer: the functions' `PRICE_URLS` (unless `priceUrls` was given). */
  readonly prices: PricePeer;
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
  /** The bots onboarded besides the stack's own (`bots`, then `addBot`), in order. */
  readonly bots: readonly LocalBot[];
  /** Onboards another bot on the running stack, as `npm run bot:add` does. Needs the functions and the local peer. */
  addBot(request: LocalBotRequest): Promise<LocalBot>;
  /** Offboards a bot as its operator, as `npm run bot:remove` does. */
  removeBot(botId: number, operator: number): Promise<OffboardOutcome>;
  /** Stops everything (functions first, then the emulators). Idempotent. */
  stop(): Promise<void>;
}

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Each local RPC endpoint as the functions see it in `SOLANA_RPC_URLS`. */
const LOCAL_RPC_RPS = 50;
/** The local price peer's endpoint as the functions see it in `PRICE_URLS`. */
const LOCAL_PRICE_RPS = 10;

/**
 * Starts KMS (the stage's keys), then DynamoDB, SQS (every queue and DLQ of the stage), the Telegram,
 * Solana and LLM peers side by side on free loopback ports; then, when asked, the meter; unless
 * `functions: false`, builds and runs the functions and registers the webhook with the peer exactly
 * as the deploy script does with Telegram; then the schedules. Each is one starter of `stack/`;
 * a failed start stops those already up, last first, as `stop()` does.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stage = options.stage ?? 'local';
  const settings = stageSettings(stage);
  assertWiring(settings);
  const explorerProblem = options.explorerTxUrl === undefined ? undefined : explorerTxUrlProblem(options.explorerTxUrl);
  if (explorerProblem) throw new Error(`explorerTxUrl ${explorerProblem}`);
  const identity = options.telegram ?? localTelegramIdentity();
  const bot = { ...identity, id: botIdOf(identity.token) };
  const functions = options.functionWiring ?? FUNCTIONS;
  const services = new Services();
  try {
    const dataDir = await services.start(startStackDataDir(stage, options.dataDir));
    const kms = await services.start(startStackKms({ dataDir: dataDir.path, stage }));
    const [dynamodb, sqs, telegram, solana, llm, prices] = await Promise.all([
      services.start(startStackDynamoDb({ dataDir: dataDir.path, stage, functions })),
      services.start(startStackSqs({ stage, settings, maxReceiveCounts: options.maxReceiveCounts })),
      services.start(
        startStackTelegram({
          bot,
          limits: options.telegramLimits,
          retry: options.telegramRetry,
          stateFile: dataDir.stateFile('telegram-peer'),
        }),
      ),
      services.start(
        startStackSolana({
          treasuryKeyAddress: kms.treasuryAddress,
          peer: options.solana,
          stateFile: dataDir.stateFile('solana-chain'),
        }),
      ),
      services.start(startStackLlm()),
      services.start(startStackPrices()),
    ]);
    const wiring: StackWiring = {
      stage,
      tableName: dynamodb.tableName,
      queueUrls: queueUrlsOf(sqs, 'url'),
      dlqUrls: queueUrlsOf(sqs, 'dlqUrl'),
      dynamodbEndpoint: dynamodb.endpoint,
      sqsEndpoint: sqs.endpoint,
      kmsEndpoint: kms.emulator.endpoint,
      keyIds: kms.keyIds,
      telegramApiRoot: options.telegramApiRoot ?? telegram.peer.apiRoot,
      aiBaseUrl: options.aiProvider?.baseUrl ?? llm.baseUrl,
      explorerTxUrl:
        options.explorerTxUrl ?? (options.solanaCluster ? (settings.solana.explorerTxUrl ?? undefined) : undefined),
      secrets: localSecrets(bot, {
        solanaRpcUrls: options.solanaCluster?.rpcUrls ?? solanaRpcUrls(solana, options.solanaRps ?? LOCAL_RPC_RPS),
        priceUrls: options.priceUrls ?? priceUrls(prices, LOCAL_PRICE_RPS),
        treasuryAddress: options.solanaCluster?.treasuryAddress ?? solana.treasury?.address ?? '',
        intakePublicKey: kms.intakePublicKey,
        aiApiKey: options.aiProvider?.apiKey ?? llm.apiKey,
      }),
      ...(options.extraEnv ? { extraEnv: options.extraEnv } : {}),
    };
    const meter = options.meter
      ? await services.start(
          startStackMeter({ dynamodb: dynamodb.endpoint, sqs: sqs.endpoint, kms: kms.emulator.endpoint }),
        )
      : undefined;
    const sqsEndpoint = meter?.endpoints.sqs ?? sqs.endpoint;
    const running =
      (options.functions ?? true)
        ? await services.start(
            startStackFunctions({
              stage,
              settings,
              functions,
              root: PROJECT_ROOT,
              wiring: meter ? meteredWiring(wiring, meter) : wiring,
              userAgentAppIds: meter !== undefined,
              sqs: { endpoint: sqsEndpoint, queues: sqs.queues },
              onLog: options.onFunctionLog,
              // With another Bot API root (real Telegram), updates come from elsewhere.
              registerWebhook: options.telegramApiRoot ? undefined : { apiRoot: telegram.peer.apiRoot, bot },
              enlist: bot,
            }),
          )
        : undefined;
    const tenants =
      running?.webhookUrl && !options.telegramApiRoot
        ? await services.start(
            Promise.resolve(
              localTenants({
                peer: telegram.peer,
                dynamodbEndpoint: dynamodb.endpoint,
                tableName: dynamodb.tableName,
                kmsEndpoint: kms.emulator.endpoint,
                projectKeyId: kms.keyIds.project,
                treasuryAliasPrefix: `${keyAlias(APP, stage, 'treasury')}-`,
                settings,
                webhookUrl: running.webhookUrl,
                masterSecret: bot.webhookSecret,
              }),
            ),
          )
        : undefined;
    const needTenants = () => {
      if (!tenants) throw new Error('bots are onboarded with the functions on and the local Telegram peer');
      return tenants;
    };
    const bots: LocalBot[] = [];
    for (const request of options.bots ?? []) bots.push(await needTenants().add(request));
    // Metered runs fire the schedules themselves (`watchPoll()` still works with the timers off).
    const schedules = await services.start(
      startStackSchedules({ sqsEndpoint, queueUrl: sqs.queues.rpc.url, settings, timers: !meter }),
    );

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
      sqs: { endpoint: sqs.endpoint, queueUrls: wiring.queueUrls, dlqUrls: wiring.dlqUrls },
      kms: Object.assign(kms.emulator, { keyIds: kms.keyIds }),
      telegram: telegram.peer,
      ...(telegram.limiter !== undefined && { telegramLimits: telegram.limiter }),
      solana,
      llm,
      prices,
      bot,
      webhookUrl: running?.webhookUrl,
      ...(running ? { runner: { stats: running.runner.stats, crash: running.runner.crash } } : {}),
      ...(meter && { meter }),
      watchPoll: () => schedules.watchPoll(),
      depositPoll: () => schedules.depositPoll(),
      bots,
      addBot: async (request) => {
        const added = await needTenants().add(request);
        bots.push(added);
        return added;
      },
      removeBot: (botId, operator) => needTenants().remove(botId, operator),
      stop: () => services.stop(),
    };
  } catch (error) {
    await services.stop();
    throw error;
  }
}
export type { LocalBot, LocalBotRequest } from './stack/tenants.js';
