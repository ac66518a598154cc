/**
 * The environment variables of the local stack and of each function, named by `ENV`,
 * `secretEnvName` and the AWS SDK's standard variables, exactly as the stacks set them on AWS
 * (plus the endpoint variables that point the SDK at the emulators).
 */
import { ENV, QUEUE_NAMES, type QueueName } from '../../core/desk/settings.js';
import {
  consumedQueues,
  type FunctionWiring,
  KEY_NAMES,
  type KeyName,
  SECRETS,
  type SecretName,
  secretEnvName,
} from '../../stacks/manifest.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../aws/common.js';
import { functionAccessKeyId } from '../aws/dynamodb-access.js';

/** Where everything of one local stack is. */
export interface StackWiring {
  readonly stage: string;
  readonly tableName: string;
  readonly queueUrls: Readonly<Record<QueueName, string>>;
  readonly dlqUrls: Readonly<Record<QueueName, string>>;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly kmsEndpoint: string;
  /** Key ids in the KMS emulator, as the stacks pass key ARNs. */
  readonly keyIds: Readonly<Record<KeyName, string>>;
  readonly telegramApiRoot: string;
  /** The local LLM peer's base URL (`AI_BASE_URL`). */
  readonly aiBaseUrl: string;
  /** The explorer link template (`EXPLORER_TX_URL`) of the functions that link transactions; none when absent. */
  readonly explorerTxUrl?: string | undefined;
  /** Secret values (SST passes plain values to functions in dev, as `SST_Secret_value_<NAME>`). */
  readonly secrets: Readonly<Record<SecretName, string>>;
  /** Added to every function's environment last (wins over the rest). */
  readonly extraEnv?: Readonly<Record<string, string>>;
}

function awsEnv(w: StackWiring): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: w.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SQS: w.sqsEndpoint,
    AWS_ENDPOINT_URL_KMS: w.kmsEndpoint,
    [ENV.stage]: w.stage,
    [ENV.telegramApiRoot]: w.telegramApiRoot,
    [ENV.aiBaseUrl]: w.aiBaseUrl,
  };
}

const queueEnv = (w: StackWiring, queues: readonly QueueName[]): Record<string, string> =>
  Object.fromEntries(queues.map((q) => [ENV.queueUrl[q], w.queueUrls[q]]));

const dlqEnv = (w: StackWiring, queues: readonly QueueName[]): Record<string, string> =>
  Object.fromEntries(queues.map((q) => [ENV.deadLetterQueueUrls[q], w.dlqUrls[q]]));

const secretEnv = (w: StackWiring, secrets: readonly SecretName[]): Record<string, string> =>
  Object.fromEntries(secrets.map((name) => [secretEnvName(name), w.secrets[name]]));

const keyEnv = (w: StackWiring, keys: readonly KeyName[]): Record<string, string> =>
  Object.fromEntries(keys.map((k) => [ENV.keyId[k], w.keyIds[k]]));

/** Every variable any function could need: the table, every queue and DLQ URL, every key and every secret. */
export function stackEnv(w: StackWiring): Record<string, string> {
  return {
    ...awsEnv(w),
    [ENV.tableName]: w.tableName,
    ...queueEnv(w, QUEUE_NAMES),
    ...dlqEnv(w, QUEUE_NAMES),
    ...keyEnv(w, KEY_NAMES),
    ...secretEnv(w, SECRETS),
    ...(w.explorerTxUrl !== undefined && { [ENV.explorerTxUrl]: w.explorerTxUrl }),
    ...w.extraEnv,
  };
}

/**
 * What one function is given, as the stack binds it: the table only if it uses it, the URLs of
 * the queues it sends to (and of the queue it consumes, to change a message's visibility), every
 * queue's and DLQ's URL if it inspects queues, the keys it is granted, and only its own secrets.
 * Given its `name`, it signs with its own access key id, by which the local DynamoDB holds it to its
 * table grant (`local/aws/dynamodb-access.ts`). (Neither KMS nor SQS enforce IAM locally: the infra
 * tests check those grants.)
 */
export function functionEnv(wiring: FunctionWiring, w: StackWiring, name?: string): Record<string, string> {
  const consumed = consumedQueues(wiring);
  const queues = wiring.inspectsQueues
    ? QUEUE_NAMES
    : QUEUE_NAMES.filter((q) => wiring.sendsTo.includes(q) || consumed.includes(q));
  return {
    ...awsEnv(w),
    ...(wiring.table === 'none' ? {} : { [ENV.tableName]: w.tableName }),
    ...queueEnv(w, queues),
    ...(wiring.inspectsQueues ? dlqEnv(w, QUEUE_NAMES) : dlqEnv(w, wiring.alsoConsumes ?? [])),
    ...(wiring.consumes ? { [ENV.deadLetterQueueUrl]: w.dlqUrls[wiring.consumes] } : {}),
    ...keyEnv(
      w,
      (wiring.keys ?? []).map((grant) => grant.key),
    ),
    ...secretEnv(w, wiring.secrets),
    ...(wiring.linksTransactions && w.explorerTxUrl !== undefined ? { [ENV.explorerTxUrl]: w.explorerTxUrl } : {}),
    ...(name === undefined ? {} : { AWS_ACCESS_KEY_ID: functionAccessKeyId(name) }),
    ...w.extraEnv,
  };
}
