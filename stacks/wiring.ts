import * as cdk from 'aws-cdk-lib';
/**
 * Function wiring: turns a `FunctionWiring` (stacks/manifest.ts) into a Lambda function whose
 * environment, secrets and IAM are exactly what the wiring declares, and nothing more.
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { type App, type FunctionProps, Function as SstFunction, type Stack } from 'sst/constructs';
import { ENV, QUEUE_NAMES, type QueueName, stageSettings } from '../core/desk/settings.js';
import {
  consumedQueues,
  FUNCTION_LOGGING,
  type FunctionWiring,
  type KeyGrant,
  type KeyName,
  keyAlias,
} from './manifest.js';
import type { AppSecrets } from './Secrets.js';
import { statefulRemovalPolicy } from './stage.js';
import { assertKeyPatterns, TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS, type TableGrant } from './table-grants.js';

/** Bot API root given to functions that talk to Telegram (`local/` points it at its Telegram peer). */
export const TELEGRAM_API_ROOT = 'https://api.telegram.org';

/**
 * The table statements of a grant (stacks/table-grants.ts): the read actions on the partition keys it
 * may read, the write actions on those it may write, each conditioned on `dynamodb:LeadingKeys` with
 * `ForAllValues:StringLike`. Every granted action names its partition keys (no Scan, no PartiQL), and
 * the condition is evaluated per item in batches and transactions. No secondary indexes yet: when one
 * appears, add `${tableArn}/index/<name>` to the read statement's resources.
 */
export function tableStatements(grant: TableGrant, tableArn: string): iam.PolicyStatement[] {
  const statement = (actions: readonly string[], patterns: readonly string[]) =>
    new iam.PolicyStatement({
      actions: [...actions],
      resources: [tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...patterns] } },
    });
  return [
    ...(grant.read.length > 0 ? [statement(TABLE_READ_ACTIONS, grant.read)] : []),
    ...(grant.write.length > 0 ? [statement(TABLE_WRITE_ACTIONS, grant.write)] : []),
  ];
}

/**
 * What a principal reading or writing items of a table encrypted with a customer-managed key needs
 * from that key: DynamoDB calls `kms:Decrypt` with the caller's credentials to unwrap the table key
 * (cached about 5 minutes per principal); data keys are made by DynamoDB itself, and the
 * create-time calls (GenerateDataKey, CreateGrant, DescribeKey) run as CloudFormation's role.
 * Granted only with `kms:ViaService`, so no function can use the key directly.
 * See the DynamoDB Developer Guide, "Encryption at rest: usage notes" (table keys, authorizing use
 * of your KMS key), and the AWS KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS".
 */
export const TABLE_KEY_ACTIONS = ['kms:Decrypt'] as const;

/** The resources a function may be wired to. */
export interface WiringResources {
  readonly table: dynamodb.ITable;
  /** The key the table is encrypted with. */
  readonly tableKey: kms.IKey;
  readonly secrets: AppSecrets;
  /** Queues by name; every queue a wiring sends to must be present. */
  readonly queues: Readonly<Partial<Record<QueueName, sqs.IQueue>>>;
  /** Their DLQs; a consumer parks poison messages in its own. */
  readonly deadLetterQueues: Readonly<Partial<Record<QueueName, sqs.IQueue>>>;
  /** The stage's KMS keys; every key a wiring is granted must be present. */
  readonly keys: Readonly<Partial<Record<KeyName, kms.IKey>>>;
}

/** The per-function knobs that are not wiring (sizing comes from `stageSettings`). */
export type WiredFunctionProps = Pick<FunctionProps, 'timeout' | 'memorySize' | 'enableLiveDev' | 'url'> & {
  /** Export of `wiring.entry` that is the handler (default `handler`). */
  readonly handlerExport?: string;
};

/** IAM allows role names of at most 64 characters. */
const MAX_ROLE_NAME = 64;

/**
 * The execution role name of function `id` (its construct id, a `FUNCTIONS` key): fixed, so the key
 * policies (stacks/Keys.ts, deployed before the functions) can name the roles that use each key.
 */
export function functionRoleName(app: string, stage: string, id: string): string {
  const name = `${app}-${stage}-${id}`;
  if (name.length > MAX_ROLE_NAME || !/^[\w+=,.@-]+$/.test(name)) {
    throw new Error(`Role name ${name} is not a valid IAM role name (at most ${MAX_ROLE_NAME} of [A-Za-z0-9+=,.@_-])`);
  }
  return name;
}

/**
 * Creates the function of `wiring` in `stack` with its environment, secret bindings and IAM, its
 * role named by `functionRoleName`, its own log group kept `logs.retentionDays` (stage settings),
 * and the logging of `FUNCTION_LOGGING` (JSON, Lambda's own lines at WARN, ours at INFO).
 */
export function wiredFunction(
  stack: Stack,
  id: string,
  wiring: FunctionWiring,
  resources: WiringResources,
  props: WiredFunctionProps,
): SstFunction {
  const { handlerExport = 'handler', ...sizing } = props;
  const logGroup = new logs.LogGroup(stack, `${id}Logs`, {
    retention: stageSettings(stack.stage).logs.retentionDays as logs.RetentionDays,
    removalPolicy: statefulRemovalPolicy(stack.stage),
  });
  const fn = new SstFunction(stack, id, {
    ...sizing,
    handler: handlerPath(wiring.entry, handlerExport),
    environment: functionEnvironment(stack.stage, wiring, resources),
    bind: wiring.secrets.map((name) => resources.secrets[name]),
    logGroup,
    loggingFormat: lambda.LoggingFormat[FUNCTION_LOGGING.format],
    systemLogLevelV2: lambda.SystemLogLevel[FUNCTION_LOGGING.systemLogLevel],
    applicationLogLevelV2: lambda.ApplicationLogLevel[FUNCTION_LOGGING.applicationLogLevel],
  });
  const role = fn.role?.node.defaultChild;
  if (!(role instanceof iam.CfnRole)) throw new Error(`${id}: expected the function to create its own role`);
  role.roleName = functionRoleName((stack.node.root as App).name, stack.stage, id);
  for (const statement of policyStatements(stack.region, wiring, resources)) fn.addToRolePolicy(statement);
  return fn;
}

/** SST handler string (`dir/file.export`) for a source entry such as `functions/webhook.ts`. */
export function handlerPath(entry: string, exportName: string): string {
  return `${entry.replace(/\.[cm]?[jt]sx?$/, '')}.${exportName}`;
}

/** Holding the bot token, or onboarding bots with theirs, is what makes a function talk to the Bot API. */
export function talksToTelegram(wiring: FunctionWiring): boolean {
  return wiring.secrets.includes('TELEGRAM_BOT_TOKEN') || wiring.onboardsBots === true;
}

/**
 * The environment a function reads its wiring from (names from `ENV`, shared with `local/`): its
 * stage, the table, the URL of each queue it sends to or consumes (a consumer changes its own
 * messages' visibility), every queue's and DLQ's URL if it inspects queues, and the Bot API root
 * if it talks to Telegram, the assistant provider's base URL if it holds the provider's key, and
 * the stage's explorer link template if it links transactions (and the stage has one).
 */
export function functionEnvironment(
  stage: string,
  wiring: FunctionWiring,
  resources: WiringResources,
): Record<string, string> {
  const environment: Record<string, string> = {
    [ENV.stage]: stage,
    [ENV.tableName]: resources.table.tableName,
  };
  const consumed = consumedQueues(wiring);
  for (const name of QUEUE_NAMES.filter((q) => wiring.sendsTo.includes(q) || consumed.includes(q))) {
    environment[ENV.queueUrl[name]] = queueOf(resources, name).queueUrl;
  }
  if (wiring.consumes) environment[ENV.deadLetterQueueUrl] = deadLetterQueueOf(resources, wiring.consumes).queueUrl;
  // The DLQs of the queues it consumes beside `consumes`, by queue.
  for (const name of wiring.alsoConsumes ?? []) {
    environment[ENV.deadLetterQueueUrls[name]] = deadLetterQueueOf(resources, name).queueUrl;
  }
  if (wiring.inspectsQueues) {
    for (const name of QUEUE_NAMES) {
      environment[ENV.queueUrl[name]] = queueOf(resources, name).queueUrl;
      environment[ENV.deadLetterQueueUrls[name]] = deadLetterQueueOf(resources, name).queueUrl;
    }
  }
  if (talksToTelegram(wiring)) environment[ENV.telegramApiRoot] = TELEGRAM_API_ROOT;
  if (wiring.secrets.includes('AI_API_KEY')) environment[ENV.aiBaseUrl] = stageSettings(stage).ai.baseUrl;
  const explorer = stageSettings(stage).solana.explorerTxUrl;
  if (wiring.linksTransactions && explorer !== null) environment[ENV.explorerTxUrl] = explorer;
  for (const grant of wiring.keys ?? []) environment[ENV.keyId[grant.key]] = keyOf(resources, grant.key).keyArn;
  return environment;
}

/**
 * Least-privilege statements for a wiring: item actions on its granted partition keys of the table, key use only through
 * DynamoDB, `sqs:SendMessage` on exactly the queues it sends to, and, for the function that
 * inspects queues, `sqs:GetQueueAttributes` (depths only: it can neither receive nor delete) on
 * every queue and DLQ. (Consuming is granted by the event source mapping, on the consumed queue
 * only; secrets by their binding.)
 */
export function policyStatements(
  region: string,
  wiring: FunctionWiring,
  resources: WiringResources,
): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  if (wiring.table !== 'none') {
    assertKeyPatterns(wiring.entry, wiring.table);
    statements.push(...tableStatements(wiring.table, resources.table.tableArn));
    statements.push(
      new iam.PolicyStatement({
        actions: [...TABLE_KEY_ACTIONS],
        resources: [resources.tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
      }),
    );
  }
  const sendTargets = [
    ...wiring.sendsTo.map((name) => queueOf(resources, name).queueArn),
    ...consumedQueues(wiring).map((name) => deadLetterQueueOf(resources, name).queueArn),
  ];
  if (sendTargets.length > 0) {
    statements.push(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: sendTargets }));
  }
  if (wiring.inspectsQueues) {
    const inspected = QUEUE_NAMES.flatMap((name) => [
      queueOf(resources, name).queueArn,
      deadLetterQueueOf(resources, name).queueArn,
    ]);
    statements.push(new iam.PolicyStatement({ actions: ['sqs:GetQueueAttributes'], resources: inspected }));
  }
  for (const grant of wiring.keys ?? []) statements.push(keyStatement(grant, resources));
  if (wiring.tenantTreasuryKeys) {
    // The keys `bot:add` made for registered bots: any key of the account and region tagged with a tenant.
    const stack = cdk.Stack.of(resources.table);
    statements.push(
      new iam.PolicyStatement({
        actions: [...wiring.tenantTreasuryKeys],
        resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
        conditions: { StringLike: { 'aws:ResourceTag/tenant': '*' } },
      }),
    );
  }
  if (wiring.onboardsBots) statements.push(...onboardingStatements(resources));
  return statements;
}

/**
 * Making registered bots' treasury keys, and nothing more: `CreateKey` (which names no resource)
 * and the `TagResource` it needs only with the `tenant` tag and no other tag, so every key made is
 * one the tenant statements cover; `CreateAlias` only for an alias under the stage's tenant
 * treasury prefix, pointing at a tenant-tagged key (CreateAlias is authorized on both).
 */
function onboardingStatements(resources: WiringResources): iam.PolicyStatement[] {
  const stack = cdk.Stack.of(resources.table);
  const app = stack.node.root as App;
  const tenantTag = {
    Null: { 'aws:RequestTag/tenant': 'false' },
    'ForAllValues:StringEquals': { 'aws:TagKeys': ['tenant'] },
  };
  const aliasPrefix = keyAlias(app.name, app.stage, 'treasury').replace(/^alias\//, '');
  return [
    new iam.PolicyStatement({ actions: ['kms:CreateKey'], resources: ['*'], conditions: tenantTag }),
    new iam.PolicyStatement({
      actions: ['kms:TagResource'],
      resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
      conditions: tenantTag,
    }),
    new iam.PolicyStatement({
      actions: ['kms:CreateAlias'],
      resources: [stack.formatArn({ service: 'kms', resource: 'alias', resourceName: `${aliasPrefix}-*` })],
    }),
    new iam.PolicyStatement({
      actions: ['kms:CreateAlias'],
      resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
      conditions: { StringLike: { 'aws:ResourceTag/tenant': '*' } },
    }),
  ];
}

/**
 * Direct use of one key: exactly the granted actions on exactly that key, and, for a grant with
 * `purposes`, only under an encryption context whose `purpose` is one of them (so a function
 * allowed to open users' secrets can open nothing else sealed under the same key).
 */
function keyStatement(grant: KeyGrant, resources: WiringResources): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: [...grant.actions],
    resources: [keyOf(resources, grant.key).keyArn],
    ...(grant.purposes
      ? { conditions: { StringEquals: { 'kms:EncryptionContext:purpose': [...grant.purposes] } } }
      : {}),
  });
}

function keyOf(resources: WiringResources, name: KeyName): kms.IKey {
  const key = resources.keys[name];
  if (!key) throw new Error(`Wiring is granted the ${name} key, but it was not provided`);
  return key;
}

function deadLetterQueueOf(resources: WiringResources, name: QueueName): sqs.IQueue {
  const queue = resources.deadLetterQueues[name];
  if (!queue) throw new Error(`Wiring consumes or inspects the ${name} queue, but its DLQ was not provided`);
  return queue;
}

function queueOf(resources: WiringResources, name: QueueName): sqs.IQueue {
  const queue = resources.queues[name];
  if (!queue) throw new Error(`Wiring sends to or inspects the ${name} queue, but it was not provided`);
  return queue;
}
