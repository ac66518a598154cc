import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { ENV, QUEUE_NAMES, stageSettings } from '../../core/desk/settings.js';
import { localClientConfig } from '../../local/aws/common.js';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/index.js';
import { type FunctionWiring, queueResourceNames, SECRETS, secretEnvName } from '../../stacks/manifest.js';
import { listeningServers } from './stack/reachable.js';

const stacks: LocalStack[] = [];
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.stop();
});

async function stack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const started = await startLocalStack(options);
  stacks.push(started);
  return started;
}

/** Fixture handlers in place of the app's functions. */
const FIXTURE_FUNCTIONS: Record<string, FunctionWiring> = {
  webhook: {
    entry: 'test/fixtures/functions/http-echo.ts',
    secrets: ['TELEGRAM_WEBHOOK_SECRET'],
    sendsTo: ['rpc'],
    table: 'none',
  },
  rpcWorker: {
    entry: 'test/fixtures/functions/sqs-consumer.ts',
    secrets: [],
    sendsTo: [],
    consumes: 'rpc',
    table: { read: ['fixture#*'], write: [] },
  },
};

describe('startLocalStack', () => {
  it('holds each function to its table grant: a write outside it is refused as AWS refuses it', async () => {
    const s = await stack({
      functionWiring: {
        webhook: {
          entry: 'test/fixtures/functions/table-probe.ts',
          secrets: [],
          sendsTo: [],
          table: { read: [], write: ['fixture#*'] },
        },
      },
    });
    const probe = async (pk: string) =>
      (await fetch(`${s.webhookUrl}/${s.bot.id}`, { method: 'POST', headers: { 'x-probe-pk': pk } })).json();
    expect(await probe('fixture#1')).toEqual({ ok: true });
    expect(await probe('payout#1')).toEqual({ error: 'AccessDeniedException' });
    expect(await probe('fixtures#1')).toEqual({ error: 'AccessDeniedException' });
  });

  it('exposes every variable a function needs, pointing at the running emulators', async () => {
    const s = await stack({ functions: false, extraEnv: { LOG_LEVEL: 'silent' } });

    expect(s.env).toMatchObject({
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: s.dynamodb.endpoint,
      AWS_ENDPOINT_URL_SQS: s.sqs.endpoint,
      [ENV.stage]: 'local',
      [ENV.tableName]: s.dynamodb.tableName,
      [ENV.telegramApiRoot]: s.telegram.apiRoot,
      [secretEnvName('TELEGRAM_BOT_TOKEN')]: s.bot.token,
      [secretEnvName('TELEGRAM_WEBHOOK_SECRET')]: s.bot.webhookSecret,
      [secretEnvName('TELEGRAM_BOT_USERNAME')]: s.bot.botUsername,
      LOG_LEVEL: 'silent',
    });
    expect(s.env.AWS_ACCESS_KEY_ID).toBeTruthy();
    expect(s.env.AWS_SECRET_ACCESS_KEY).toBeTruthy();
    for (const name of QUEUE_NAMES) expect(s.env[ENV.queueUrl[name]]).toBe(s.sqs.queueUrls[name]);
    for (const name of SECRETS) expect(s.env[secretEnvName(name)]).toMatch(/\S/);
    expect(s.bot.token).toMatch(/^\d+:[A-Za-z0-9_-]{20,}$/);
    expect(s.webhookUrl).toBeUndefined();
    expect(s.runner).toBeUndefined();
  });

  it('creates the table and the stage queues and DLQs named from the settings', async () => {
    const s = await stack({ stage: 'qa', functions: false });
    const settings = stageSettings('qa');
    const dynamo = new DynamoDBClient(localClientConfig(s.dynamodb.endpoint));
    const sqs = new SQSClient(localClientConfig(s.sqs.endpoint));
    try {
      const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: s.dynamodb.tableName }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      for (const name of QUEUE_NAMES) {
        const names = queueResourceNames('qa', name, settings.queues[name]);
        expect(s.sqs.queueUrls[name].endsWith(`/${names.queue}`)).toBe(true);
        expect(s.sqs.dlqUrls[name].endsWith(`/${names.dlq}`)).toBe(true);
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: s.sqs.queueUrls[name], AttributeNames: ['VisibilityTimeout'] }),
        );
        expect(Attributes?.VisibilityTimeout).toBe(String(settings.queues[name].visibilityTimeoutSeconds));
      }
    } finally {
      dynamo.destroy();
      sqs.destroy();
    }
  });

  it("gives DynamoDB's TTL sweep and its conflict switch to tests", async () => {
    const s = await stack({ functions: false });
    const dynamo = new DynamoDBClient({ ...localClientConfig(s.dynamodb.endpoint), maxAttempts: 1 });
    try {
      const Item = {
        pk: { S: 'stack#ttl' },
        sk: { S: 'x' },
        expiresAt: { N: String(Math.floor(Date.now() / 1000) - 60) },
      };
      await dynamo.send(new PutItemCommand({ TableName: s.dynamodb.tableName, Item }));
      expect(await s.dynamodb.sweepExpired()).toBe(1);
      expect(
        (await dynamo.send(new GetItemCommand({ TableName: s.dynamodb.tableName, Key: { pk: Item.pk, sk: Item.sk } })))
          .Item,
      ).toBeUndefined();

      s.dynamodb.setTransactionConflicts({ next: 1 });
      const write = new TransactWriteItemsCommand({
        TransactItems: [{ Put: { TableName: s.dynamodb.tableName, Item } }],
      });
      await expect(dynamo.send(write)).rejects.toMatchObject({
        name: 'TransactionCanceledException',
        CancellationReasons: [{ Code: 'TransactionConflict' }],
      });
      expect(s.dynamodb.transactionConflicts).toBe(1);
      await dynamo.send(write);
    } finally {
      dynamo.destroy();
    }
  });

  it('runs two stacks at once on different ports', async () => {
    const [a, b] = await Promise.all([stack({ functions: false }), stack({ functions: false })]);
    expect(new Set([a.dynamodb.endpoint, b.dynamodb.endpoint, a.sqs.endpoint, b.sqs.endpoint]).size).toBe(4);
    expect(a.telegram.apiRoot).not.toBe(b.telegram.apiRoot);
  });

  it('removes its temporary data dir on stop, keeps a given one, and stops idempotently', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stack-test-'));
    try {
      const kept = await startLocalStack({ functions: false, dataDir });
      await Promise.all([kept.stop(), kept.stop()]);
      await expect(stat(join(dataDir, 'dynamodb'))).resolves.toBeDefined();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('stops every service it started, last first, and removes its temp dir when a starter fails', async () => {
    // A stage of its own, so no other test file's temp dirs are counted.
    const ours = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('local-stack-failing-'));
    const before = { servers: listeningServers(), dirs: await ours() };
    await expect(
      startLocalStack({
        stage: 'failing',
        functionWiring: {
          webhook: { entry: 'test/fixtures/functions/missing.ts', secrets: [], sendsTo: [], table: 'none' },
        },
        onFunctionLog: () => undefined,
      }),
    ).rejects.toThrow();
    expect(listeningServers()).toBe(before.servers);
    expect(await ours()).toEqual(before.dirs);
  });

  it('serves the webhook route, registers it with the Telegram peer and feeds consumers from their queue', async () => {
    const s = await stack({ functionWiring: FIXTURE_FUNCTIONS });
    const settings = stageSettings('local');

    expect(s.webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/telegram$/);
    // Each bot on its own path: the stack's own bot's.
    expect(s.telegram.webhookInfo()).toMatchObject({
      url: `${s.webhookUrl}/${s.bot.id}`,
      max_connections: settings.webhook.maxConnections,
      allowed_updates: settings.webhook.allowedUpdates,
    });

    // The webhook gets only what its wiring binds: its own secret and queue, no table.
    const names = [
      ENV.telegramApiRoot,
      secretEnvName('TELEGRAM_WEBHOOK_SECRET'),
      secretEnvName('TELEGRAM_BOT_TOKEN'),
      ENV.queueUrl.rpc,
      ENV.queueUrl.notify,
      ENV.tableName,
    ];
    const response = await fetch(`${s.webhookUrl}/${s.bot.id}`, {
      method: 'POST',
      headers: { 'x-echo-env': names.join(',') },
    });
    expect(await response.json()).toEqual({
      TELEGRAM_API_ROOT: s.telegram.apiRoot,
      [secretEnvName('TELEGRAM_WEBHOOK_SECRET')]: s.bot.webhookSecret,
      [secretEnvName('TELEGRAM_BOT_TOKEN')]: null,
      [ENV.queueUrl.rpc]: s.sqs.queueUrls.rpc,
      [ENV.queueUrl.notify]: null,
      [ENV.tableName]: null,
    });

    const sqs = new SQSClient(localClientConfig(s.sqs.endpoint));
    await sqs.send(
      new SendMessageCommand({ QueueUrl: s.sqs.queueUrls.rpc, MessageBody: JSON.stringify({ id: 'job-1' }) }),
    );
    sqs.destroy();
    const deadline = Date.now() + 5_000;
    while ((s.runner?.stats().queues.rpc?.deleted ?? 0) < 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(s.runner?.stats().queues.rpc).toMatchObject({ invocations: 1, deleted: 1 });
    expect(s.runner?.stats().functions.rpcWorker).toMatchObject({ invocations: 1, errors: 0 });
  });
});
