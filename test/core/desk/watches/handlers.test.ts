import { describe, expect, it, vi } from 'vitest';
import { jobTranslator } from '../../../../core/desk/i18n.js';
import { encodeBase58 } from '../../../../core/desk/solana/address.js';
import { type FirstCharacters, HOT_MS } from '../../../../core/desk/watches/cadence.js';
import {
  describeChange,
  noticeIdPrefix,
  passesThreshold,
  watchHandlers,
} from '../../../../core/desk/watches/handlers.js';
import { WatchCheckJob, WatchPollJob } from '../../../../core/desk/watches/jobs.js';
import type {
  AddressPage,
  ChatWatch,
  Watcher,
  WatchSnapshot,
  WatchStore,
} from '../../../../core/desk/watches/store.js';
import { TransientError } from '../../../../core/platform/errors.js';
import { createConsumer } from '../../../../core/platform/jobs/consumer.js';
import { type JobDraft, type JobEnvelope, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { UNLIMITED } from '../../../../core/platform/quotas/index.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { FakeSolana } from '../../../helpers/solana-fake.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const SOL = 1_000_000_000n;

/** In-memory WatchStore with the DynamoDB adapter's contract (clock versions, compare-and-set snapshots). */
class MemoryWatchStore implements WatchStore {
  readonly watched = new Map<
    string,
    { chats: Map<number, Watcher>; snapshot: WatchSnapshot | null; changedAt?: number }
  >();
  clock = 1_700_000_000_000;
  failNextUpdate: Error | undefined;

  async addWatcher(address: string, watcher: Watcher) {
    const entry = this.watched.get(address) ?? { chats: new Map(), snapshot: null };
    entry.chats.set(watcher.chatId, watcher);
    this.watched.set(address, entry);
  }
  async removeWatcher(address: string, chatId: number) {
    const entry = this.watched.get(address);
    const existed = entry?.chats.delete(chatId) ?? false;
    if (entry?.chats.size === 0) this.watched.delete(address);
    return existed;
  }
  async watchlist(chatId: number): Promise<ChatWatch[]> {
    return [...this.watched]
      .flatMap(([address, e]) => {
        const w = e.chats.get(chatId);
        return w ? [{ address, thresholdLamports: w.thresholdLamports, lang: w.lang }] : [];
      })
      .sort((a, b) => a.address.localeCompare(b.address));
  }
  async listAddresses(cursor: string | undefined, limit: number, span?: FirstCharacters): Promise<AddressPage> {
    const inSpan = (a: string) => span === undefined || (a[0]! >= span.from && a[0]! <= span.to);
    const all = [...this.watched.keys()].filter(inSpan).sort();
    const start = cursor === undefined ? 0 : all.findIndex((a) => a > cursor);
    const addresses = start < 0 ? [] : all.slice(start, start + limit);
    const last = addresses.at(-1);
    const changedAt = new Map(
      addresses.flatMap((a) => {
        const at = this.watched.get(a)?.changedAt;
        return at === undefined ? [] : [[a, at] as const];
      }),
    );
    return { addresses, changedAt, next: last !== undefined && last !== all.at(-1) ? last : undefined };
  }
  async hotAddresses(at: number) {
    return [...this.watched]
      .filter(([, e]) => e.changedAt === undefined || at - e.changedAt < HOT_MS)
      .map(([address]) => address)
      .sort();
  }
  async watchers(address: string) {
    return [...(this.watched.get(address)?.chats.values() ?? [])].sort((a, b) => a.chatId - b.chatId);
  }
  async snapshots(addresses: readonly string[]) {
    if (new Set(addresses).size > 100) throw new RangeError('at most 100');
    const found = new Map<string, WatchSnapshot | null>();
    for (const address of addresses) {
      const entry = this.watched.get(address);
      if (entry) found.set(address, entry.snapshot);
    }
    return found;
  }
  async updateSnapshot(address: string, expectedVersion: number, lamports: bigint) {
    const error = this.failNextUpdate;
    this.failNextUpdate = undefined;
    if (error) throw error;
    const entry = this.watched.get(address);
    if (!entry || (entry.snapshot?.version ?? 0) !== expectedVersion) return false;
    entry.snapshot = { lamports, version: Math.max(++this.clock, expectedVersion + 1) };
    entry.changedAt = Date.now();
    return true;
  }
}

/** A valid, distinct base58 address per index. */
const addressOf = (index: number) =>
  encodeBase58(Uint8Array.from({ length: 32 }, (_, i) => (index * 31 + i * 7 + 1) % 256));

function setup() {
  const store = new MemoryWatchStore();
  const solana = new FakeSolana();
  const queue = new MemoryJobQueue();
  const log = memoryLogger();
  const consume = createConsumer([...watchHandlers({ store, solana, queue, pollMinutes: 1, quota: UNLIMITED })], log);
  let delivery = 0;
  /** Delivers envelopes as one SQS batch; returns the failed message ids. */
  const deliver = async (envelopes: readonly JobEnvelope[]) => {
    const records = envelopes.map((envelope) => ({
      messageId: `m${delivery++}`,
      receiptHandle: 'r',
      body: JSON.stringify(envelope),
      attributes: { ApproximateReceiveCount: '1' },
    }));
    return (await consume(records)).batchItemFailures.map((f) => f.itemIdentifier);
  };
  const seal = (drafts: JobDraft[], idPrefix: string) =>
    sealJobs(drafts, { idPrefix, traceId: idPrefix, tenant: TEST_TENANT, now: new Date() }).map((j) => j.envelope);
  /** The schedule's poll `id`, fired at `at` (ms; now by default). */
  const poll = (id = 'evt-1', at = Date.now()) =>
    seal([{ job: WatchPollJob, payload: {}, chatId: null, userId: null }], id).map((e) => ({
      ...e,
      id,
      createdAt: new Date(at).toISOString(),
    }));
  const check = (addresses: string[], id = 'chk') =>
    seal([{ job: WatchCheckJob, payload: { addresses }, chatId: null, userId: null }], id);
  const sentOf = (type: string) => queue.sent.filter((j) => j.envelope.type === type);
  const checks = () => sentOf('watch.check').map((j) => j.envelope);
  const notices = () =>
    sentOf('telegram.send').map((j) => ({
      id: j.envelope.id,
      chatId: j.envelope.chatId,
      text: (j.envelope.payload as { calls: { params: { text: string } }[] }).calls[0]!.params.text,
    }));
  /** Runs a full round: the poll (fired at `at`), then every check it emitted. */
  const round = async (id: string, at?: number) => {
    const before = queue.sent.length;
    expect(await deliver(poll(id, at))).toEqual([]);
    const emitted = queue.sent.slice(before).map((j) => j.envelope);
    expect(await deliver(emitted.filter((e) => e.type === 'watch.check'))).toEqual([]);
    return emitted;
  };
  return { store, solana, queue, log, deliver, poll, check, checks, notices, round };
}

const watcher = (chatId: number, lang: 'en' | 'zh' = 'en', thresholdLamports = 0n): Watcher => ({
  chatId,
  userId: chatId,
  lang,
  thresholdLamports,
});

/** 250 funded addresses watched by 2–3 chats each (chats 1–3; chat 2 reads Chinese). */
async function watchMany(store: WatchStore, solana: FakeSolana, count = 250) {
  const addresses = Array.from({ length: count }, (_, i) => addressOf(i));
  for (const [i, address] of addresses.entries()) {
    solana.wallet(address, BigInt(i + 1) * SOL);
    await store.addWatcher(address, watcher(1));
    await store.addWatcher(address, watcher(2, 'zh'));
    if (i % 2 === 0) await store.addWatcher(address, watcher(3));
  }
  return addresses;
}

describe('watch.poll', () => {
  it('emits one watch.check per 100 watched addresses, with ids derived from the poll', async () => {
    const { store, solana, deliver, poll, checks } = setup();
    const addresses = await watchMany(store, solana);
    expect(await deliver(poll('evt-1'))).toEqual([]);
    const emitted = checks();
    expect(emitted.map((e) => e.id)).toEqual(['evt-1.0', 'evt-1.1', 'evt-1.2']);
    const batches = emitted.map((e) => (e.payload as { addresses: string[] }).addresses);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat().sort()).toEqual([...addresses].sort());
    expect(emitted.every((e) => e.traceId === 'evt-1' && e.chatId === null)).toBe(true);
  });

  it('emits the same check ids again when the same poll is redelivered', async () => {
    const { store, solana, deliver, poll, checks } = setup();
    await watchMany(store, solana, 120);
    await deliver(poll('evt-9'));
    await deliver(poll('evt-9'));
    expect(checks().map((e) => e.id)).toEqual(['evt-9.0', 'evt-9.1', 'evt-9.0', 'evt-9.1']);
  });

  it('emits nothing when nobody watches anything', async () => {
    const { deliver, poll, queue } = setup();
    expect(await deliver(poll())).toEqual([]);
    expect(queue.sent).toEqual([]);
  });
});

describe('watch.poll cadence: the cost follows the addresses that move', () => {
  const MINUTE = 60_000;
  const start = Date.parse('2026-12-01T00:00:00Z');
  /** Which addresses the poll at each of `minutes` consecutive minutes checked. */
  async function checkedPerPoll(t: ReturnType<typeof setup>, minutes: number) {
    const checked: string[][] = [];
    for (let m = 0; m < minutes; m++) {
      const before = t.checks().length;
      expect(await t.deliver(t.poll(`evt-${m}`, start + m * MINUTE))).toEqual([]);
      checked.push(
        t
          .checks()
          .slice(before)
          .flatMap((e) => (e.payload as { addresses: string[] }).addresses),
      );
    }
    return checked;
  }
  /** Marks every watched address as having last moved at `at`. */
  const movedAt = (store: MemoryWatchStore, at: number) => {
    for (const entry of store.watched.values()) entry.changedAt = at;
  };

  it('checks an address quiet for a day once every 15 polls, spread over the minutes', async () => {
    const t = setup();
    const addresses = await watchMany(t.store, t.solana);
    movedAt(t.store, start - 2 * 24 * 60 * MINUTE);
    const checked = await checkedPerPoll(t, 30);
    for (const address of addresses) {
      const at = checked.flatMap((batch, m) => (batch.includes(address) ? [m] : []));
      expect(at).toHaveLength(2);
      expect(at[1]! - at[0]!).toBe(15);
    }
    // No poll checks everything: the quiet addresses are spread over the interval.
    expect(Math.max(...checked.map((batch) => batch.length))).toBeLessThan(addresses.length / 2);
  });

  it('checks an address quiet for an hour once every 5 polls, and one that moved lately at every poll', async () => {
    const t = setup();
    const [lately, hourAgo] = await watchMany(t.store, t.solana, 2);
    t.store.watched.get(lately!)!.changedAt = start - 10 * MINUTE;
    t.store.watched.get(hourAgo!)!.changedAt = start - 2 * 60 * MINUTE;
    const checked = await checkedPerPoll(t, 10);
    expect(checked.every((batch) => batch.includes(lately!))).toBe(true);
    expect(checked.filter((batch) => batch.includes(hourAgo!))).toHaveLength(2);
  });

  it('checks an address not seen yet at every poll', async () => {
    const t = setup();
    await watchMany(t.store, t.solana, 3);
    const checked = await checkedPerPoll(t, 3);
    expect(checked.map((batch) => batch.length)).toEqual([3, 3, 3]);
  });

  it('with polls every 5 minutes, checks a day-quiet address every third poll', async () => {
    const t = setup();
    const consume = createConsumer([...watchHandlers({ ...t, pollMinutes: 5, quota: UNLIMITED })], t.log);
    const [address] = await watchMany(t.store, t.solana, 1);
    movedAt(t.store, start - 2 * 24 * 60 * MINUTE);
    let checks = 0;
    for (let p = 0; p < 9; p++) {
      const before = t.checks().length;
      const [envelope] = t.poll(`evt-${p}`, start + p * 5 * MINUTE);
      await consume([
        {
          messageId: `p${p}`,
          receiptHandle: 'r',
          body: JSON.stringify(envelope),
          attributes: { ApproximateReceiveCount: '1' },
        },
      ]);
      checks += t
        .checks()
        .slice(before)
        .filter((e) => (e.payload as { addresses: string[] }).addresses.includes(address!)).length;
    }
    expect(checks).toBe(3);
  });

  it('notices a change of a day-quiet address within 15 minutes', async () => {
    const t = setup();
    const [address] = await watchMany(t.store, t.solana, 1);
    await t.round('first', start - 3 * 24 * 60 * MINUTE);
    movedAt(t.store, start - 2 * 24 * 60 * MINUTE);
    t.solana.wallet(address!, 7n * SOL);
    let noticedAt: number | undefined;
    for (let m = 0; m < 15 && noticedAt === undefined; m++) {
      await t.round(`evt-${m}`, start + m * MINUTE);
      if (t.notices().length > 0) noticedAt = m;
    }
    expect(noticedAt).toBeDefined();
    expect(t.notices().map((n) => n.chatId)).toEqual([1, 2, 3]);
  });
});

describe('watch.check', () => {
  it('reads the chain once per 100 addresses and notifies nobody on a first sighting', async () => {
    const { store, solana, round, notices } = setup();
    const addresses = await watchMany(store, solana);
    const getAccounts = vi.spyOn(solana, 'getAccounts');
    await round('evt-1');
    expect(getAccounts).toHaveBeenCalledTimes(3);
    expect(getAccounts.mock.calls.map(([batch]) => batch.length)).toEqual([100, 100, 50]);
    expect(notices()).toEqual([]);
    expect((await store.snapshots(addresses.slice(0, 2))).get(addresses[1]!)).toMatchObject({ lamports: 2n * SOL });
  });

  it('notifies each watcher of a changed address once, in their language, and nobody else', async () => {
    const { store, solana, round, notices } = setup();
    const addresses = await watchMany(store, solana);
    await round('evt-1');
    const getAccounts = vi.spyOn(solana, 'getAccounts');
    solana.wallet(addresses[0]!, (3n * SOL) / 2n); // 1 SOL → 1.5 SOL, watched by chats 1, 2 (zh), 3
    solana.wallet(addresses[101]!, 100n * SOL); // 102 SOL → 100 SOL, watched by chats 1, 2
    await round('evt-2');
    expect(getAccounts).toHaveBeenCalledTimes(3);
    const sent = notices();
    expect(sent.map((n) => n.chatId).sort()).toEqual([1, 1, 2, 2, 3]);
    expect(new Set(sent.map((n) => n.id)).size).toBe(5);
    const toChat = (chatId: number, address: string) =>
      sent.filter((n) => n.chatId === chatId && n.text.includes(address)).map((n) => n.text);
    expect(toChat(1, addresses[0]!)).toEqual([
      `🔔 <b>Balance changed</b>\n<code>${addresses[0]}</code>\n1 SOL → <b>1.5 SOL</b> (+0.5 SOL)`,
    ]);
    expect(toChat(2, addresses[0]!)).toEqual([
      `🔔 <b>余额变动</b>\n<code>${addresses[0]}</code>\n1 SOL → <b>1.5 SOL</b>（+0.5 SOL）`,
    ]);
    expect(toChat(3, addresses[101]!)).toEqual([]);
    expect(toChat(1, addresses[101]!)[0]).toContain('102 SOL → <b>100 SOL</b> (-2 SOL)');
  });

  it('respects each watcher’s threshold, up or down', async () => {
    const { store, solana, deliver, check, notices } = setup();
    const address = addressOf(1);
    solana.wallet(address, 10n * SOL);
    await store.addWatcher(address, watcher(1, 'en', 0n));
    await store.addWatcher(address, watcher(2, 'en', SOL / 2n));
    await store.addWatcher(address, watcher(3, 'en', SOL));
    await deliver(check([address], 'c1'));
    solana.wallet(address, 10n * SOL - SOL / 2n);
    await deliver(check([address], 'c2'));
    expect(notices().map((n) => n.chatId)).toEqual([1, 2]);
    solana.wallet(address, 10n * SOL - SOL / 2n + 1n);
    await deliver(check([address], 'c3'));
    expect(notices().map((n) => n.chatId)).toEqual([1, 2, 1]);
  });

  it('counts a closed account as a balance of 0', async () => {
    const { store, solana, deliver, check, notices } = setup();
    const address = addressOf(2);
    solana.wallet(address, 2n * SOL);
    await store.addWatcher(address, watcher(1));
    await deliver(check([address], 'c1'));
    solana.accounts.delete(address);
    await deliver(check([address], 'c2'));
    expect(notices().map((n) => n.text)).toEqual([
      `🔔 <b>Balance changed</b>\n<code>${address}</code>\n2 SOL → <b>0 SOL</b> (-2 SOL)`,
    ]);
  });

  it('notifies nobody twice when the same check is redelivered after a change', async () => {
    const { store, solana, deliver, check, notices } = setup();
    const address = addressOf(3);
    solana.wallet(address, SOL);
    await store.addWatcher(address, watcher(1));
    await deliver(check([address], 'c1'));
    solana.wallet(address, 2n * SOL);
    const redelivered = check([address], 'c2');
    await deliver(redelivered);
    await deliver(redelivered);
    expect(notices()).toHaveLength(1);
  });

  it('sends the same notice ids again when it failed after sending, before moving the snapshot', async () => {
    const { store, solana, deliver, check, notices } = setup();
    const address = addressOf(4);
    solana.wallet(address, SOL);
    await store.addWatcher(address, watcher(1));
    await store.addWatcher(address, watcher(2));
    await deliver(check([address], 'c1'));
    solana.wallet(address, 2n * SOL);
    store.failNextUpdate = new TransientError('dynamodb.unavailable', 'down');
    const job = check([address], 'c2');
    expect(await deliver(job)).toHaveLength(1);
    expect(await deliver(job)).toEqual([]);
    const ids = notices().map((n) => n.id);
    expect(ids).toHaveLength(4);
    expect(ids.slice(2)).toEqual(ids.slice(0, 2));
    await deliver(job);
    expect(notices()).toHaveLength(4);
  });

  it('loses no notice when sending them fails', async () => {
    const { store, solana, queue, deliver, check, notices } = setup();
    const address = addressOf(5);
    solana.wallet(address, SOL);
    await store.addWatcher(address, watcher(1));
    await deliver(check([address], 'c1'));
    solana.wallet(address, 3n * SOL);
    queue.failNext = 1;
    const job = check([address], 'c2');
    expect(await deliver(job)).toHaveLength(1);
    expect(notices()).toEqual([]);
    expect(await deliver(job)).toEqual([]);
    expect(notices().map((n) => n.chatId)).toEqual([1]);
  });

  it('gives overlapping checks of the same change the same notice ids, and moves the snapshot once', async () => {
    const { store, solana, deliver, check, notices } = setup();
    const address = addressOf(6);
    solana.wallet(address, SOL);
    await store.addWatcher(address, watcher(1));
    await deliver(check([address], 'c1'));
    solana.wallet(address, 5n * SOL);
    const update = vi.spyOn(store, 'updateSnapshot');
    await Promise.all([deliver(check([address], 'poll-a.0')), deliver(check([address], 'poll-b.0'))]);
    const ids = notices().map((n) => n.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
    expect(await Promise.all(update.mock.results.map((r) => r.value))).toEqual([true, false]);
  });

  it('reads only addresses still watched, skipping malformed ones, and nothing at all when none is', async () => {
    const { store, solana, deliver, check, log } = setup();
    const [kept, dropped] = [addressOf(7), addressOf(8)];
    await store.addWatcher(kept, watcher(1));
    const getAccounts = vi.spyOn(solana, 'getAccounts');
    await deliver(check([kept, dropped, '0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl'], 'c1'));
    expect(getAccounts.mock.calls).toEqual([[[kept]]]);
    expect(log.lines.some((l) => l.event === 'watch.invalid_addresses')).toBe(true);
    await store.removeWatcher(kept, 1);
    await deliver(check([kept], 'c2'));
    expect(getAccounts).toHaveBeenCalledTimes(1);
  });

  it('refuses a check of more than 100 addresses as poison', async () => {
    const { deliver, check, log } = setup();
    const tooMany = Array.from({ length: 101 }, (_, i) => addressOf(i));
    const [job] = check(tooMany.slice(0, 1));
    expect(await deliver([{ ...job!, payload: { addresses: tooMany } }])).toHaveLength(1);
    expect(log.lines.some((l) => l.event === 'job.poison')).toBe(true);
  });
});

describe('watch notices', () => {
  const change = { address: addressOf(9), from: { lamports: 2n * SOL, version: 1_700_000_000_123 }, to: 1n };

  it('show old and new balance and a signed delta', () => {
    expect(describeChange(jobTranslator('en'), change)).toContain('2 SOL → <b>0.000000001 SOL</b> (-1.999999999 SOL)');
  });

  it('pass a threshold equal to the change, not one above it', () => {
    const delta = 2n * SOL - 1n;
    expect(passesThreshold(change, watcher(1, 'en', delta))).toBe(true);
    expect(passesThreshold(change, watcher(1, 'en', delta + 1n))).toBe(false);
  });

  it('have ids within the envelope’s 128 characters, even for the largest values', () => {
    const largest = { ...change, from: { lamports: 0n, version: Number.MAX_SAFE_INTEGER }, to: 2n ** 64n - 1n };
    const id = `${noticeIdPrefix(largest, -Number.MAX_SAFE_INTEGER)}.0`;
    expect(id).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/);
  });
});
