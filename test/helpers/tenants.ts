import type { TenantRecord } from '../../core/platform/tenants/index.js';

/** A valid active tenant record (a fake envelope: the registry stores it as text). */
export function tenantRecord(id: string, overrides: Partial<TenantRecord> = {}): TenantRecord {
  return {
    id,
    username: `bot_${id}_bot`,
    name: `Bot ${id}`,
    status: 'active',
    plan: 'free',
    languages: ['en', 'zh'],
    operators: [7001],
    adminChatId: null,
    adminUserIds: [],
    features: { payouts: false, assistant: true, watches: true, broadcasts: false },
    sealedToken: 'wd1:AAAA',
    treasury: null,
    createdAt: 1_000,
    ...overrides,
  };
}
