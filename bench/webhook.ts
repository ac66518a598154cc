import { inflateRawSync } from 'node:zlib';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { webhookSecretOf } from '../core/platform/onboarding/index.js';
import { scopeToTenant } from '../core/platform/tenants/index.js';
import type { LocalStack } from '../local/index.js';
import { percentile, type Row, ratioRow } from './stats.js';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

function event(body: unknown, botId: string, secret: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /telegram/{botId}',
    rawPath: `/telegram/${botId}`,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {} as APIGatewayProxyEventV2['requestContext'],
  };
}

/** A button press that reads and writes the session and enqueues one job (the menu edit). */
function languagePress(updateId: number, userId: number) {
  const from = { id: userId, is_bot: false, first_name: `u${userId}` };
  return {
    update_id: updateId,
    callback_query: {
      id: `q${updateId}`,
      from,
      chat_instance: `c${userId}`,
      data: userId % 2 ? 'lang:en' : 'lang:zh',
      message: { message_id: 1, date: 1, chat: { id: userId, type: 'private' }, text: 'menu' },
    },
  };
}

/**
 * Per-update webhook time on the local stack against the raw calls that update needs (one
 * consistent GetItem, one conditional PutItem of the same item, one SendMessageBatch of the
 * same job), made directly with the SDK in the same run, interleaved update by update.
 */
export async function benchWebhookPath(stack: LocalStack, updates = 600, users = 100): Promise<Row[]> {
  Object.assign(process.env, stack.env, { LOG_LEVEL: 'silent' });
  const { handler } = (await import('../functions/webhook.js')) as { handler: Handler };
  const botId = String(stack.bot.id);
  const secret = webhookSecretOf(stack.env.SST_Secret_value_TELEGRAM_WEBHOOK_SECRET!, botId);
  // The same tenant-scoped client the webhook's stores use.
  const dynamo = scopeToTenant(new DynamoDBClient({}), botId);
  const sqs = new SQSClient({});
  const table = stack.dynamodb.tableName;
  const context = {} as Context;

  async function raw(userId: number, index: number) {
    const key = { pk: { S: `session#${userId}:${userId}` }, sk: { S: 'session' } };
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
    await dynamo.send(
      new PutItemCommand({
        TableName: table,
        Item: { ...Item, pk: { S: `bench#${userId}` } },
        ConditionExpression: 'attribute_not_exists(pk) OR version <> :v',
        ExpressionAttributeValues: { ':v': { N: '-1' } },
      }),
    );
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.sqs.queueUrls.notify,
        Entries: [
          {
            Id: '0',
            // The stored outbox, as long as the job the webhook sends (sessions over 200 bytes are deflated).
            MessageBody:
              Item?.processed?.S ?? (Item?.processedZ?.B ? inflateRawSync(Item.processedZ.B).toString() : '{}'),
            MessageGroupId: `${botId}.chat-${userId}`,
            MessageDeduplicationId: `${botId}.bench-${index}`,
          },
        ],
      }),
    );
  }

  // Warm both paths (connections, JIT, first session writes) before measuring.
  for (let u = 0; u < users; u++)
    await handler(event(languagePress(1_000_000 + u, 10_000 + u), botId, secret), context);
  for (let u = 0; u < Math.min(users, 20); u++) await raw(10_000 + u, -u - 1);

  const ours: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < updates; i++) {
    const userId = 10_000 + (i % users);
    let t = performance.now();
    const response = await handler(event(languagePress(2_000_000 + i, userId), botId, secret), context);
    ours.push(performance.now() - t);
    if (response.statusCode !== 200) throw new Error(`webhook answered ${response.statusCode}`);
    t = performance.now();
    await raw(userId, i);
    baseline.push(performance.now() - t);
  }
  return [
    ratioRow('webhook update p50 (session r/w + 1 job)', percentile(ours, 50), percentile(baseline, 50), 'ms', 1.5),
    ratioRow('webhook update p99', percentile(ours, 99), percentile(baseline, 99), 'ms', 1.5),
  ];
}
