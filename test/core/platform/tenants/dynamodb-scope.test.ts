import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConditionFailed, Table } from '../../../../core/platform/adapters/dynamodb.js';
import { botInfoOf, createTurnRunner } from '../../../../core/platform/bot.js';
import { AppError } from '../../../../core/platform/errors.js';
import { checkUpdate, createReplyPacer, createUpdateProcessor } from '../../../../core/platform/ingress/index.js';
import { DynamoSessionStore } from '../../../../core/platform/sessions/dynamodb-store.js';
import { DynamoChatPace } from '../../../../core/platform/telegram/index.js';
import { scopeToTenant, tenantKeyPrefix } from '../../../../core/platform/tenants/index.js';
import { echoBot } from '../../../../examples/echo-bot/bot.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { textUpdate } from '../../../helpers/updates.js';

let local: LocalTable;

beforeAll(async () => {
  local = await startLocalTable('tenant-scope');
});
afterAll(async () => {
  await local?.stop();
});

/** The raw client, recording the partition keys of every request it sends on behalf of one tenant. */
function recording(client: DynamoDBClient): { client: DynamoDBClient; keys: string[] } {
  const keys: string[] = [];
  const recorder = Object.create(client) as DynamoDBClient;
  Object.defineProperty(recorder, 'send', {
    value: (command: { input: unknown }) => {
      for (const match of JSON.stringify(command.input).matchAll(/"pk":\{"S":"([^"]*)"\}/g)) keys.push(match[1]!);
      for (const match of JSON.stringify(command.input).matchAll(/":pk":\{"S":"([^"]*)"\}/g)) keys.push(match[1]!);
      return client.send(command as never);
    },
  });
  return { client: recorder, keys };
}

const TENANTS = ['1001', '1002', '777000111'] as const;

describe('scopeToTenant', () => {
  it('puts every key a store names under the tenant, and reads it back without the prefix', async () => {
    const tenant = '4242';
    const table = new Table(scopeToTenant(local.client, tenant), local.tableName, () => Date.now());
    await table.put({ pk: { S: 'balance#7' }, sk: { S: 'balance' }, value: { N: '5' } });
    expect((await table.get('balance#7', 'balance'))?.pk).toEqual({ S: 'balance#7' });
    const raw = await local.client.send(
      new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: 't4242/balance#7' }, sk: { S: 'balance' } } }),
    );
    expect(raw.Item?.value).toEqual({ N: '5' });
    // The unscoped key is another item: nothing was written there.
    const unscoped = await local.client.send(
      new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: 'balance#7' }, sk: { S: 'balance' } } }),
    );
    expect(unscoped.Item).toBeUndefined();
  });

  it('scopes queries, their pages, batch reads, transactions and returned attributes', async () => {
    const a = new Table(scopeToTenant(local.client, '5001'), local.tableName, () => Date.now());
    const b = new Table(scopeToTenant(local.client, '5002'), local.tableName, () => Date.now());
    for (const table of [a, b])
      await table.transact(
        Array.from({ length: 5 }, (_, i) => ({ put: { pk: { S: 'ledger#1' }, sk: { S: `e${i}` } } })),
      );
    await b.put({ pk: { S: 'ledger#1' }, sk: { S: 'e9' } });
    const first = await a.query('ledger#1', { limit: 2 });
    const rest = await a.query('ledger#1', { afterSk: first.lastSk });
    expect([...first.items, ...rest.items].map((item) => [item.pk?.S, item.sk?.S])).toEqual(
      Array.from({ length: 5 }, (_, i) => ['ledger#1', `e${i}`]),
    );
    expect(await b.count('ledger#1')).toBe(6);
    const batch = await a.batchGet([
      { pk: 'ledger#1', sk: 'e0' },
      { pk: 'ledger#1', sk: 'e9' },
    ]);
    expect(batch.map((item) => item.sk?.S)).toEqual(['e0']);
    const updated = await a.update('ledger#1', 'e0', {
      UpdateExpression: 'SET #v = :v',
      ExpressionAttributeNames: { '#v': 'v' },
      ExpressionAttributeValues: { ':v': { N: '1' } },
      ReturnValues: 'ALL_NEW',
    });
    expect(updated?.pk).toEqual({ S: 'ledger#1' });
  });

  it("keeps a condition on the tenant's own item: another tenant's item never satisfies or fails it", async () => {
    const a = new Table(scopeToTenant(local.client, '6001'), local.tableName, () => Date.now());
    const b = new Table(scopeToTenant(local.client, '6002'), local.tableName, () => Date.now());
    const create = { ConditionExpression: 'attribute_not_exists(pk)' };
    await a.put({ pk: { S: 'payout#x' }, sk: { S: 'payout' } }, create);
    await b.put({ pk: { S: 'payout#x' }, sk: { S: 'payout' } }, create);
    await expect(a.put({ pk: { S: 'payout#x' }, sk: { S: 'payout' } }, create)).rejects.toBeInstanceOf(ConditionFailed);
  });

  it('knows a command by its class, not its name: minified bundles keep no class names', async () => {
    const tenant = '4343';
    const table = new Table(scopeToTenant(local.client, tenant), local.tableName, () => Date.now());
    const renamed = [GetItemCommand, PutItemCommand].map((command) => ({
      command,
      name: Object.getOwnPropertyDescriptor(command, 'name')!,
    }));
    for (const { command } of renamed) Object.defineProperty(command, 'name', { value: 'a', configurable: true });
    try {
      await table.put({ pk: { S: 'balance#8' }, sk: { S: 'balance' }, value: { N: '6' } });
      expect((await table.get('balance#8', 'balance'))?.value).toEqual({ N: '6' });
    } finally {
      for (const { command, name } of renamed) Object.defineProperty(command, 'name', name);
    }
    expect(GetItemCommand.name).toBe('GetItemCommand');
    const raw = await local.client.send(
      new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: 't4343/balance#8' }, sk: { S: 'balance' } } }),
    );
    expect(raw.Item?.value).toEqual({ N: '6' });
    // A scan whose class is named like a read is still a scan: refused before it is sent.
    const { client, keys } = recording(local.client);
    const GetItemCommandLookalike = { GetItemCommand: class GetItemCommand extends ScanCommand {} }.GetItemCommand;
    await expect(
      scopeToTenant(client, tenant).send(new GetItemCommandLookalike({ TableName: local.tableName }) as never),
    ).rejects.toBeInstanceOf(AppError);
    expect(keys).toEqual([]);
  });

  it('refuses, before sending, a request it cannot scope: a scan, an index query, a key that is not a string', async () => {
    const { client, keys } = recording(local.client);
    const scoped = scopeToTenant(client, '7001');
    await expect(scoped.send(new ScanCommand({ TableName: local.tableName }))).rejects.toBeInstanceOf(AppError);
    await expect(
      scoped.send(
        new QueryCommand({
          TableName: local.tableName,
          IndexName: 'byOwner',
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':pk': { S: 'x' } },
        }),
      ),
    ).rejects.toBeInstanceOf(AppError);
    await expect(
      scoped.send(new QueryCommand({ TableName: local.tableName, KeyConditionExpression: 'sk = :s' })),
    ).rejects.toBeInstanceOf(AppError);
    await expect(
      scoped.send(new PutItemCommand({ TableName: local.tableName, Item: { pk: { N: '1' }, sk: { S: 'x' } } })),
    ).rejects.toBeInstanceOf(AppError);
    await expect(
      scoped.send(
        new TransactWriteItemsCommand({
          TransactItems: [{ Put: { TableName: local.tableName, Item: { sk: { S: 'no pk' } } } }],
        }),
      ),
    ).rejects.toBeInstanceOf(AppError);
    expect(keys).toEqual([]);
  });

  it("treats an item read back from outside the tenant's keys as an error, never as data", async () => {
    // A query that fixes the partition key in a second equality the scope does not own cannot widen it:
    // the key condition's own placeholder is the one rewritten, so the other tenant's item is not reached.
    const other = new Table(scopeToTenant(local.client, '8002'), local.tableName, () => Date.now());
    await other.put({ pk: { S: 'session#1:1' }, sk: { S: 'session' }, data: { S: 'theirs' } });
    const mine = new Table(scopeToTenant(local.client, '8001'), local.tableName, () => Date.now());
    expect(await mine.get('session#1:1', 'session')).toBeUndefined();
    expect(await mine.get('../t8002/session#1:1', 'session')).toBeUndefined();
  });

  it('keeps every read and write of random updates from many tenants, run at once, inside its own tenant', async () => {
    const Op = fc.record({
      tenant: fc.constantFrom(...TENANTS),
      chat: fc.integer({ min: 1, max: 3 }),
      value: fc.string({ maxLength: 12 }),
      kind: fc.constantFrom('session', 'ledger', 'gauge'),
    });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(Op, { minLength: 1, maxLength: 24 }), async (ops) => {
        round += 1;
        const ns = `r${round}-`;
        const clients = Object.fromEntries(TENANTS.map((tenant) => [tenant, recording(local.client)]));
        const stores = Object.fromEntries(
          TENANTS.map((tenant) => {
            const client = scopeToTenant(clients[tenant]!.client, tenant);
            const options = { client, tableName: local.tableName, sessionIdleSeconds: 3600, updateDedupeSeconds: 60 };
            return [
              tenant,
              {
                sessions: new DynamoSessionStore(options),
                table: new Table(client, local.tableName, () => Date.now()),
              },
            ];
          }),
        );
        // What each tenant wrote, by logical key: the model every read is checked against.
        const model = new Map<string, string[]>();
        const remember = (tenant: string, key: string, value: string) => {
          const id = `${tenant}|${key}`;
          model.set(id, [...(model.get(id) ?? []), value]);
        };
        await Promise.all(
          ops.map(async (op, index) => {
            const { sessions, table } = stores[op.tenant]!;
            if (op.kind === 'session') {
              const key = `${ns}${op.chat}:${op.chat}`;
              for (let attempt = 0; ; attempt++) {
                const snapshot = await sessions.load(key);
                const list = Array.isArray(snapshot.data) ? (snapshot.data as string[]) : [];
                try {
                  await sessions.save({
                    key,
                    data: [...list, op.value],
                    expectedVersion: snapshot.version,
                    update: { updateId: index + 1, outbox: { reply: null, calls: [], jobs: [] } },
                    processed: snapshot.processed,
                  } as never);
                  remember(op.tenant, `session:${key}`, op.value);
                  return;
                } catch (error) {
                  if (attempt > 20) throw error;
                }
              }
            }
            if (op.kind === 'ledger') {
              await table.put({ pk: { S: `${ns}ledger#${op.chat}` }, sk: { S: `e${index}` }, v: { S: op.value } });
              remember(op.tenant, `ledger:${op.chat}`, op.value);
              return;
            }
            await table.update(`${ns}gauge#${op.chat}`, 'gauge', {
              UpdateExpression: 'ADD #n :one',
              ExpressionAttributeNames: { '#n': 'n' },
              ExpressionAttributeValues: { ':one': { N: '1' } },
            });
            remember(op.tenant, `gauge:${op.chat}`, op.value);
          }),
        );
        for (const tenant of TENANTS) {
          // No request a tenant's stores sent named a key outside its prefix.
          for (const key of clients[tenant]!.keys) expect(key.startsWith(tenantKeyPrefix(tenant))).toBe(true);
          const { sessions, table } = stores[tenant]!;
          for (let chat = 1; chat <= 3; chat++) {
            const session = await sessions.load(`${ns}${chat}:${chat}`);
            const wrote = model.get(`${tenant}|session:${ns}${chat}:${chat}`) ?? [];
            expect([...((session.data as string[] | undefined) ?? [])].sort()).toEqual([...wrote].sort());
            const ledger = await table.query(`${ns}ledger#${chat}`);
            expect(ledger.items.map((item) => item.v?.S).sort()).toEqual(
              [...(model.get(`${tenant}|ledger:${chat}`) ?? [])].sort(),
            );
            const gauge = await table.get(`${ns}gauge#${chat}`, 'gauge');
            expect(Number(gauge?.n?.N ?? 0)).toBe(model.get(`${tenant}|gauge:${chat}`)?.length ?? 0);
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('applies random updates of many bots, run at once through the webhook’s update processor, each to its own bot’s sessions only', async () => {
    const Update = fc.record({
      tenant: fc.constantFrom(...TENANTS),
      user: fc.integer({ min: 1, max: 4 }),
      text: fc.string({ minLength: 1, maxLength: 20 }).filter((t) => !t.startsWith('/')),
    });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(Update, { minLength: 1, maxLength: 30 }), async (updates) => {
        round += 1;
        const base = round * 1_000;
        const recorders = Object.fromEntries(TENANTS.map((tenant) => [tenant, recording(local.client)]));
        const processors = Object.fromEntries(
          TENANTS.map((tenant) => {
            const client = scopeToTenant(recorders[tenant]!.client, tenant);
            const store = new DynamoSessionStore({
              client,
              tableName: local.tableName,
              sessionIdleSeconds: 3600,
              updateDedupeSeconds: 60,
            });
            const process = createUpdateProcessor({
              tenant,
              sessions: store,
              ledger: store,
              queue: new MemoryJobQueue(),
              runTurn: createTurnRunner({
                bot: echoBot,
                botInfo: botInfoOf(Number(tenant), `bot${tenant}`),
                apiRoot: 'http://x',
              }),
              pacer: createReplyPacer(new DynamoChatPace({ client, tableName: local.tableName })),
              log: memoryLogger(),
            });
            return [tenant, { process, store }];
          }),
        );
        // Update ids repeat across bots (each bot numbers its own), so the same id runs once per bot.
        const results = await Promise.all(
          updates.map((u, index) => {
            const chat = base + u.user;
            const update = textUpdate({ id: chat, first_name: 'U' }, u.text, { update_id: base + index });
            const check = checkUpdate(update, ['message']);
            if (!check.ok) throw new Error(check.detail);
            return processors[u.tenant]!.process(check.value);
          }),
        );
        expect(results.every((r) => !r.duplicate)).toBe(true);
        for (const tenant of TENANTS) {
          for (const key of recorders[tenant]!.keys) expect(key.startsWith(tenantKeyPrefix(tenant))).toBe(true);
          for (let user = 1; user <= 4; user++) {
            const chat = base + user;
            const mine = updates.filter((u) => u.tenant === tenant && u.user === user).length;
            const session = await processors[tenant]!.store.load(`${chat}:${chat}`);
            expect((session.data as { count?: number } | undefined)?.count ?? 0).toBe(mine);
          }
        }
      }),
      { numRuns: 15 },
    );
  });
});
