import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { createConsumer, type QueueRecord } from '../../core/platform/jobs/consumer.js';
import type { DeadLetterQueue, ParkReason } from '../../core/platform/jobs/dead-letters.js';
import { defineJob, handle, sealJobs } from '../../core/platform/jobs/index.js';
import { DynamoTenantRegistry, type TenantRecord } from '../../core/platform/tenants/index.js';
import { tenantSettings } from '../../functions/lib/tenants.js';
import { memoryLogger } from '../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../helpers/local-table.js';
import { tenantRecord } from '../helpers/tenants.js';

/**
 * A consumer's per-tenant handlers, built from the registry as the workers build them
 * (`tenantSettings`), on the local DynamoDB and a virtual clock: a change of a bot's record reaches
 * a warm container once its handlers and the registry cache have expired.
 */
const Probe = defineJob('test.probe', 'rpc', () => z.object({}));
const BOT = '5550001';
const HOME = { adminUserIds: new Set([1]), treasury: undefined };
const features = { payouts: false, assistant: true, watches: true, broadcasts: false };

let local: LocalTable;
let registry: DynamoTenantRegistry;
beforeAll(async () => {
  local = await startLocalTable('tenant-handlers');
  registry = new DynamoTenantRegistry({ client: local.client, tableName: local.tableName });
});
afterAll(() => local?.stop());

function world() {
  let time = 0;
  const now = () => time;
  const settingsOf = tenantSettings({ client: local.client, tableName: local.tableName, home: HOME, now });
  const ran: { admins: number[]; watches: boolean }[] = [];
  let builds = 0;
  const parked: ParkReason[] = [];
  const deadLetters: DeadLetterQueue = {
    park: async (_record, reason) => {
      parked.push(reason);
    },
  };
  const consume = createConsumer(
    async (tenant) => {
      builds += 1;
      const settings = await settingsOf(tenant);
      return [
        handle(Probe, async () => {
          ran.push({ admins: [...settings.adminUserIds], watches: settings.features.watches });
        }),
      ];
    },
    memoryLogger(),
    deadLetters,
    undefined,
    { ordered: false, now },
  );
  let n = 0;
  const send = async (tenant: string = BOT) => {
    n += 1;
    const [sealed] = sealJobs([{ job: Probe, payload: {}, chatId: 1, userId: 1 }], {
      idPrefix: `p${n}`,
      traceId: 'p',
      tenant,
      now: new Date(),
    });
    const record: QueueRecord = {
      messageId: `m${n}`,
      receiptHandle: `r${n}`,
      body: JSON.stringify(sealed!.envelope),
      attributes: { ApproximateReceiveCount: '1' },
    };
    return consume([record]);
  };
  return {
    ran,
    parked,
    send,
    builds: () => builds,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

/** Rewrites the bot's record with `change`. */
async function change(update: Partial<TenantRecord>) {
  const stored = await registry.read(BOT);
  expect(await registry.replace({ ...stored!.record, ...update }, stored!.version)).toBe('replaced');
}

describe("a consumer's handlers of a registered bot", () => {
  it('follow its record: new admins and features within the expiry, a revoked or removed bot’s jobs parked as tenant.unknown', async () => {
    expect(
      await registry.create(tenantRecord(BOT, { adminUserIds: [7], features: { ...features, watches: true } })),
    ).toBe('created');
    const w = world();
    await w.send();
    expect(w.ran.at(-1)).toEqual({ admins: [7], watches: true });

    await change({ adminUserIds: [8], features: { ...features, watches: false } });
    // Within the expiry, the warm handlers serve the record they were built from, built once.
    w.advance(9_000);
    await w.send();
    expect(w.ran.at(-1)).toEqual({ admins: [7], watches: true });
    expect(w.builds()).toBe(1);
    // Past it (10 s; the registry cache's read is as old), the new record is served.
    w.advance(2_000);
    await w.send();
    expect(w.ran.at(-1)).toEqual({ admins: [8], watches: false });
    expect(w.builds()).toBe(2);

    await change({ status: 'revoked', revokedAt: 5_000 });
    w.advance(21_000);
    expect((await w.send()).batchItemFailures).toEqual([]);
    expect(w.parked.map((p) => p.code)).toEqual(['tenant.unknown']);
    const served = w.ran.length;

    await change({ status: 'active' });
    w.advance(21_000);
    await w.send();
    expect(w.ran).toHaveLength(served + 1);

    await change({ status: 'removed', removedAt: 9_000, purgeAfter: 99_000 });
    await w.send();
    expect(w.ran).toHaveLength(served + 2);
    w.advance(21_000);
    await w.send();
    expect(w.ran).toHaveLength(served + 2);
    expect(w.parked.map((p) => p.code)).toEqual(['tenant.unknown', 'tenant.unknown']);
  });
});

describe('a job of a bot with no record', () => {
  it("runs as the deployment's own bot only when that bot is listed (enlisted at registration); any other id is parked as tenant.unknown", async () => {
    const HOME_ID = '5550009';
    const w = world();
    // Not enlisted yet: nothing takes it for the home bot.
    await w.send(HOME_ID);
    expect(w.parked.map((p) => p.code)).toEqual(['tenant.unknown']);
    expect(w.ran).toEqual([]);

    await registry.enlist({ id: HOME_ID, username: 'home_bot' });
    w.advance(11_000);
    await w.send(HOME_ID);
    expect(w.ran).toEqual([{ admins: [1], watches: true }]);

    // A purged bot (its record and its listing deleted), or an id no bot here ever had: parked,
    // never run with the home bot's admins and treasury.
    const PURGED = '5550010';
    await registry.create(tenantRecord(PURGED, { status: 'removed', removedAt: 1, purgeAfter: 2 }));
    expect(await registry.delete((await registry.get(PURGED))!)).toBe('deleted');
    w.advance(11_000);
    await w.send(PURGED);
    await w.send('5550011');
    expect(w.parked.map((p) => p.code)).toEqual(['tenant.unknown', 'tenant.unknown', 'tenant.unknown']);
    expect(w.ran).toHaveLength(1);
  });
});
