import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidUpdate } from '../../../../core/platform/ingress/index.js';
import { DynamoQuotaMeter, meterUpdates, PLANS, type Plan } from '../../../../core/platform/quotas/index.js';
import { scopeToTenant } from '../../../../core/platform/tenants/index.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';

const DAY = 86_400_000;
let local: LocalTable;
/** Virtual time a few days ahead (the local DynamoDB deletes items whose TTL is behind the real time). */
let clock = Math.ceil(Date.now() / DAY) * DAY + 3 * DAY;

beforeAll(async () => {
  local = await startLocalTable('quota-gate');
});
afterAll(() => local?.stop());

const tiny: Plan = { ...PLANS.free, limits: { ...PLANS.free.limits, updatesPerHour: 3 } };

const message = (id: number, chat: number, language_code = 'en'): ValidUpdate => ({
  updateId: id,
  kind: 'message',
  chatId: chat,
  userId: chat,
  update: {
    update_id: id,
    message: {
      message_id: id,
      date: 1,
      chat: { id: chat, type: 'private' },
      from: { id: chat, language_code },
      text: 'hi',
    },
  },
});
const press = (id: number, chat: number): ValidUpdate => ({
  updateId: id,
  kind: 'callback_query',
  chatId: chat,
  userId: chat,
  update: { update_id: id, callback_query: { id: `q${id}`, from: { id: chat }, chat_instance: 'c' } },
});

function gated(tenant: string) {
  const ran: number[] = [];
  const queue = new MemoryJobQueue();
  const client = scopeToTenant(local.client, tenant);
  const process = meterUpdates(
    async (update) => {
      ran.push(update.updateId);
      return { duplicate: false };
    },
    {
      tenant,
      bot: `bot_${tenant}`,
      plan: tiny,
      meter: new DynamoQuotaMeter({ client, tableName: local.tableName, plan: tiny, now: () => clock }),
      operators: [7001],
      queue,
      log: memoryLogger(),
      now: () => clock,
    },
  );
  return { process, ran, queue };
}

describe('meterUpdates: a tenant over its updates per hour', () => {
  it('runs updates within the plan, then answers each chat once, politely, and tells the operator once', async () => {
    const bot = gated('9001');
    for (let id = 1; id <= 3; id++) await bot.process(message(id, 50 + id));
    expect(bot.ran).toEqual([1, 2, 3]);
    const first = await bot.process(message(4, 60, 'zh'));
    const again = await bot.process(message(5, 60, 'zh'));
    const other = await bot.process(message(6, 61));
    expect(bot.ran).toEqual([1, 2, 3]);
    expect(first.reply).toMatchObject({ method: 'sendMessage', params: { chat_id: 60 } });
    expect(String(first.reply?.params.text)).toMatch(/[\u4e00-\u9fff]/);
    expect(again.reply).toBeUndefined();
    expect(other.reply).toMatchObject({ method: 'sendMessage', params: { chat_id: 61 } });
    expect(String(other.reply?.params.text)).not.toMatch(/plan|quota|limit/i);
    // The operator: one notice, through the bot's own notify queue, as this tenant.
    expect(bot.queue.sent).toHaveLength(1);
    expect(bot.queue.sent[0]?.envelope).toMatchObject({ tenant: '9001', chatId: 7001, type: 'telegram.send' });
  });

  it('answers a button press with a toast, every time', async () => {
    const bot = gated('9002');
    for (let id = 1; id <= 3; id++) await bot.process(message(id, 70));
    const toast = await bot.process(press(4, 70));
    expect(toast.reply).toMatchObject({ method: 'answerCallbackQuery', params: { callback_query_id: 'q4' } });
    expect((await bot.process(press(5, 70))).reply?.method).toBe('answerCallbackQuery');
  });

  it("counts each tenant apart: one bot over its plan leaves another's updates running", async () => {
    const noisy = gated('9003');
    const quiet = gated('9004');
    for (let id = 1; id <= 10; id++) await noisy.process(message(id, 80));
    for (let id = 1; id <= 3; id++) await quiet.process(message(id, 80));
    expect(noisy.ran).toEqual([1, 2, 3]);
    expect(quiet.ran).toEqual([1, 2, 3]);
  });

  it('runs updates again in the next hour', async () => {
    const bot = gated('9005');
    for (let id = 1; id <= 4; id++) await bot.process(message(id, 90));
    expect(bot.ran).toEqual([1, 2, 3]);
    clock += 3_600_000;
    await bot.process(message(5, 90));
    expect(bot.ran).toEqual([1, 2, 3, 5]);
  });
});
