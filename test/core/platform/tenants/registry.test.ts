import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Table } from '../../../../core/platform/adapters/index.js';
import { AppError } from '../../../../core/platform/errors.js';
import {
  cachedTenants,
  DynamoTenantRegistry,
  TENANT_KEYS,
  type TenantReader,
  type TenantRecord,
} from '../../../../core/platform/tenants/index.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { rejection } from '../../../helpers/rejection.js';
import { tenantRecord } from '../../../helpers/tenants.js';

let local: LocalTable;
let registry: DynamoTenantRegistry;
let table: Table;

beforeAll(async () => {
  local = await startLocalTable('tenants-registry-test');
  registry = new DynamoTenantRegistry({ client: local.client, tableName: local.tableName });
  table = new Table(local.client, local.tableName, Date.now);
});
afterAll(async () => {
  await local.stop();
});

let nextBot = 500_000;
const botId = () => String(++nextBot);

describe('DynamoTenantRegistry', () => {
  it('creates a record at tenant#<botId>, outside every tenant prefix, and reads it back whole', async () => {
    const id = botId();
    const record = tenantRecord(id, { adminChatId: -100_5, adminUserIds: [9], operators: [7001, 7002] });
    expect(await registry.create(record)).toBe('created');
    expect(await registry.get(id)).toEqual(record);
    const item = await table.get(`tenant#${id}`, 'tenant');
    expect(item?.status?.S).toBe('active');
    expect(item?.version?.N).toBe('1');
    expect(TENANT_KEYS.record(id).pk.startsWith(`t${id}/`)).toBe(false);
    expect(await registry.get(botId())).toBeUndefined();
  });

  it("never overwrites another's bot: a second create writes nothing", async () => {
    const id = botId();
    const first = tenantRecord(id, { operators: [1] });
    expect(await registry.create(first)).toBe('created');
    expect(await registry.create(tenantRecord(id, { operators: [2], username: 'thief_bot' }))).toBe('exists');
    expect(await registry.get(id)).toEqual(first);
    expect(await registry.listOperatedBy(2)).toEqual([]);
  });

  it('lists every tenant by page, and the bots of an operator', async () => {
    const operator = 88_001;
    const ids = [botId(), botId(), botId()];
    for (const id of ids) await registry.create(tenantRecord(id, { operators: [operator] }));
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await registry.list({ limit: 2, ...(after === undefined ? {} : { after }) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      after = page.next;
    } while (after);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(await registry.listOperatedBy(operator)).toEqual(ids.map((id) => ({ id, username: `bot_${id}_bot` })));
  });

  it('changes a status only from the status it has, setting and removing its times', async () => {
    const id = botId();
    await registry.create(tenantRecord(id));
    expect(await registry.setStatus(id, 'revoked', 'active')).toBe('conflict');
    const revoked = await registry.setStatus(id, 'active', 'revoked', { revokedAt: 5_000 });
    expect(revoked).toEqual(tenantRecord(id, { status: 'revoked', revokedAt: 5_000 }));
    // A second "first" revocation loses.
    expect(await registry.setStatus(id, 'active', 'revoked', { revokedAt: 6_000 })).toBe('conflict');
    const removed = await registry.setStatus(id, 'revoked', 'removed', {
      revokedAt: undefined,
      removedAt: 7_000,
      purgeAfter: 9_000,
    });
    expect(removed).toEqual(tenantRecord(id, { status: 'removed', removedAt: 7_000, purgeAfter: 9_000 }));
    expect(await registry.get(id)).toEqual(removed);
    expect(await registry.setStatus(botId(), 'active', 'revoked')).toBe('conflict');
  });

  it('replaces a record only at the version it was read', async () => {
    const id = botId();
    await registry.create(tenantRecord(id));
    const read = await registry.read(id);
    expect(read?.version).toBe(1);
    const next: TenantRecord = { ...read!.record, plan: 'pro' };
    expect(await registry.replace(next, 1)).toBe('replaced');
    expect(await registry.replace({ ...next, plan: 'business' }, 1)).toBe('conflict');
    expect((await registry.read(id))?.record.plan).toBe('pro');
    // A status change counts as a write too.
    await registry.setStatus(id, 'active', 'revoked', { revokedAt: 1 });
    expect(await registry.replace(next, 2)).toBe('conflict');
    expect(await registry.replace(tenantRecord(botId()), 0)).toBe('conflict');
  });

  it('deletes only a removed tenant: index items first, the record last', async () => {
    const id = botId();
    const record = tenantRecord(id, { operators: [91_001] });
    await registry.create(record);
    expect(await registry.delete(record)).toBe('conflict');
    expect(await registry.get(id)).toEqual(record);
    await registry.setStatus(id, 'active', 'removed', { removedAt: 1, purgeAfter: 2 });
    expect(await registry.delete(record)).toBe('deleted');
    expect(await registry.get(id)).toBeUndefined();
    expect(await registry.listOperatedBy(91_001)).toEqual([]);
    expect(await table.get('tenants', id)).toBeUndefined();
    expect(await registry.delete(record)).toBe('conflict');
  });

  it('refuses to write an invalid record, and reads a corrupt item as tenants.corrupt', async () => {
    const id = botId();
    expect(await rejection(registry.create(tenantRecord(id, { operators: [] })))).toBeInstanceOf(Error);
    expect(await registry.get(id)).toBeUndefined();
    await local.client.send(
      new PutItemCommand({
        TableName: local.tableName,
        Item: { pk: { S: `tenant#${id}` }, sk: { S: 'tenant' }, status: { S: 'active' }, data: { S: '{"id":1}' } },
      }),
    );
    const error = await rejection(registry.get(id));
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('tenants.corrupt');
  });

  it('records the deployment’s webhook base URL outside every tenant, and reads none before it is recorded', async () => {
    expect(await registry.webhookBase()).toBeUndefined();
    await registry.setWebhookBase('https://abc.lambda-url.eu-central-1.on.aws');
    await registry.setWebhookBase('https://def.lambda-url.eu-central-1.on.aws');
    expect(await registry.webhookBase()).toBe('https://def.lambda-url.eu-central-1.on.aws');
    expect(TENANT_KEYS.webhook).toEqual({ pk: 'deployment', sk: 'webhook' });
  });

  it('fails as transient when DynamoDB is away', async () => {
    const id = botId();
    await local.db.stop();
    try {
      const error = await rejection(registry.get(id));
      expect((error as AppError).code).toBe('dynamodb.unavailable');
    } finally {
      await local.db.start();
    }
  });
});

describe('cachedTenants', () => {
  function counting(records: Map<string, TenantRecord>) {
    const reads: string[] = [];
    let failNext = false;
    const reader: TenantReader = {
      async get(id) {
        reads.push(id);
        if (failNext) {
          failNext = false;
          throw new Error('down');
        }
        return records.get(id);
      },
    };
    return { reader, reads, failOnce: () => (failNext = true) };
  }

  it('reuses a read for the TTL, then reads again', async () => {
    let now = 0;
    const source = counting(new Map([['1', tenantRecord('1')]]));
    const cache = cachedTenants(source.reader, { ttlMs: 1_000, now: () => now });
    expect(await cache.get('1')).toEqual(tenantRecord('1'));
    now = 999;
    await cache.get('1');
    expect(source.reads).toEqual(['1']);
    now = 1_000;
    await cache.get('1');
    expect(source.reads).toEqual(['1', '1']);
  });

  it('caches a missing tenant too, shares concurrent reads, and forgets on request', async () => {
    const source = counting(new Map());
    const cache = cachedTenants(source.reader, { now: () => 0 });
    const both = await Promise.all([cache.get('9'), cache.get('9')]);
    expect(both).toEqual([undefined, undefined]);
    expect(source.reads).toEqual(['9']);
    cache.forget('9');
    await cache.get('9');
    expect(source.reads).toEqual(['9', '9']);
  });

  it('does not keep a failed read', async () => {
    const source = counting(new Map([['1', tenantRecord('1')]]));
    const cache = cachedTenants(source.reader, { now: () => 0 });
    source.failOnce();
    await expect(cache.get('1')).rejects.toThrow('down');
    expect(await cache.get('1')).toEqual(tenantRecord('1'));
    expect(source.reads).toEqual(['1', '1']);
  });

  it('keeps at most maxEntries tenants, dropping the least recently read', async () => {
    const source = counting(new Map());
    const cache = cachedTenants(source.reader, { maxEntries: 2, now: () => 0 });
    await cache.get('1');
    await cache.get('2');
    await cache.get('1');
    await cache.get('3');
    await cache.get('1');
    expect(source.reads).toEqual(['1', '2', '3']);
    await cache.get('2');
    expect(source.reads).toEqual(['1', '2', '3', '2']);
  });
});
