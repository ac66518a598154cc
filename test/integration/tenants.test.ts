import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger } from '../../core/desk/ledger/index.js';
import { PayoutRequestJob } from '../../core/desk/payouts/index.js';
import { fifoQueues } from '../../core/desk/settings.js';
import { SqsJobQueue, sealJobs } from '../../core/platform/jobs/index.js';
import { webhookSecretOf } from '../../core/platform/onboarding/index.js';
import { TelegramSendJob } from '../../core/platform/telegram/index.js';
import { DynamoTenantRegistry, scopeToTenant, tenantKeyPrefix } from '../../core/platform/tenants/index.js';
import { localClientConfig } from '../../local/aws/common.js';
import { type LocalBot, type LocalStack, startLocalStack } from '../../local/index.js';
import { payRequest, pressPaidUntil, requestDeposit } from '../helpers/stack-deposits.js';

/** Two bots on one local stack: the stage's own desk, and a second one onboarded as `npm run bot:add` does. */
let stack: LocalStack;
let second: LocalBot;
let client: DynamoDBClient;
/** A bot onboarded without payouts. */
let plain: LocalBot;
const OPERATOR = 7_001;

beforeAll(async () => {
  stack = await startLocalStack({
    bots: [{ username: 'second_desk_bot', name: 'Second desk', operator: OPERATOR, adminUserIds: [OPERATOR] }],
    onFunctionLog: () => undefined,
    // 50-ms slots: a deposit is finalized (32 slots) in under 2 s instead of 13.
    solana: { slotMs: 50 },
  });
  second = stack.bots[0]!;
  client = new DynamoDBClient(localClientConfig(stack.dynamodb.endpoint));
}, 120_000);
afterAll(async () => {
  client?.destroy();
  await stack?.stop();
});

/** Every partition key in the table, read raw. */
async function allKeys(): Promise<string[]> {
  const keys: string[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: stack.dynamodb.tableName, ExclusiveStartKey: start, ProjectionExpression: 'pk' }),
    );
    keys.push(...(page.Items ?? []).map((item) => item.pk?.S ?? ''));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return keys;
}

/** Sends `/lang` to `bot` as `user`, and picks `lang` on the keyboard it answers with. */
async function pickLanguage(user: ReturnType<LocalStack['telegram']['user']>, lang: 'en' | 'zh') {
  await user.sendText('/lang');
  const menu = await stack.telegram.waitFor(
    () => user.botMessages().findLast((m) => m.text.includes('Choose your language') || m.text.includes('选择')),
    20_000,
  );
  const press = await user.pressButton(menu.message_id, `lang:${lang}`);
  return stack.telegram.waitFor(() => {
    const state = stack.telegram.bot(user.botId).callbackQuery(press.callback_query!.id);
    return state?.answered ? state.answer?.text : undefined;
  }, 20_000);
}

describe('many bots on one deployment (local stack)', () => {
  it('onboards a second bot: its own webhook route and secret, its command menus, its sealed token and treasury key', async () => {
    const peerBot = stack.telegram.bot(second.id);
    expect(peerBot.webhookInfo()).toMatchObject({ url: `${stack.webhookUrl}/${second.id}` });
    const secret = stack.telegram.calls('setWebhook', { bot: second.id }).at(-1)?.params.secret_token;
    expect(secret).toBe(webhookSecretOf(stack.bot.webhookSecret, String(second.id)));
    expect(secret).not.toBe(webhookSecretOf(stack.bot.webhookSecret, String(stack.bot.id)));
    expect(peerBot.myCommands('all_private_chats').map((c) => c.command)).toContain('balance');

    const registry = new DynamoTenantRegistry({ client, tableName: stack.dynamodb.tableName });
    const record = await registry.get(String(second.id));
    expect(record).toMatchObject({ status: 'active', username: 'second_desk_bot', operators: [OPERATOR] });
    expect(record?.treasury?.address).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    expect(record?.treasury?.address).not.toBe(stack.solana.treasury?.address);
    expect(record?.sealedToken.startsWith('wd1:')).toBe(true);
    // The token itself is nowhere in the table.
    expect(JSON.stringify(await allKeys())).not.toContain(second.token.split(':')[1]);
    expect(await registry.active()).toEqual(expect.arrayContaining([String(stack.bot.id), String(second.id)]));
  });

  it('talks to one user as two bots, each with its own session, language and messages', {
    timeout: 120_000,
  }, async () => {
    const home = stack.telegram.user(42_001, { first_name: 'Ana', language_code: 'en' });
    const other = home.to(second.id);
    expect(await pickLanguage(other, 'zh')).toBe('语言已设置为中文。');
    await home.sendText('/help');
    await other.sendText('/help');
    const homeHelp = await stack.telegram.waitFor(
      () => home.botMessages().find((m) => m.text.includes('/balance')),
      20_000,
    );
    const otherHelp = await stack.telegram.waitFor(
      () => other.botMessages().find((m) => m.text.includes('/balance') && /[\u4e00-\u9fff]/.test(m.text)),
      20_000,
    );
    // The same user, the same chat id, two bots: the home bot still speaks English.
    expect(homeHelp.text).not.toMatch(/[\u4e00-\u9fff]/);
    expect(stack.telegram.sent(42_001, { bot: second.id }).map((m) => m.message_id)).toContain(otherHelp.message_id);
    // Each bot sent with its own token: no call of one bot's answers went out under the other's.
    const homeCalls = stack.telegram.calls(undefined, { bot: stack.bot.id }).filter((c) => c.params.chat_id === 42_001);
    const otherCalls = stack.telegram.calls(undefined, { bot: second.id }).filter((c) => c.params.chat_id === 42_001);
    expect(homeCalls.length).toBeGreaterThan(0);
    expect(otherCalls.length).toBeGreaterThan(0);

    const keys = await allKeys();
    const session = (bot: number) => `${tenantKeyPrefix(String(bot))}session#42001:42001`;
    expect(keys).toContain(session(stack.bot.id));
    expect(keys).toContain(session(second.id));
    // Every item is either a tenant's (under its prefix) or the deployment's own (registry, webhook URL, RPC cache and counters).
    const deployment = /^(tenants|tenant#\d+|operator#\d+|deployment|rpccache#.*|counters#rpc)$/;
    const stray = keys.filter(
      (pk) =>
        !pk.startsWith(tenantKeyPrefix(String(stack.bot.id))) &&
        !pk.startsWith(tenantKeyPrefix(String(second.id))) &&
        !deployment.test(pk),
    );
    expect(stray).toEqual([]);
  });

  it('takes a deposit to the second bot’s own treasury, credited to its user there and nowhere else', {
    timeout: 150_000,
  }, async () => {
    const payer = Keypair.generate();
    await stack.solana.svm.airdrop(payer.publicKey, 2_000_000_000n);
    const home = stack.telegram.user(42_004, { first_name: 'Dee', language_code: 'en' });
    const user = home.to(second.id);
    await user.sendText(payer.publicKey.toBase58());
    await stack.telegram.waitFor(() => user.botMessages().find((m) => m.text.includes('is a wallet')), 30_000);
    const request = await requestDeposit(stack, user, '0.5');
    const treasury = second.record.treasury!.address;
    expect(request.url.startsWith(`solana:${treasury}?`)).toBe(true);
    await payRequest(stack, payer, request.url);
    await pressPaidUntil(stack, user, request, ['confirmed and credited']);
    const balance = (bot: number) =>
      new DynamoLedger({ client: scopeToTenant(client, String(bot)), tableName: stack.dynamodb.tableName }).balance(
        42_004,
      );
    expect(await balance(second.id)).toBe(500_000_000n);
    expect(await balance(stack.bot.id)).toBe(0n);
    // The home bot's deposit requests still pay the stage's treasury.
    const homeRequest = await requestDeposit(stack, home, '0.1');
    expect(homeRequest.url.startsWith(`solana:${stack.solana.treasury!.address}?`)).toBe(true);
  });

  it('answers the second bot’s operator’s /usage with its plan’s quotas and the updates counted so far', {
    timeout: 60_000,
  }, async () => {
    const operator = stack.telegram.user(OPERATOR, { first_name: 'Op', language_code: 'en' }).to(second.id);
    await operator.sendText('/help');
    await stack.telegram.waitFor(() => operator.lastBotMessage(), 20_000);
    await operator.sendText('/usage');
    const report = await stack.telegram.waitFor(
      () => operator.botMessages().find((m) => m.text.includes('Usage of @second_desk_bot')),
      30_000,
    );
    expect(report.text).toMatch(/Plan: Starter/i);
    // Its users' updates were counted (the /usage itself is not one).
    expect(Number(/: (\d+) \/ 3,?000/.exec(report.text)?.[1])).toBeGreaterThan(0);
    // Anyone else's /usage is the bot's own business: the desk answers it as an unknown command.
    const stranger = stack.telegram.user(42_005, { first_name: 'S' }).to(second.id);
    await stranger.sendText('/usage');
    await stack.telegram.waitFor(() => stranger.lastBotMessage(), 20_000);
    expect(stranger.botMessages().some((m) => m.text.includes('Usage of'))).toBe(false);
  });

  it('refuses an update for the second bot signed with the home bot’s secret, and one for a bot it does not serve', async () => {
    const post = (botId: number, secret: string) =>
      fetch(`${stack.webhookUrl}/${botId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
        body: JSON.stringify({
          update_id: 1,
          message: { message_id: 1, date: 1, chat: { id: 5, type: 'private' }, text: 'x' },
        }),
      });
    const homeSecret = webhookSecretOf(stack.bot.webhookSecret, String(stack.bot.id));
    expect((await post(second.id, homeSecret)).status).toBe(401);
    expect((await post(999_000_111, webhookSecretOf(stack.bot.webhookSecret, '999000111'))).status).toBe(401);
  });

  it('notices a token revoked in BotFather (401): the bot is marked revoked once, its operator told by the stage’s bot', {
    timeout: 120_000,
  }, async () => {
    const third = await stack.addBot({ username: 'third_desk_bot', operator: OPERATOR });
    // The operator has a chat with the stage's bot: that is where it tells them.
    const operator = stack.telegram.user(OPERATOR, { first_name: 'Op' });
    await operator.sendText('/start');
    await stack.telegram.waitFor(() => operator.lastBotMessage(), 20_000);
    stack.telegram.revokeBot(third.token);
    const queue = new SqsJobQueue({
      client: new SQSClient(localClientConfig(stack.sqs.endpoint)),
      queueUrls: stack.sqs.queueUrls,
      fifo: fifoQueues(stack.settings),
    });
    const send = (n: number) => ({
      job: TelegramSendJob,
      payload: { calls: [{ method: 'sendMessage', params: { chat_id: 42_003, text: `hello ${n}` } }] },
      chatId: 42_003,
      userId: 42_003,
    });
    await queue.send(
      sealJobs([send(1), send(2)], {
        idPrefix: 'revoked',
        traceId: 'revoked',
        tenant: String(third.id),
        now: new Date(),
      }),
    );
    const registry = new DynamoTenantRegistry({ client, tableName: stack.dynamodb.tableName });
    const notice = await stack.telegram.waitFor(
      () => stack.telegram.sent(OPERATOR, { bot: stack.bot.id }).find((m) => m.text.includes('third_desk_bot')),
      30_000,
    );
    expect(notice.text).toMatch(/[\u4e00-\u9fff]/);
    expect((await registry.get(String(third.id)))?.status).toBe('revoked');
    expect(
      stack.telegram.sent(OPERATOR, { bot: stack.bot.id }).filter((m) => m.text.includes('third_desk_bot')),
    ).toHaveLength(1);
    expect(await registry.active()).not.toContain(String(third.id));
  });

  it('serves a bot without payouts: /withdraw and /deposit answered politely, nothing queued; a payout job still queued is parked', {
    timeout: 120_000,
  }, async () => {
    plain = await stack.addBot({ username: 'plain_desk_bot', operator: OPERATOR, features: { payouts: false } });
    expect(plain.record.treasury).toBeNull();
    const commands = stack.telegram
      .bot(plain.id)
      .myCommands('all_private_chats')
      .map((c) => c.command);
    expect(commands).toContain('balance');
    expect(commands).not.toContain('withdraw');
    expect(commands).not.toContain('deposit');
    const user = stack.telegram.user(42_006, { first_name: 'Flo', language_code: 'en' }).to(plain.id);
    const WALLET = Keypair.generate().publicKey.toBase58();
    await user.sendText(`/withdraw 0.5 ${WALLET}`);
    await stack.telegram.waitFor(
      () => user.botMessages().find((m) => m.text.includes('does not offer deposits or withdrawals')),
      20_000,
    );
    await user.sendText('/deposit 1');
    await stack.telegram.waitFor(
      () => user.botMessages().filter((m) => m.text.includes('does not offer deposits or withdrawals'))[1],
      20_000,
    );
    // A withdrawal queued before payouts were switched off reaches the rpc worker: parked with its reason, never run.
    const sqs = new SQSClient(localClientConfig(stack.sqs.endpoint));
    const queue = new SqsJobQueue({ client: sqs, queueUrls: stack.sqs.queueUrls, fifo: fifoQueues(stack.settings) });
    const draft = {
      job: PayoutRequestJob,
      payload: { wallet: WALLET, lamports: '500000000', lang: 'en' as const },
      chatId: 42_006,
      userId: 42_006,
    };
    await queue.send(
      sealJobs([draft], { idPrefix: 'stale', traceId: 'stale', tenant: String(plain.id), now: new Date() }),
    );
    const parked: Message[] = [];
    const deadline = Date.now() + 30_000;
    while (!parked.some((m) => m.Body?.includes('"stale')) && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.sqs.dlqUrls.rpc,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      parked.push(...Messages.filter((m) => m.Body?.includes(`"tenant":"${plain.id}"`)));
    }
    sqs.destroy();
    // Only the stale job: the user's /withdraw and /deposit queued nothing to park.
    expect(parked.map((m) => m.MessageAttributes?.reason?.StringValue)).toEqual(['feature.off']);
    expect(parked[0]?.Body).toContain('"type":"payout.request"');
    // The rest of the bot works.
    await user.sendText('/help');
    const help = await stack.telegram.waitFor(
      () => user.botMessages().find((m) => m.text.includes('/balance')),
      20_000,
    );
    expect(help.text).not.toContain('/withdraw');
  });

  it('follows a change of a bot’s features within seconds: watches switched off, /watch is answered so', {
    timeout: 90_000,
  }, async () => {
    const user = stack.telegram.user(42_007, { first_name: 'Gil', language_code: 'en' }).to(plain.id);
    const address = Keypair.generate().publicKey.toBase58();
    await user.sendText('/help');
    await stack.telegram.waitFor(() => user.botMessages().find((m) => m.text.includes('/watch')), 20_000);
    const registry = new DynamoTenantRegistry({ client, tableName: stack.dynamodb.tableName });
    const stored = await registry.read(String(plain.id));
    const features = { ...stored!.record.features, watches: false };
    expect(await registry.replace({ ...stored!.record, features }, stored!.version)).toBe('replaced');
    // Warm containers read the record again within their caches' seconds, and build the bot anew.
    const deadline = Date.now() + 40_000;
    let refused = false;
    while (!refused && Date.now() < deadline) {
      const before = user.botMessages().length;
      await user.sendText('/watches');
      const answer = await stack.telegram.waitFor(() => user.botMessages().slice(before)[0], 20_000);
      refused = answer.text.includes('does not offer address watches');
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(refused).toBe(true);
    await user.sendText(`/watch ${address}`);
    await stack.telegram.waitFor(
      () => user.botMessages().filter((m) => m.text.includes('does not offer address watches'))[1],
      20_000,
    );
    await user.sendText('/help');
    // Its second /help (the first listed /watch).
    const help = await stack.telegram.waitFor(
      () => user.botMessages().filter((m) => m.text.includes('/balance'))[1],
      20_000,
    );
    expect(help.text).not.toContain('/watch');
  });

  it('offboards the second bot: its webhook is deleted, the webhook stops serving it, the home bot goes on', {
    timeout: 120_000,
  }, async () => {
    expect(await stack.removeBot(second.id, 42_999)).toMatchObject({ kind: 'not_operator' });
    expect(await stack.removeBot(second.id, OPERATOR)).toMatchObject({ kind: 'removed' });
    expect(stack.telegram.bot(second.id).webhookInfo().url).toBe('');
    const registry = new DynamoTenantRegistry({ client, tableName: stack.dynamodb.tableName });
    expect(await registry.active()).not.toContain(String(second.id));
    const secret = webhookSecretOf(stack.bot.webhookSecret, String(second.id));
    // Within the webhook's registry cache (seconds), it stops serving the removed bot.
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (Date.now() < deadline) {
      const response = await fetch(`${stack.webhookUrl}/${second.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
        body: JSON.stringify({
          update_id: 2,
          message: { message_id: 2, date: 1, chat: { id: 6, type: 'private' }, text: 'y' },
        }),
      });
      status = response.status;
      if (status === 401) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(status).toBe(401);
    const user = stack.telegram.user(42_002);
    await user.sendText('/help');
    await stack.telegram.waitFor(() => user.lastBotMessage(), 20_000);
  });
});
