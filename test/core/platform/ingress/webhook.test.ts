import { describe, expect, it } from 'vitest';
import { deskBot } from '../../../../core/desk/bot/bot.js';
import { stageSettings } from '../../../../core/desk/settings.js';
import { botInfoFrom, createTurnRunner } from '../../../../core/platform/bot.js';
import { TransientError } from '../../../../core/platform/errors.js';
import { createUpdateProcessor } from '../../../../core/platform/ingress/process.js';
import { createWebhook, type WebhookRequest } from '../../../../core/platform/ingress/webhook.js';
import { testBotOptions } from '../../../helpers/bot-options.js';
import { MemoryJobQueue, MemorySessionStore, memoryLogger } from '../../../helpers/fakes.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';
import { callbackUpdate, textUpdate } from '../../../helpers/updates.js';

const TOKEN = '4242:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const SECRET = 'correct-horse_battery';
const settings = stageSettings('test');

function setup(options: { runTurnThrows?: Error } = {}) {
  const store = new MemorySessionStore();
  const queue = new MemoryJobQueue();
  const log = memoryLogger();
  const realRun = createTurnRunner({
    bot: deskBot(testBotOptions({ adminChatId: -1001 })),
    botInfo: botInfoFrom(TOKEN, 'desk_bot'),
    apiRoot: 'http://x',
  });
  const runTurn: typeof realRun = async (update, session) => {
    if (options.runTurnThrows) throw options.runTurnThrows;
    return realRun(update, session);
  };
  const process = createUpdateProcessor({
    tenant: TEST_TENANT,
    sessions: store,
    ledger: store,
    queue,
    runTurn,
    log,
    sleep: async () => {},
  });
  const webhook = createWebhook({
    secret: SECRET,
    maxBodyBytes: settings.webhook.maxBodyBytes,
    allowedUpdates: settings.webhook.allowedUpdates,
    process,
    log,
  });
  const post = (body: unknown, headers: Record<string, string> = { 'x-telegram-bot-api-secret-token': SECRET }) =>
    webhook({
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      isBase64Encoded: false,
    } satisfies WebhookRequest);
  return { store, queue, log, post, webhook };
}

const alice = { id: 77 };

describe('webhook', () => {
  it('rejects a wrong or missing secret with 401 and stores nothing', async () => {
    const { post, store, queue, log } = setup();
    expect((await post(textUpdate(alice, '/start'), { 'x-telegram-bot-api-secret-token': 'wrong' })).statusCode).toBe(
      401,
    );
    expect((await post(textUpdate(alice, '/start'), {})).statusCode).toBe(401);
    expect(
      (await post(textUpdate(alice, '/start'), { 'x-telegram-bot-api-secret-token': `${SECRET}x` })).statusCode,
    ).toBe(401);
    expect(store.items.size).toBe(0);
    expect(queue.sent).toHaveLength(0);
    expect(JSON.stringify(log.lines)).not.toContain(SECRET);
  });

  it('answers 413 to a body over the limit', async () => {
    const { post, store } = setup();
    const response = await post(`{"update_id":1,"pad":"${'x'.repeat(settings.webhook.maxBodyBytes)}"}`);
    expect(response.statusCode).toBe(413);
    expect(store.items.size).toBe(0);
  });

  it('acknowledges malformed bodies with 200, logs them and stores nothing', async () => {
    const { post, store, log } = setup();
    for (const body of ['not json', '[]', '{"update_id":-1}', { update_id: 5, message: { chat: 'nope' } }]) {
      expect((await post(body)).statusCode).toBe(200);
    }
    expect(store.items.size).toBe(0);
    expect(log.lines.filter((l) => l.event === 'update.malformed')).toHaveLength(4);
  });

  it('acknowledges unsupported update kinds with 200 and stores nothing', async () => {
    const { post, store, queue, log } = setup();
    const response = await post({ update_id: 9, inline_query: { id: 'q', from: { id: 1 }, query: 'x', offset: '' } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{}');
    expect(store.items.size + store.claims.size + queue.sent.length).toBe(0);
    expect(log.lines.some((l) => l.event === 'update.unsupported')).toBe(true);
  });

  it('returns the reply method in the response body', async () => {
    const { post } = setup();
    const response = await post(textUpdate(alice, '/start'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ method: 'sendMessage', chat_id: alice.id });
  });

  it('answers 503 when storage is unavailable, before any effect, and succeeds on redelivery', async () => {
    const { post, store, queue } = setup();
    const update = callbackUpdate(alice, 'lang:en');
    store.failNext = new TransientError('dynamodb.unavailable', 'down');
    expect((await post(update)).statusCode).toBe(503);
    expect(queue.sent).toHaveLength(0);
    expect(store.items.size).toBe(0);
    const retry = await post(update);
    expect(retry.statusCode).toBe(200);
    expect(JSON.parse(retry.body).method).toBe('answerCallbackQuery');
    // The menu edit, the new user's directory entry and admin event, then the language they picked
    // (in the directory and their watches).
    expect(queue.sent.map((j) => j.envelope.type)).toEqual([
      'telegram.send',
      'user.status',
      'admin.event',
      'user.status',
      'watch.lang',
    ]);
  });

  it('answers 200 and logs when the bot itself throws, so Telegram does not retry for a day', async () => {
    const { post, log } = setup({ runTurnThrows: new TypeError('bug') });
    expect((await post(textUpdate(alice, '/start'))).statusCode).toBe(200);
    expect(log.lines.some((l) => l.event === 'update.failed')).toBe(true);
  });

  it('never logs the bot token', async () => {
    const { post, log } = setup({ runTurnThrows: new Error(`failed calling https://x/bot${TOKEN}/sendMessage`) });
    await post(textUpdate(alice, '/start'));
    expect(JSON.stringify(log.lines)).not.toContain(TOKEN.split(':')[1]);
  });
});
