import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSessionStore } from '../../core/platform/sessions/dynamodb-store.js';
import { type LocalStack, type LogLine, localClientConfig, startLocalStack } from '../../local/index.js';
import { homeScope } from '../helpers/tenants.js';
import { secretCanary } from '../setup/secrets.js';

let stack: LocalStack;
let dynamo: DynamoDBClient;
const logs: LogLine[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: (line) => logs.push(line) });
  dynamo = new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 1 });
});
afterAll(() => stack?.stop());

const waitForText = (chatId: number, includes: string, timeoutMs = 20_000) =>
  stack.telegram.waitFor(() => stack.telegram.sent(chatId).find((m) => m.text.includes(includes)), timeoutMs);

describe('the secret vault on the local stack', () => {
  it('stores a secret sent in chat under KMS, deletes the message, and shows it only masked', async () => {
    const value = secretCanary('exchange-key');
    const user = stack.telegram.user(801);
    await user.sendText('/setsecret exchange_key');
    await waitForText(801, 'Send the value of');
    await user.sendText(value);

    const stored = await waitForText(801, 'Stored');
    expect(stored.text).toBe(`🔐 Stored exchange_key: ••••••${value.slice(-4)}`);
    // The value is gone from the chat, and was never echoed by the bot.
    expect(user.messages().some((m) => m.text === value)).toBe(false);
    expect(stack.telegram.sent(801).some((m) => m.text.includes(value))).toBe(false);

    // At rest: an envelope under the project key, nothing readable.
    const { Item } = await homeScope(stack, dynamo).send(
      new GetItemCommand({
        TableName: stack.dynamodb.tableName,
        Key: { pk: { S: 'secrets#801' }, sk: { S: 'exchange_key' } },
      }),
    );
    expect(Item?.envelope?.S).toMatch(/^wd1:/);
    expect(JSON.stringify(Item)).not.toContain(value);

    await user.sendText('/checksecret exchange_key');
    await waitForText(801, 'opens correctly');
    await user.sendText('/secrets');
    const list = await waitForText(801, 'Your secrets');
    expect(list.text).toContain('exchange_key');

    // No function printed it, not even the webhook that received it.
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((line) => JSON.stringify(line).includes(value))).toEqual([]);
    // Nor the sealed form's session copy: the session holds only ciphertext.
    // Read as the webhook reads it (a long session is stored deflated): data, processed updates, outboxes.
    const sessions = new DynamoSessionStore({
      client: homeScope(stack, dynamo),
      tableName: stack.dynamodb.tableName,
      sessionIdleSeconds: 86_400,
      updateDedupeSeconds: 3_600,
    });
    const session = await sessions.load('801:801');
    expect(session.version).toBeGreaterThan(0);
    expect(JSON.stringify(session)).not.toContain(value);
  });
});
