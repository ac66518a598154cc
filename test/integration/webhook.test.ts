import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, localClientConfig, localTelegramIdentity, startLocalStack } from '../../local/index.js';
import { postToWebhook } from '../helpers/tenants.js';
import { textUpdate } from '../helpers/updates.js';

let dataDir: string;
let stack: LocalStack;
const identity = localTelegramIdentity();

/** Every partition key in the table (the local tables are small), any tenant's prefix (`t<botId>/`) taken off. */
async function storedKeys(s: LocalStack): Promise<string[]> {
  const client = new DynamoDBClient(localClientConfig(s.dynamodb.endpoint));
  const { Items = [] } = await client.send(
    new ScanCommand({ TableName: s.dynamodb.tableName, ProjectionExpression: 'pk' }),
  );
  return Items.map((item) => (item.pk?.S ?? '').replace(/^t\d+\//, ''));
}

async function queuedNotifications(s: LocalStack): Promise<number> {
  const client = new SQSClient(localClientConfig(s.sqs.endpoint));
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: s.sqs.queueUrls.notify,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}

const silent = () => undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'webhook-it-'));
  stack = await startLocalStack({ dataDir, telegram: identity, onFunctionLog: silent });
});
afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('webhook on the local stack', () => {
  it('lets a user /start, pick a language and see the menu edited in place', async () => {
    const user = stack.telegram.user(201, { first_name: 'Mei' });
    await user.sendText('/start');
    const prompt = await stack.telegram.waitFor(() => user.lastBotMessage(), 10_000);
    expect(prompt.text).toContain('Choose your language');
    await user.pressButton(prompt.message_id, 'lang:zh');
    const menu = await stack.telegram.waitFor(() => {
      const m = user.lastBotMessage();
      return m && m.history.length > 0 ? m : undefined;
    }, 10_000);
    expect(menu.message_id).toBe(prompt.message_id);
    expect(menu.text).toContain('钱包服务台');
    expect(user.botMessages()).toHaveLength(1);
    const answers = stack.telegram.calls('answerCallbackQuery');
    expect(answers.at(-1)).toMatchObject({ ok: true, viaWebhookResponse: true });
  });

  it('answers a wrong secret with 401 and stores nothing', async () => {
    const update = textUpdate({ id: 301 }, '/start');
    expect((await postToWebhook(stack, update, 'wrong')).status).toBe(401);
    expect((await postToWebhook(stack, update, '')).status).toBe(401);
    // The deployment's secret is not the bot's: each bot's is derived from it.
    expect((await postToWebhook(stack, update, stack.bot.webhookSecret)).status).toBe(401);
    expect((await storedKeys(stack)).filter((k) => k.includes('301'))).toEqual([]);
  });

  it('answers malformed and unknown updates with 200 and stores nothing', async () => {
    expect((await postToWebhook(stack, '{"update_id": "x"')).status).toBe(200);
    expect((await postToWebhook(stack, { update_id: 5, poll: { id: 'p' } })).status).toBe(200);
    expect(
      (await postToWebhook(stack, { update_id: 6, message: { chat: { id: 302 }, from: { id: 302 } } })).status,
    ).toBe(200);
    const keys = await storedKeys(stack);
    // Chat 302's items (`session#302:302`…), not any key whose update id happens to hold "302".
    expect(keys.filter((k) => /(^|[#:])302(:|$)/.test(k) || k === 'update#5' || k === 'update#6')).toEqual([]);
  });

  it('processes a redelivered update once', async () => {
    const user = stack.telegram.user(202);
    await user.sendText('hello');
    await stack.telegram.waitFor(() => user.lastBotMessage(), 10_000);
    // The chat's send slot (1 message per second) is free again, so the reply rides in the response.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const update = textUpdate({ id: 202 }, '/help');
    const first = await (await postToWebhook(stack, update)).json();
    const second = await (await postToWebhook(stack, update)).json();
    expect(first).toMatchObject({ method: 'sendMessage', chat_id: 202 });
    expect(second).toEqual(first);
  });

  it('answers 5xx while DynamoDB is down, enqueues nothing, and applies the update once when it is back', async () => {
    const user = stack.telegram.user(203, { first_name: 'Ola' });
    await user.sendText('/start');
    const prompt = await stack.telegram.waitFor(() => user.lastBotMessage(), 10_000);
    await stack.telegram.idle(10_000);
    // The new user's directory entry and admin digest (its window is 5 s) drain first.
    for (let i = 0; i < 150 && (await queuedNotifications(stack)) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await queuedNotifications(stack)).toBe(0);
    await stack.dynamodb.stop();
    const before = stack.telegram.deliveries().length;
    const press = await user.pressButton(prompt.message_id, 'lang:en');
    const queryId = press.callback_query?.id;
    const failed = await stack.telegram.waitFor(() => {
      const attempts = stack.telegram.deliveries().slice(before);
      return attempts.length >= 2 ? attempts : undefined;
    }, 10_000);
    expect(failed.every((d) => d.status !== undefined && d.status >= 500)).toBe(true);
    expect(await queuedNotifications(stack)).toBe(0);
    expect(user.lastBotMessage()?.history).toHaveLength(0);
    await stack.dynamodb.start();
    const edited = await stack.telegram.waitFor(() => {
      const m = user.lastBotMessage();
      return m && m.history.length > 0 ? m : undefined;
    }, 20_000);
    expect(edited.text).toContain('Solana wallet desk');
    await stack.telegram.idle(10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(user.lastBotMessage()?.history).toHaveLength(1);
    const answers = stack.telegram.calls('answerCallbackQuery').filter((c) => c.params.callback_query_id === queryId);
    expect(answers.map((c) => c.ok)).toEqual([true]);
  });

  it('keeps the chosen language across a restart on the same data folder', async () => {
    await stack.stop();
    stack = await startLocalStack({ dataDir, telegram: identity, onFunctionLog: silent });
    const user = stack.telegram.user(201, { first_name: 'Mei' });
    await user.sendText('/start');
    const menu = await stack.telegram.waitFor(() => user.lastBotMessage(), 10_000);
    expect(menu.text).toContain('钱包服务台');
  });
});
