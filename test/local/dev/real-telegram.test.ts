import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTenantRegistry } from '../../../core/platform/tenants/index.js';
import { pollRealTelegram } from '../../../local/dev/real-telegram.js';
import { type LocalStack, localClientConfig, localTelegramIdentity, startLocalStack } from '../../../local/index.js';
import { startTelegramPeer, type TelegramPeer } from '../../../local/telegram/index.js';

/**
 * `npm run dev` with a token: updates are long-polled from Telegram and handed to the local
 * webhook. A second peer stands in for api.telegram.org (no webhook set, so it serves getUpdates).
 */
describe('dev mode with a bot token', () => {
  const identity = localTelegramIdentity();
  let telegram: TelegramPeer;
  let stack: LocalStack;
  const stop = new AbortController();
  let polling: Promise<void>;

  beforeAll(async () => {
    telegram = await startTelegramPeer({
      token: identity.token,
      bot: { id: 123456789, username: identity.botUsername, first_name: 'Desk' },
    });
    stack = await startLocalStack({
      telegram: identity,
      telegramApiRoot: telegram.apiRoot,
      onFunctionLog: () => undefined,
    });
    polling = pollRealTelegram({
      token: identity.token,
      apiRoot: telegram.apiRoot,
      stack,
      pollSeconds: 1,
      signal: stop.signal,
    });
  });
  afterAll(async () => {
    stop.abort();
    await polling;
    await stack.stop();
    await telegram.stop();
  });

  it('delivers polled updates to the webhook and executes its replies against the same Telegram', async () => {
    const user = telegram.user(401, { first_name: 'Poll' });
    await user.sendText('/start');
    const prompt = await telegram.waitFor(() => user.lastBotMessage(), 10_000);
    expect(prompt.text).toContain('Choose your language');
    await user.pressButton(prompt.message_id, 'lang:en');
    const menu = await telegram.waitFor(() => {
      const m = user.lastBotMessage();
      return m && m.history.length > 0 ? m : undefined;
    }, 10_000);
    expect(menu.text).toContain('Solana wallet desk');
    expect(stack.telegram.calls('sendMessage')).toEqual([]);
  });

  it("enlists the bot as a tenant though its webhook is not the stack's to register, so the schedules run for it", async () => {
    const client = new DynamoDBClient(localClientConfig(stack.dynamodb.endpoint));
    try {
      expect(await new DynamoTenantRegistry({ client, tableName: stack.dynamodb.tableName }).active()).toEqual([
        String(stack.bot.id),
      ]);
    } finally {
      client.destroy();
    }
  });
});
