import * as z from 'zod/mini';
import { parseAdminIds } from '../../core/desk/admin/index.js';
import { ENV, QUEUE_NAMES, type QueueName, type StageSettings, stageSettings } from '../../core/desk/settings.js';
import { ConfigError } from '../../core/platform/errors.js';
import { parseIntakePublicKey } from '../../core/platform/keys/index.js';
import { explorerTxUrlProblem } from '../../core/platform/settings.js';
import { APP_NAME } from '../../stacks/app.js';
import { keyAlias, type SecretName, secretEnvName } from '../../stacks/manifest.js';

/**
 * Function configuration, parsed and validated once per container from the environment the
 * stacks (or `local/`) set. Required values have no defaults: a missing one fails the cold
 * start with the variable's name, never its value.
 */
const nonEmpty = z.string().check(z.minLength(1));
const url = z.url();
const secret = (name: SecretName, schema: z.ZodMiniString = nonEmpty) => ({ [secretEnvName(name)]: schema });

const botToken = z.string().check(z.regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, 'a Telegram bot token'));
const webhookSecret = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9_-]{43,256}$/,
      '43–256 characters of A-Z a-z 0-9 _ - (every bot’s webhook secret derives from it)',
    ),
  );
const chatId = z.string().check(z.regex(/^-?\d{1,20}$/, 'a numeric Telegram chat id'));
const base58Address = z.string().check(z.regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/, 'a base58 Solana address'));
const username = z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/, 'a Telegram username without @'));
const userIds = z.string().check(z.regex(/^\d{1,20}(,\d{1,20})*$/, 'comma-separated numeric Telegram user ids'));
const base64 = z.string().check(z.regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'));
const explorerTxUrl = z
  .string()
  .check(z.refine((template) => explorerTxUrlProblem(template) === undefined, 'an http(s) URL with {signature} once'));
const logLevel = z.optional(z.enum(['debug', 'info', 'warn', 'error', 'silent']));

function parse<S extends z.ZodMiniObject>(schema: S, env: Readonly<Record<string, string | undefined>>): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

export interface BaseConfig {
  stage: string;
  settings: StageSettings;
  logLevel: z.infer<typeof logLevel>;
  tableName: string;
}

function base(env: Record<string, string>): BaseConfig {
  const stage = env[ENV.stage]!;
  return {
    stage,
    settings: stageSettings(stage),
    logLevel: env.LOG_LEVEL as BaseConfig['logLevel'],
    tableName: env[ENV.tableName]!,
  };
}

const BaseSchema = z.object({ [ENV.stage]: nonEmpty, [ENV.tableName]: nonEmpty, LOG_LEVEL: logLevel });
const queueUrls = (queues: readonly QueueName[]) => Object.fromEntries(queues.map((q) => [ENV.queueUrl[q], url]));

/** Any bot's webhook: its table, the queues it sends to, and its Telegram identity. */
export interface BotWebhookConfig extends BaseConfig {
  queueUrls: Partial<Record<QueueName, string>>;
  telegram: { apiRoot: string; token: string; webhookSecret: string; username: string };
}

const botWebhookSchema = (queues: readonly QueueName[]) =>
  z.extend(BaseSchema, {
    ...queueUrls(queues),
    [ENV.telegramApiRoot]: url,
    ...secret('TELEGRAM_BOT_TOKEN', botToken),
    ...secret('TELEGRAM_WEBHOOK_SECRET', webhookSecret),
    ...secret('TELEGRAM_BOT_USERNAME', username),
  });

function botWebhookFields(values: Record<string, string>, queues: readonly QueueName[]): BotWebhookConfig {
  return {
    ...base(values),
    queueUrls: Object.fromEntries(queues.map((q) => [q, values[ENV.queueUrl[q]]!])),
    telegram: {
      apiRoot: values[ENV.telegramApiRoot]!,
      token: values[secretEnvName('TELEGRAM_BOT_TOKEN')]!,
      webhookSecret: values[secretEnvName('TELEGRAM_WEBHOOK_SECRET')]!,
      username: values[secretEnvName('TELEGRAM_BOT_USERNAME')]!,
    },
  };
}

/** The config of a bot's webhook that sends jobs to `queues` (a bot on the platform other than the desk). */
export function botWebhookConfig(
  env: Readonly<Record<string, string | undefined>>,
  queues: readonly QueueName[],
): BotWebhookConfig {
  return botWebhookFields(parse(botWebhookSchema(queues), env) as Record<string, string>, queues);
}

export interface WebhookConfig extends BotWebhookConfig {
  queueUrls: Record<QueueName, string>;
  /** Where admin commands are taken. */
  adminChatId: number;
  /** Who may approve payouts. */
  adminUserIds: ReadonlySet<number>;
  /** The intake key's public key (SPKI DER): users' secrets are sealed to it. */
  intakePublicKey: Uint8Array;
  /** The deposit address shown to users. */
  treasuryAddress: string;
}

/** The wallet desk's webhook: a bot webhook sending to every queue, with the desk's own secrets. */
export function webhookConfig(env: Readonly<Record<string, string | undefined>>): WebhookConfig {
  const schema = z.extend(botWebhookSchema(QUEUE_NAMES), {
    ...secret('ADMIN_CHAT_ID', chatId),
    ...secret('ADMIN_USER_IDS', userIds),
    ...secret('VAULT_INTAKE_KEY', base64),
    ...secret('TREASURY_ADDRESS', base58Address),
  });
  const values = parse(schema, env) as Record<string, string>;
  return {
    ...botWebhookFields(values, QUEUE_NAMES),
    queueUrls: Object.fromEntries(QUEUE_NAMES.map((q) => [q, values[ENV.queueUrl[q]]!])) as Record<QueueName, string>,
    adminUserIds: admins(values),
    intakePublicKey: parseIntakePublicKey(values[secretEnvName('VAULT_INTAKE_KEY')]!),
    treasuryAddress: values[secretEnvName('TREASURY_ADDRESS')]!,
    adminChatId: Number(values[secretEnvName('ADMIN_CHAT_ID')]),
  };
}

/** `ADMIN_USER_IDS`, in the config of every function that applies an admin's decision (it checks the admin again). */
const admins = (values: Record<string, string>) => parseAdminIds(values[secretEnvName('ADMIN_USER_IDS')]!);

/** The admins, as a worker that applies their decisions knows them (core/desk/admin/access.ts). */
export interface AdminCheckingConfig {
  adminUserIds: ReadonlySet<number>;
}

/** Every consumer parks poison messages in its own DLQ, and delays retries on its own queue. */
export interface ConsumerConfig extends BaseConfig {
  /** The queue it consumes (to change its messages' visibility). */
  queueUrl: string;
  deadLetterQueueUrl: string;
}

const consumerSchema = (queue: QueueName) =>
  z.extend(BaseSchema, { [ENV.deadLetterQueueUrl]: url, [ENV.queueUrl[queue]]: url });

function consumerBase(values: Record<string, string>, queue: QueueName): ConsumerConfig {
  return {
    ...base(values),
    queueUrl: values[ENV.queueUrl[queue]]!,
    deadLetterQueueUrl: values[ENV.deadLetterQueueUrl]!,
  };
}

export interface NotifyWorkerConfig extends ConsumerConfig, AdminCheckingConfig {
  telegram: { apiRoot: string; token: string; username: string };
  adminChatId: number;
  /** The project key: registered bots' tokens are sealed under its data keys. */
  keys: { project: string };
}

export function notifyWorkerConfig(env: Readonly<Record<string, string | undefined>>): NotifyWorkerConfig {
  const schema = z.extend(consumerSchema('notify'), {
    [ENV.telegramApiRoot]: url,
    [ENV.keyId.project]: nonEmpty,
    ...secret('TELEGRAM_BOT_TOKEN', botToken),
    ...secret('TELEGRAM_BOT_USERNAME', username),
    ...secret('ADMIN_CHAT_ID', chatId),
    ...secret('ADMIN_USER_IDS', userIds),
  });
  const values = parse(schema, env) as Record<string, string>;
  return {
    ...consumerBase(values, 'notify'),
    adminUserIds: admins(values),
    telegram: {
      apiRoot: values[ENV.telegramApiRoot]!,
      token: values[secretEnvName('TELEGRAM_BOT_TOKEN')]!,
      username: values[secretEnvName('TELEGRAM_BOT_USERNAME')]!,
    },
    adminChatId: Number(values[secretEnvName('ADMIN_CHAT_ID')]),
    keys: { project: values[ENV.keyId.project]! },
  };
}

export interface AiWorkerConfig extends ConsumerConfig {
  /** Answers go to the notify queue, and nowhere else. */
  queueUrls: Pick<Record<QueueName, string>, 'notify'>;
  /** The assistant's provider: its Chat Completions base URL (`AI_BASE_URL`) and key (`AI_API_KEY`). */
  provider: { baseUrl: string; apiKey: string };
}

/** Config of the ai worker: the table, the notify queue it answers through, and the provider. */
export function aiWorkerConfig(env: Readonly<Record<string, string | undefined>>): AiWorkerConfig {
  const schema = z.extend(consumerSchema('ai'), {
    ...queueUrls(['notify']),
    [ENV.aiBaseUrl]: url,
    ...secret('AI_API_KEY'),
  });
  const values = parse(schema, env) as Record<string, string>;
  return {
    ...consumerBase(values, 'ai'),
    queueUrls: { notify: values[ENV.queueUrl.notify]! },
    provider: { baseUrl: values[ENV.aiBaseUrl]!, apiKey: values[secretEnvName('AI_API_KEY')]! },
  };
}

export interface RpcWorkerConfig extends ConsumerConfig, AdminCheckingConfig {
  /** notify for answers; rpc for the jobs a job fans out into (watch checks); payouts for the signer. */
  queueUrls: Pick<Record<QueueName, string>, 'notify' | 'rpc' | 'payouts'>;
  /** The raw `SOLANA_RPC_URLS` secret; parsed by the RPC pool (it names problems without echoing URLs). */
  solanaRpcUrls: string;
  /** The raw `PRICE_URLS` secret (the same shape); parsed with `parseRpcEndpoints(json, 'PRICE_URLS')`. */
  priceUrls: string;
  treasuryAddress: string;
}

/** Config of the rpc worker: a worker's, plus the Solana RPC endpoints. */
export function rpcWorkerConfig(env: Readonly<Record<string, string | undefined>>): RpcWorkerConfig {
  const schema = z.extend(consumerSchema('rpc'), {
    ...queueUrls(['notify', 'rpc', 'payouts']),
    ...secret('SOLANA_RPC_URLS'),
    ...secret('PRICE_URLS'),
    ...secret('TREASURY_ADDRESS', base58Address),
    ...secret('ADMIN_USER_IDS', userIds),
  });
  const values = parse(schema, env) as Record<string, string>;
  return {
    ...consumerBase(values, 'rpc'),
    adminUserIds: admins(values),
    queueUrls: {
      notify: values[ENV.queueUrl.notify]!,
      rpc: values[ENV.queueUrl.rpc]!,
      payouts: values[ENV.queueUrl.payouts]!,
    },
    solanaRpcUrls: values[secretEnvName('SOLANA_RPC_URLS')]!,
    priceUrls: values[secretEnvName('PRICE_URLS')]!,
    treasuryAddress: values[secretEnvName('TREASURY_ADDRESS')]!,
  };
}

export interface VaultWorkerConfig extends ConsumerConfig, AdminCheckingConfig {
  queueUrls: Pick<Record<QueueName, string>, 'notify'>;
  /** The project key (data keys of users' secrets, bots' tokens) and the intake key (what the webhook sealed). */
  keys: { project: string; intake: string };
  /**
   * What onboarding a bot from the manager bot needs: the Bot API root, the master secret each bot's
   * webhook secret derives from, and the alias prefix of tenants' treasury keys (`npm run bot:add`'s).
   */
  onboarding: { apiRoot: string; masterSecret: string; treasuryAliasPrefix: string };
}

/** Config of the vault worker: the table, the notify queue, its two keys, and what onboarding a bot needs. */
export function vaultWorkerConfig(env: Readonly<Record<string, string | undefined>>): VaultWorkerConfig {
  const schema = z.extend(consumerSchema('vault'), {
    ...queueUrls(['notify']),
    [ENV.keyId.project]: nonEmpty,
    [ENV.keyId.intake]: nonEmpty,
    [ENV.telegramApiRoot]: url,
    ...secret('ADMIN_USER_IDS', userIds),
    ...secret('TELEGRAM_WEBHOOK_SECRET', webhookSecret),
  });
  const values = parse(schema, env) as Record<string, string>;
  return {
    ...consumerBase(values, 'vault'),
    adminUserIds: admins(values),
    queueUrls: { notify: values[ENV.queueUrl.notify]! },
    keys: { project: values[ENV.keyId.project]!, intake: values[ENV.keyId.intake]! },
    onboarding: {
      apiRoot: values[ENV.telegramApiRoot]!,
      masterSecret: values[secretEnvName('TELEGRAM_WEBHOOK_SECRET')]!,
      treasuryAliasPrefix: `${keyAlias(APP_NAME, values[ENV.stage]!, 'treasury')}-`,
    },
  };
}

export interface SignerConfig extends ConsumerConfig, AdminCheckingConfig {
  /** notify for answers; rpc for `payout.prepare` and `tx.send`. */
  queueUrls: Pick<Record<QueueName, string>, 'notify' | 'rpc'>;
  /** The treasury's KMS key. */
  treasuryKeyId: string;
  /** The configured treasury address; the key's own address must match it. */
  treasuryAddress: string;
  /** The decisions queue it also consumes, and that queue's DLQ. */
  decisions: { queueUrl: string; deadLetterQueueUrl: string };
  /** A paid withdrawal's explorer link template (`{signature}`); no link when unset. */
  explorerTxUrl: string | undefined;
}

/** Config of the signer: the table, its queues, the treasury key and address (no RPC, no Telegram). */
export function signerConfig(env: Readonly<Record<string, string | undefined>>): SignerConfig {
  const schema = z.extend(consumerSchema('payouts'), {
    ...queueUrls(['notify', 'rpc', 'decisions']),
    [ENV.deadLetterQueueUrls.decisions]: url,
    [ENV.keyId.treasury]: nonEmpty,
    ...secret('TREASURY_ADDRESS', base58Address),
    ...secret('ADMIN_USER_IDS', userIds),
    [ENV.explorerTxUrl]: z.optional(explorerTxUrl),
  });
  const values = parse(schema, env) as Record<string, string>;
  return {
    ...consumerBase(values, 'payouts'),
    explorerTxUrl: values[ENV.explorerTxUrl],
    adminUserIds: admins(values),
    queueUrls: { notify: values[ENV.queueUrl.notify]!, rpc: values[ENV.queueUrl.rpc]! },
    treasuryKeyId: values[ENV.keyId.treasury]!,
    treasuryAddress: values[secretEnvName('TREASURY_ADDRESS')]!,
    decisions: {
      queueUrl: values[ENV.queueUrl.decisions]!,
      deadLetterQueueUrl: values[ENV.deadLetterQueueUrls.decisions]!,
    },
  };
}

/** Config of the alarm notifier: Telegram and the admin chat only (no table, no queue). */
export interface AlarmNotifierConfig {
  stage: string;
  logLevel: BaseConfig['logLevel'];
  telegram: { apiRoot: string; token: string };
  adminChatId: number;
}

export function alarmNotifierConfig(env: Readonly<Record<string, string | undefined>>): AlarmNotifierConfig {
  const schema = z.object({
    [ENV.stage]: nonEmpty,
    LOG_LEVEL: logLevel,
    [ENV.telegramApiRoot]: url,
    ...secret('TELEGRAM_BOT_TOKEN', botToken),
    ...secret('ADMIN_CHAT_ID', chatId),
  });
  const values = parse(schema, env) as Record<string, string>;
  return {
    stage: values[ENV.stage]!,
    logLevel: values.LOG_LEVEL as BaseConfig['logLevel'],
    telegram: { apiRoot: values[ENV.telegramApiRoot]!, token: values[secretEnvName('TELEGRAM_BOT_TOKEN')]! },
    adminChatId: Number(values[secretEnvName('ADMIN_CHAT_ID')]),
  };
}
