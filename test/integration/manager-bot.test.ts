import { randomBytes } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTenantRegistry } from '../../core/platform/tenants/index.js';
import { localClientConfig } from '../../local/aws/common.js';
import { type LocalStack, type LogLine, startLocalStack } from '../../local/index.js';
import { registerSecret } from '../setup/secrets.js';

/**
 * The manager bot on the local stack: an operator sends a new bot's BotFather token to the
 * deployment's own bot; the message is deleted, the vault worker onboards the bot, which then
 * answers its own users; /mybots and /usage show it, /removebot takes it off. Strangers can neither
 * see nor remove it, nor take it over, and a token posted anywhere else is deleted and refused.
 */
let stack: LocalStack;
let client: DynamoDBClient;
const logs: LogLine[] = [];
const BOT_ID = 700_500_001;
const USERNAME = 'fresh_desk_bot';
const TOKEN = `${BOT_ID}:AA${randomBytes(33).toString('base64url').slice(0, 33)}`;
const SECRET_PART = TOKEN.split(':')[1]!;
const OPERATOR = 5_101;
const STRANGER = 5_102;
const WAIT = 30_000;

beforeAll(async () => {
  registerSecret(TOKEN);
  stack = await startLocalStack({ onFunctionLog: (line) => logs.push(line) });
  client = new DynamoDBClient(localClientConfig(stack.dynamodb.endpoint));
  // A bot just made in BotFather: hosted by the peer, with no webhook yet.
  stack.telegram.addBot({ token: TOKEN, bot: { id: BOT_ID, username: USERNAME, first_name: 'Fresh desk' } });
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await stack?.stop();
});

const registry = () => new DynamoTenantRegistry({ client, tableName: stack.dynamodb.tableName });

/** The first message of the home bot to `user` containing `text`, waited for. */
function answer(user: ReturnType<LocalStack['telegram']['user']>, text: string) {
  return stack.telegram.waitFor(() => user.botMessages().find((m) => !m.deleted && m.text.includes(text)), WAIT);
}

async function tableText(): Promise<string> {
  const items: unknown[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: stack.dynamodb.tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return JSON.stringify(items);
}

describe('the manager bot (local stack)', () => {
  it('onboards a bot from its token: the message is deleted at once, the bot answers its own users', async () => {
    const operator = stack.telegram.user(OPERATOR);
    await operator.sendText('/addbot');
    await answer(operator, 'Add your bot to the platform');

    const sent = await operator.sendText(`  ${TOKEN}\n`);
    await answer(operator, 'Token received');
    await answer(operator, `✅ @${USERNAME} is on the platform: plan Free, payouts off.`);
    const deletion = stack.telegram
      .calls('deleteMessage', { bot: stack.bot.id })
      .find((call) => call.params.message_id === sent.message?.message_id);
    expect(deletion).toBeDefined();
    expect(operator.messages().some((m) => m.text?.includes(SECRET_PART))).toBe(false);

    const record = await registry().get(String(BOT_ID));
    expect(record).toMatchObject({
      status: 'active',
      plan: 'free',
      operators: [OPERATOR],
      features: { payouts: false },
    });
    expect(stack.telegram.bot(BOT_ID).webhookInfo().url).toBe(`${stack.webhookUrl}/${BOT_ID}`);

    const customer = stack.telegram.user(5_201).to(BOT_ID);
    await customer.sendText('/start');
    await stack.telegram.waitFor(() => customer.botMessages().length > 0, WAIT);
  });

  it('lists the operator’s bots (/mybots) and their usage (/usage)', async () => {
    const operator = stack.telegram.user(OPERATOR);
    await operator.sendText('/mybots');
    const list = await answer(operator, 'Your bots');
    expect(list.text).toContain(`@${USERNAME} (${BOT_ID}): 🟢 active, plan Free`);
    await operator.sendText('/usage');
    await answer(operator, `Usage of @${USERNAME}`);
  });

  it('lets no stranger see, remove or take over the bot', async () => {
    const stranger = stack.telegram.user(STRANGER);
    await stranger.sendText('/mybots');
    await answer(stranger, 'You have no bots on the platform yet');
    await stranger.sendText(`/removebot ${BOT_ID}`);
    const confirm = await answer(stranger, `Remove bot ${BOT_ID} from the platform?`);
    await stranger.pressButton(confirm.message_id, `mgr:rm:${BOT_ID}`);
    await answer(stranger, `You operate no bot ${BOT_ID} here.`);

    await stranger.sendText(TOKEN);
    await answer(stranger, 'already on the platform for another operator');
    expect(await registry().get(String(BOT_ID))).toMatchObject({ status: 'active', operators: [OPERATOR] });
  });

  it('deletes and refuses a token posted in a group or sent to a registered bot', async () => {
    const stranger = stack.telegram.user(STRANGER);
    const group = stack.telegram.group(-100_950, 'Lobby');
    await group.sendText(stranger, `look: ${TOKEN}`);
    await stack.telegram.waitFor(() => group.botMessages().find((m) => m.text.includes('held a bot token')), WAIT);
    expect(group.messages().some((m) => m.text?.includes(SECRET_PART))).toBe(false);

    const toBot = stranger.to(BOT_ID);
    await toBot.sendText(TOKEN);
    await stack.telegram.waitFor(() => toBot.botMessages().find((m) => m.text.includes('held a bot token')), WAIT);
    expect(toBot.messages().some((m) => m.text?.includes(SECRET_PART))).toBe(false);
  });

  it('removes the bot for its operator after the confirm button (/removebot)', async () => {
    const operator = stack.telegram.user(OPERATOR);
    await operator.sendText(`/removebot ${BOT_ID}`);
    const confirm = await stack.telegram.waitFor(
      () => operator.botMessages().findLast((m) => m.text.includes(`Remove bot ${BOT_ID}`)),
      WAIT,
    );
    await operator.pressButton(confirm.message_id, `mgr:rm:${BOT_ID}`);
    await answer(operator, `@${USERNAME} is off the platform`);
    expect((await registry().get(String(BOT_ID)))?.status).toBe('removed');
    expect(stack.telegram.bot(BOT_ID).webhookInfo().url).toBe('');
  });

  it('kept the token out of the table and every function’s log lines', async () => {
    expect(await tableText()).not.toContain(SECRET_PART);
    const lines = logs.map((log) => log.line);
    expect(lines.join('\n')).not.toContain(SECRET_PART);
    // The lines are there: the vault worker logged the onboarding, the webhook the refusals.
    expect(logs.some((log) => log.functionName.endsWith('vaultWorker') && log.line.includes('manager.onboard'))).toBe(
      true,
    );
    expect(lines.some((line) => line.includes('manager.token_refused'))).toBe(true);
  });
});
