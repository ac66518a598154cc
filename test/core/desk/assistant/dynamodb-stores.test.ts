import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoHistoryStore } from '../../../../core/desk/assistant/dynamodb-history.js';
import { DynamoQuotaStore } from '../../../../core/desk/assistant/dynamodb-quota.js';
import { HistoryConflictError, type Turn } from '../../../../core/desk/assistant/history.js';
import { type LocalTable, nearNow, startLocalTable } from '../../../helpers/local-table.js';

const turn = (n: number): Turn => ({ job: `job-${n}`, at: n, question: `q${n}`, answer: `a${n}` });

describe('DynamoHistoryStore', () => {
  let table: LocalTable;
  let now = nearNow();
  let store: DynamoHistoryStore;

  beforeAll(async () => {
    table = await startLocalTable('ai-history');
    store = new DynamoHistoryStore({ ...table, idleSeconds: 3600, now: () => now });
  });
  afterAll(() => table.stop());

  it('starts empty, saves with a version, and reads the turns back', async () => {
    expect(await store.load(1)).toEqual({ turns: [], version: 0 });
    await store.save(1, [turn(1)], 0);
    expect(await store.load(1)).toEqual({ turns: [turn(1)], version: 1 });
    await store.save(1, [turn(1), turn(2)], 1);
    expect(await store.load(1)).toEqual({ turns: [turn(1), turn(2)], version: 2 });
  });

  it('refuses a save from a stale version, or a first save over an existing conversation', async () => {
    await store.save(2, [turn(1)], 0);
    await expect(store.save(2, [turn(9)], 0)).rejects.toBeInstanceOf(HistoryConflictError);
    await store.save(2, [turn(1), turn(2)], 1);
    await expect(store.save(2, [turn(9)], 1)).rejects.toBeInstanceOf(HistoryConflictError);
    expect((await store.load(2)).turns).toEqual([turn(1), turn(2)]);
  });

  it('forgets a conversation idle past its TTL on read, and lets the next save replace it', async () => {
    await store.save(3, [turn(1)], 0);
    now += 3601_000;
    const expired = await store.load(3);
    expect(expired).toEqual({ turns: [], version: 1 });
    await store.save(3, [turn(2)], expired.version);
    expect((await store.load(3)).turns).toEqual([turn(2)]);
  });

  it('clears a conversation, and clearing none is fine', async () => {
    await store.save(4, [turn(1)], 0);
    await store.clear(4);
    await store.clear(4);
    expect(await store.load(4)).toEqual({ turns: [], version: 0 });
  });
});

describe('DynamoQuotaStore', () => {
  let table: LocalTable;
  let store: DynamoQuotaStore;

  beforeAll(async () => {
    table = await startLocalTable('ai-quota');
    store = new DynamoQuotaStore(table);
  });
  afterAll(() => table.stop());

  it('counts questions up to the limit, then refuses', async () => {
    expect(await store.take(1, '2026-11-22', 'a', 2)).toEqual({ ok: true, used: 1 });
    expect(await store.take(1, '2026-11-22', 'b', 2)).toEqual({ ok: true, used: 2 });
    expect(await store.take(1, '2026-11-22', 'c', 2)).toEqual({ ok: false, used: 2 });
  });

  it('counts a redelivered job once, even when the day is used up', async () => {
    expect(await store.take(2, '2026-11-22', 'a', 1)).toEqual({ ok: true, used: 1 });
    expect(await store.take(2, '2026-11-22', 'a', 1)).toEqual({ ok: true, used: 1 });
  });

  it('keeps each day and each user apart', async () => {
    expect(await store.take(3, '2026-11-22', 'a', 1)).toMatchObject({ ok: true });
    expect(await store.take(3, '2026-11-23', 'b', 1)).toMatchObject({ ok: true });
    expect(await store.take(4, '2026-11-22', 'c', 1)).toMatchObject({ ok: true });
  });

  it('gives a question back once, so another fits', async () => {
    await store.take(5, '2026-11-22', 'a', 1);
    await store.giveBack(5, '2026-11-22', 'a');
    await store.giveBack(5, '2026-11-22', 'a');
    await store.giveBack(5, '2026-11-22', 'never-taken');
    expect(await store.take(5, '2026-11-22', 'b', 1)).toEqual({ ok: true, used: 1 });
    expect(await store.take(5, '2026-11-22', 'c', 1)).toEqual({ ok: false, used: 1 });
  });

  it('never counts past the limit when many questions race', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.take(6, '2026-11-22', `job-${i}`, 5)));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
  });
});
