import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { JobQueue } from '../../core/platform/jobs/index.js';
import type { Logger } from '../../core/platform/log.js';
import { PLANS, type TenantQuota, tenantQuota } from '../../core/platform/quotas/index.js';
import { scopeToTenant, type TenantId, type TenantRecord } from '../../core/platform/tenants/index.js';

/**
 * Each bot's quota, as a worker hands it to the bot's handlers: a registered bot's on its plan
 * (its record, as `tenantSettings` read it), the deployment's own bot's (it has no record, nor plan)
 * unlimited. A refusal tells the bot's operators through `queue` (the notify queue).
 */
export function tenantQuotas(options: {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly queue: JobQueue;
  readonly log: Logger;
}): (tenant: TenantId, record: TenantRecord | undefined) => TenantQuota {
  return (tenant, record) =>
    tenantQuota({
      plan: record && PLANS[record.plan],
      client: scopeToTenant(options.client, tenant),
      tableName: options.tableName,
      tenant,
      bot: record?.username ?? '',
      operators: record?.operators ?? [],
      queue: options.queue,
      log: options.log.child({ tenant }),
    });
}
