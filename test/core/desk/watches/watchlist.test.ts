import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase58 } from '../../../../core/desk/solana/address.js';
import { DynamoWatchStore } from '../../../../core/desk/watches/dynamodb-store.js';
import { watchHandlers } from '../../../../core/desk/watches/handlers.js';
import {
  MAX_WATCHES,
  WATCH_CALLBACK,
  WatchAddJob,
  WatchCheckJob,
  WatchLangJob,
  WatchListJob,
  WatchRemoveJob,
  watchId,
} from '../../../../core/desk/watches/jobs.js';
import type { Language } from '../../../../core/platform/i18n/index.js';
import { createConsumer } from '../../../../core/platform/jobs/consumer.js';
import { type JobDraft, type JobEnvelope, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { UNLIMITED } from '../../../../core/platform/quotas/index.js';
import type { TelegramCall } from '../../../../core/platform/telegram/calls.js';
import { ensureTable } from '../../../../local/aws/dynamodb.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { FakeSolana } from '../../../helpers/solana-fake.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const SOL = 1_000_000_000n;
let local: LocalTable;
let client: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  local = await startLocalTable('watchlist-test');
  ({ client } = local);
});
afterAll(async () => {
  await local.stop();
});

/** A valid, distinct base58 address per index. */
const addressOf = (index: number) =>
  encodeBase58(Uint8Array.from({ length: 32 }, (_, i) => (index * 31 + i * 7 + 1) % 256));

/** The watch jobs on a table of their own (the watch set is one partition, so tests must not share it). */
async function setup() {
  const tableName = `watchlist-${++tables}`;
  await ensureTable(client, tableName);
  const store = new DynamoWatchStore({ client, tableName });
  const solana = new FakeSolana();
  const queue = new MemoryJobQueue();
  const log = memoryLogger();
  const consume = createConsumer([...watchHandlers({ store, solana, queue, pollMinutes: 1, quota: UNLIMITED })], log);
  let delivery = 0;
  /** Delivers one job; fails the test if the consumer did not settle it. */
  const deliver = async (envelope: JobEnvelope) => {
    const result = await consume([
      {
        messageId: `m${delivery++}`,
        receiptHandle: 'r',
        body: JSON.stringify(envelope),
        attributes: { ApproximateReceiveCount: '1' },
      },
    ]);
    expect(result.batchItemFailures).toEqual([]);
  };
  let jobs = 0;
  const job = <P>(draft: Omit<JobDraft<P>, 'chatId' | 'userId'>, chatId: number | null = 501) => {
    const id = `job-${++jobs}`;
    const [sealed] = sealJobs([{ ...draft, chatId, userId: chatId } as JobDraft], {
      idPrefix: id,
      traceId: id,
      tenant: TEST_TENANT,
      now: new Date(),
    });
    return sealed!.envelope;
  };
  const add = (address: string, threshold: bigint, lang: Language = 'en', chatId?: number) =>
    job({ job: WatchAddJob, payload: { address, thresholdLamports: threshold.toString(), lang } }, chatId);
  const list = (lang: Language = 'en', chatId?: number) => job({ job: WatchListJob, payload: { lang } }, chatId);
  const remove = (watch: string, lang: Language = 'en', messageId?: number, chatId?: number) =>
    job({ job: WatchRemoveJob, payload: { watch, lang, ...(messageId ? { messageId } : {}) } }, chatId);
  /** Every Bot API call the jobs queued for Telegram, with the id of the job that carries it. */
  const calls = () =>
    queue.sent
      .filter((j) => j.envelope.type === 'telegram.send')
      .flatMap((j) =>
        (j.envelope.payload as { calls: TelegramCall[] }).calls.map((call) => ({ id: j.envelope.id, ...call })),
      );
  const texts = () => calls().map((c) => c.params.text);
  return { store, solana, queue, log, deliver, job, add, list, remove, calls, texts };
}

const buttonsOf = (call: { params: Record<string, unknown> }) =>
  (call.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] } | undefined)
    ?.inline_keyboard;

describe('watch.add', () => {
  it('stores the watch with the user’s language and threshold, and confirms it', async () => {
    const { store, deliver, add, texts } = await setup();
    const A = addressOf(1);
    await deliver(add(A, SOL / 2n));
    expect(await store.watchers(A)).toEqual([{ chatId: 501, userId: 501, lang: 'en', thresholdLamports: SOL / 2n }]);
    expect(texts()).toEqual([
      `👁 Watching <code>${A}</code> (watch 1 of 20). I will tell you when its balance changes by 0.5 SOL or more.`,
    ]);
  });

  it('confirms a watch of every change in Chinese', async () => {
    const { store, deliver, add, texts } = await setup();
    const A = addressOf(2);
    await deliver(add(A, 0n, 'zh'));
    expect(await store.watchlist(501)).toEqual([{ address: A, thresholdLamports: 0n, lang: 'zh' }]);
    expect(texts()).toEqual([`👁 已关注 <code>${A}</code>（第 1 个，最多 20 个）。余额每次变动时我都会通知您。`]);
  });

  it('is idempotent: a redelivery stores one watch and repeats the same confirmation under the same id', async () => {
    const { store, deliver, add, calls } = await setup();
    const A = addressOf(3);
    const job = add(A, 2n * SOL);
    await deliver(job);
    await deliver(job);
    expect(await store.watchers(A)).toHaveLength(1);
    expect(await store.watchlist(501)).toHaveLength(1);
    const sent = calls();
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual(sent[0]);
  });

  it('takes a new threshold for an address already watched, counting it once', async () => {
    const { store, deliver, add, texts } = await setup();
    const [A, B] = [addressOf(4), addressOf(5)];
    await deliver(add(A, 0n));
    await deliver(add(B, 0n));
    await deliver(add(A, 3n * SOL));
    expect(await store.watchers(A)).toEqual([{ chatId: 501, userId: 501, lang: 'en', thresholdLamports: 3n * SOL }]);
    expect(texts().at(-1)).toBe(
      `👁 Watching <code>${A}</code> (watch 2 of 20). I will tell you when its balance changes by 3 SOL or more.`,
    );
  });

  it(`refuses a watch over the limit of ${MAX_WATCHES}, but still updates one already there`, async () => {
    const { store, deliver, add, texts } = await setup();
    const addresses = Array.from({ length: MAX_WATCHES + 1 }, (_, i) => addressOf(100 + i));
    for (const address of addresses.slice(0, MAX_WATCHES)) await deliver(add(address, 0n));
    await deliver(add(addresses[MAX_WATCHES]!, 0n));
    expect(texts().at(-1)).toBe('You already watch 20 addresses. Remove one in /watches first.');
    expect(await store.watchers(addresses[MAX_WATCHES]!)).toEqual([]);
    expect(await store.watchlist(501)).toHaveLength(MAX_WATCHES);

    await deliver(add(addresses[MAX_WATCHES]!, 0n, 'zh'));
    expect(texts().at(-1)).toBe('您已关注 20 个地址。请先在 /watches 中移除一个。');

    await deliver(add(addresses[0]!, SOL));
    expect(texts().at(-1)).toContain('(watch 20 of 20)');
    expect((await store.watchers(addresses[0]!))[0]?.thresholdLamports).toBe(SOL);
  });

  it('keeps the limit per chat: another user may still watch', async () => {
    const { store, deliver, add } = await setup();
    for (let i = 0; i < MAX_WATCHES; i++) await deliver(add(addressOf(200 + i), 0n));
    await deliver(add(addressOf(200), 0n, 'en', 777));
    expect((await store.watchers(addressOf(200))).map((w) => w.chatId)).toEqual([501, 777]);
  });

  it('explains an address that is not one, storing nothing', async () => {
    const { store, deliver, add, texts } = await setup();
    const bogus = '0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl';
    await deliver(add(bogus, 0n));
    expect(await store.watchers(bogus)).toEqual([]);
    expect(texts()).toEqual(['That is not a Solana address: it has characters base58 does not use.']);
  });

  it('moves the user’s other watches to the language they use now', async () => {
    const { store, deliver, add } = await setup();
    const [A, B] = [addressOf(6), addressOf(7)];
    await deliver(add(A, SOL, 'en'));
    await deliver(add(B, 0n, 'zh'));
    expect(await store.watchers(A)).toEqual([{ chatId: 501, userId: 501, lang: 'zh', thresholdLamports: SOL }]);
  });
});

describe('watch.list', () => {
  it('says there is nothing to list, with no buttons', async () => {
    const { deliver, list, calls } = await setup();
    await deliver(list('en'));
    await deliver(list('zh'));
    expect(calls().map((c) => [c.method, c.params.text, buttonsOf(c)])).toEqual([
      ['sendMessage', '👁 You are not watching any address. Send /watch &lt;address&gt; to start.', []],
      ['sendMessage', '👁 您还没有关注任何地址。发送 /watch &lt;地址&gt; 开始关注。', []],
    ]);
  });

  it('lists each watch with its threshold, in address order, one Remove button each', async () => {
    const { deliver, add, list, calls } = await setup();
    const [first, second] = [addressOf(8), addressOf(9)].sort();
    await deliver(add(second!, 1_500_000_000n));
    await deliver(add(first!, 0n));
    await deliver(list('en'));
    const [sent] = calls().slice(-1);
    expect(sent).toMatchObject({ method: 'sendMessage', params: { chat_id: 501, parse_mode: 'HTML' } });
    expect(sent!.params.text).toBe(
      `👁 <b>Your watches</b> (2 of 20)\n1. <code>${first}</code>: every change\n2. <code>${second}</code>: changes of 1.5 SOL or more`,
    );
    const short = (a: string) => `${a.slice(0, 4)}…${a.slice(-4)}`;
    expect(buttonsOf(sent!)).toEqual([
      [{ text: `🗑 Remove ${short(first!)}`, callback_data: `wt:rm:${watchId(first!)}` }],
      [{ text: `🗑 Remove ${short(second!)}`, callback_data: `wt:rm:${watchId(second!)}` }],
    ]);
  });

  it('lists in Chinese, and moves the watches to Chinese', async () => {
    const { store, deliver, add, list, texts } = await setup();
    const A = addressOf(10);
    await deliver(add(A, SOL / 4n, 'en'));
    await deliver(list('zh'));
    expect(texts().at(-1)).toBe(`👁 <b>您的关注</b>（1 / 20）\n1. <code>${A}</code>：变动不少于 0.25 SOL`);
    expect((await store.watchers(A))[0]?.lang).toBe('zh');
  });

  it('fits 20 watches in one message, with callback data of at most 64 bytes', async () => {
    const { deliver, add, list, calls } = await setup();
    for (let i = 0; i < MAX_WATCHES; i++) await deliver(add(addressOf(300 + i), 123_456_789_012n + BigInt(i)));
    await deliver(list('zh'));
    const [sent] = calls().slice(-1);
    expect(String(sent!.params.text).length).toBeLessThan(4096);
    const buttons = buttonsOf(sent!)!.flat();
    expect(buttons).toHaveLength(MAX_WATCHES);
    expect(Math.max(...buttons.map((b) => Buffer.byteLength(b.callback_data)))).toBeLessThanOrEqual(64);
  });
});

describe('watch.remove', () => {
  it('removes the watch the button names and edits the list in place', async () => {
    const { store, deliver, add, remove, calls } = await setup();
    const [first, second] = [addressOf(11), addressOf(12)].sort();
    await deliver(add(first!, 0n));
    await deliver(add(second!, SOL));
    await deliver(remove(watchId(first!), 'en', 42));
    expect(await store.watchers(first!)).toEqual([]);
    expect(await store.watchlist(501)).toEqual([{ address: second, thresholdLamports: SOL, lang: 'en' }]);
    const [edit] = calls().slice(-1);
    expect(edit).toMatchObject({ method: 'editMessageText', params: { chat_id: 501, message_id: 42 } });
    expect(edit!.params.text).toBe(
      `🗑 Stopped watching <code>${first}</code>.\n\n👁 <b>Your watches</b> (1 of 20)\n1. <code>${second}</code>: changes of 1 SOL or more`,
    );
    expect(buttonsOf(edit!)).toEqual([
      [{ text: expect.stringContaining('Remove'), callback_data: WATCH_CALLBACK.remove(second!) }],
    ]);
  });

  it('removes the last watch: the address is no longer polled, the list says so without buttons', async () => {
    const { store, deliver, add, remove, calls } = await setup();
    const A = addressOf(13);
    await deliver(add(A, 0n, 'zh'));
    await deliver(remove(watchId(A), 'zh', 5));
    expect((await store.listAddresses(undefined, 10)).addresses).toEqual([]);
    const [edit] = calls().slice(-1);
    expect(edit!.params.text).toBe(
      `🗑 已取消关注 <code>${A}</code>。\n\n👁 您还没有关注任何地址。发送 /watch &lt;地址&gt; 开始关注。`,
    );
    expect(edit!.params.reply_markup).toBeUndefined();
  });

  it('removes nothing for a stale button, says so, and shows the current list', async () => {
    const { store, deliver, add, remove, calls } = await setup();
    const [A, B] = [addressOf(14), addressOf(15)];
    await deliver(add(A, 0n));
    await deliver(add(B, 0n));
    await deliver(remove(watchId(A), 'en', 9));
    await deliver(remove(watchId(A), 'en', 9));
    expect(await store.watchlist(501)).toEqual([{ address: B, thresholdLamports: 0n, lang: 'en' }]);
    const [edit] = calls().slice(-1);
    expect(edit!.params.text).toBe(
      `That watch is no longer in your list.\n\n👁 <b>Your watches</b> (1 of 20)\n1. <code>${B}</code>: every change`,
    );
  });

  it('removes nothing for a forged id, nor another user’s watch of the same address', async () => {
    const { store, deliver, add, remove, texts } = await setup();
    const A = addressOf(16);
    await deliver(add(A, 0n, 'en', 777));
    await deliver(remove(watchId(A), 'zh', 3));
    await deliver(remove('aaaaaaaaaaaaaaaa', 'zh', 3));
    expect((await store.watchers(A)).map((w) => w.chatId)).toEqual([777]);
    expect(texts().slice(-2)).toEqual([
      '该关注已不在您的列表中。\n\n👁 您还没有关注任何地址。发送 /watch &lt;地址&gt; 开始关注。',
      '该关注已不在您的列表中。\n\n👁 您还没有关注任何地址。发送 /watch &lt;地址&gt; 开始关注。',
    ]);
  });

  it('sends the list as a new message when the button’s message is unknown', async () => {
    const { deliver, add, remove, calls } = await setup();
    const A = addressOf(17);
    await deliver(add(A, 0n));
    await deliver(remove(watchId(A)));
    expect(calls().at(-1)).toMatchObject({ method: 'sendMessage', params: { chat_id: 501 } });
  });

  it('of two presses racing on one watch, lets one remove it and tells the other it is gone', async () => {
    const { store, deliver, add, remove, texts } = await setup();
    const A = addressOf(18);
    await deliver(add(A, 0n));
    await Promise.all([deliver(remove(watchId(A), 'en', 1)), deliver(remove(watchId(A), 'en', 1))]);
    expect(await store.watchers(A)).toEqual([]);
    const headings = texts()
      .slice(-2)
      .map((text) => String(text).split('\n')[0])
      .sort();
    expect(headings).toEqual([`That watch is no longer in your list.`, `🗑 Stopped watching <code>${A}</code>.`]);
  });
});

describe('watch.lang', () => {
  it('moves every watch of the chat to the new language, saying nothing', async () => {
    const { store, deliver, add, job, queue } = await setup();
    const [A, B] = [addressOf(19), addressOf(20)];
    await deliver(add(A, 0n, 'en'));
    await deliver(add(B, SOL, 'en'));
    await deliver(add(A, 0n, 'en', 777));
    const before = queue.sent.length;
    await deliver(job({ job: WatchLangJob, payload: { lang: 'zh' } }));
    expect(queue.sent.length).toBe(before);
    expect((await store.watchlist(501)).map((w) => w.lang)).toEqual(['zh', 'zh']);
    expect((await store.watchers(A)).map((w) => [w.chatId, w.lang])).toEqual([
      [501, 'zh'],
      [777, 'en'],
    ]);
    expect((await store.watchers(B))[0]?.thresholdLamports).toBe(SOL);
  });
});

describe('watches added by users, on the poller', () => {
  it('alert each watcher in their language, only for changes that pass their threshold', async () => {
    const { solana, deliver, add, job, calls } = await setup();
    const A = addressOf(21);
    solana.wallet(A, 10n * SOL);
    await deliver(add(A, SOL / 2n, 'en', 601));
    await deliver(add(A, 0n, 'zh', 602));
    const check = () => job({ job: WatchCheckJob, payload: { addresses: [A] } }, null);
    const alerts = () => calls().filter((c) => !String(c.params.text).startsWith('👁'));
    await deliver(check());
    expect(alerts()).toEqual([]);

    solana.wallet(A, 10n * SOL + SOL / 10n);
    await deliver(check());
    expect(alerts().map((c) => [c.params.chat_id, c.params.text])).toEqual([
      [602, `🔔 <b>余额变动</b>\n<code>${A}</code>\n10 SOL → <b>10.1 SOL</b>（+0.1 SOL）`],
    ]);

    solana.wallet(A, 9n * SOL);
    await deliver(check());
    expect(
      alerts()
        .slice(1)
        .map((c) => [c.params.chat_id, c.params.text]),
    ).toEqual([
      [601, `🔔 <b>Balance changed</b>\n<code>${A}</code>\n10.1 SOL → <b>9 SOL</b> (-1.1 SOL)`],
      [602, `🔔 <b>余额变动</b>\n<code>${A}</code>\n10.1 SOL → <b>9 SOL</b>（-1.1 SOL）`],
    ]);
  });
});
