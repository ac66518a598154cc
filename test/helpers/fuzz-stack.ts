/**
 * A local stack for the fuzzers: emulators and peers only (`functions: false`), with this
 * process's environment pointed at them so the functions' own `compose*` code builds its real
 * object graphs here (SDK clients take their endpoints from `AWS_ENDPOINT_URL_*`); the stage's bot
 * is enlisted as registration enlists it. Also the
 * reads a fuzzer makes afterwards: drain a queue, read a session or an update claim.
 */
import { inflateRawSync } from 'node:zlib';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoTenantRegistry } from '../../core/platform/tenants/index.js';
import { type LocalStack, localClientConfig, startLocalStack } from '../../local/index.js';

export interface FuzzStack {
  stack: LocalStack;
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  /** Stops the stack and puts this process's environment back as it was. */
  stop(): Promise<void>;
}

/** Starts the emulators and peers and exports `stack.env` (logs silenced) into `process.env`. */
export async function startFuzzStack(): Promise<FuzzStack> {
  const stack = await startLocalStack({ functions: false, onFunctionLog: () => undefined });
  const saved = new Map<string, string | undefined>();
  const env = { ...stack.env, LOG_LEVEL: 'silent' };
  for (const [name, value] of Object.entries(env)) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
  const dynamo = new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 1 });
  const sqs = new SQSClient({ ...localClientConfig(stack.sqs.endpoint), maxAttempts: 1 });
  // The stage's bot, listed among the tenants as webhook registration lists it: the workers serve it.
  await new DynamoTenantRegistry({ client: dynamo, tableName: stack.dynamodb.tableName }).enlist({
    id: String(stack.bot.id),
    username: stack.bot.botUsername,
  });
  return {
    stack,
    dynamo,
    sqs,
    async stop() {
      dynamo.destroy();
      sqs.destroy();
      await stack.stop();
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}

/** Receives and deletes every message now visible in a queue (FIFO groups included). */
export async function drainQueue(sqs: SQSClient, url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

/** One table item's string attributes (`undefined` when there is no such item). */
export async function readItem(
  dynamo: DynamoDBClient,
  tableName: string,
  pk: string,
  sk: string,
): Promise<Record<string, string> | undefined> {
  const { Item } = await dynamo.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
  );
  if (!Item) return undefined;
  // A long JSON attribute is stored deflated as `<name>Z` (binary): read as the JSON text it holds.
  return Object.fromEntries(
    Object.entries(Item).map(([name, value]) =>
      value.B && name.endsWith('Z')
        ? [name.slice(0, -1), inflateRawSync(value.B).toString('utf8')]
        : [name, value.S ?? value.N ?? ''],
    ),
  );
}
