/**
 * Function wiring: turns a `FunctionWiring` (core/settings.ts) into a Lambda function whose
 * environment, secrets and IAM are exactly what the wiring declares, and nothing more.
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { type FunctionProps, Function as SstFunction, type Stack } from 'sst/constructs';
import {
  ENV,
  type FunctionWiring,
  type KeyGrant,
  type KeyName,
  QUEUE_NAMES,
  type QueueName,
  stageSettings,
} from '../core/settings.js';
import type { AppSecrets } from './Secrets.js';

/** Bot API root given to functions that talk to Telegram (`local/` points it at its Telegram peer). */
export const TELEGRAM_API_ROOT = 'https://api.telegram.org';

/**
 * Item-level DynamoDB actions per access level. No Scan and no table administration: every
 * access pattern is a key lookup or a query, and transactions need only these item actions.
 */
export const TABLE_ACTIONS = {
  none: [],
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  readwrite: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
  ],
} as const satisfies Record<FunctionWiring['table'], readonly string[]>;

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
export type WiredFunctionProps = Pick<FunctionProps, 'timeout' | 'memorySize' | 'enableLiveDev'> & {
  /** Export of `wiring.entry` that is the handler (default `handler`). */
  readonly handlerExport?: string;
};

/** Creates the function of `wiring` in `stack` with its environment, secret bindings and IAM. */
export function wiredFunction(
  stack: Stack,
  id: string,
  wiring: FunctionWiring,
  resources: WiringResources,
  props: WiredFunctionProps,
): SstFunction {
  const { handlerExport = 'handler', ...sizing } = props;
  const fn = new SstFunction(stack, id, {
    ...sizing,
    handler: handlerPath(wiring.entry, handlerExport),
    environment: functionEnvironment(stack.stage, wiring, resources),
    bind: wiring.secrets.map((name) => resources.secrets[name]),
  });
  for (const statement of policyStatements(stack.region, wiring, resources)) fn.addToRolePolicy(statement);
  return fn;
}

/** SST handler string (`dir/file.export`) for a source entry such as `functions/webhook.ts`. */
export function handlerPath(entry: string, exportName: string): string {
  return `${entry.replace(/\.[cm]?[jt]sx?$/, '')}.${exportName}`;
}

/** Holding the bot token is what makes a function talk to the Bot API. */
export function talksToTelegram(wiring: FunctionWiring): boolean {
  return wiring.secrets.includes('TELEGRAM_BOT_TOKEN');
}

/**
 * The environment a function reads its wiring from (names from `ENV`, shared with `local/`): its
 * stage, the table, the URL of each queue it sends to or consumes (a consumer changes its own
 * messages' visibility), every queue's and DLQ's URL if it inspects queues, and the Bot API root
 * if it talks to Telegram, and the assistant provider's base URL if it holds the provider's key.
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
  for (const name of QUEUE_NAMES.filter((q) => wiring.sendsTo.includes(q) || wiring.consumes === q)) {
    environment[ENV.queueUrl[name]] = queueOf(resources, name).queueUrl;
  }
  if (wiring.consumes) environment[ENV.deadLetterQueueUrl] = deadLetterQueueOf(resources, wiring.consumes).queueUrl;
  if (wiring.inspectsQueues) {
    for (const name of QUEUE_NAMES) {
      environment[ENV.queueUrl[name]] = queueOf(resources, name).queueUrl;
      environment[ENV.deadLetterQueueUrls[name]] = deadLetterQueueOf(resources, name).queueUrl;
    }
  }
  if (talksToTelegram(wiring)) environment[ENV.telegramApiRoot] = TELEGRAM_API_ROOT;
  if (wiring.secrets.includes('AI_API_KEY')) environment[ENV.aiBaseUrl] = stageSettings(stage).ai.baseUrl;
  for (const grant of wiring.keys ?? []) environment[ENV.keyId[grant.key]] = keyOf(resources, grant.key).keyArn;
  return environment;
}

/**
 * Least-privilege statements for a wiring: item actions on the table, key use only through
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
  const tableActions = TABLE_ACTIONS[wiring.table];
  if (tableActions.length > 0) {
    // No secondary indexes yet; add `${tableArn}/index/*` here when one appears.
    statements.push(new iam.PolicyStatement({ actions: [...tableActions], resources: [resources.table.tableArn] }));
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
    ...(wiring.consumes ? [deadLetterQueueOf(resources, wiring.consumes).queueArn] : []),
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
  return statements;
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
