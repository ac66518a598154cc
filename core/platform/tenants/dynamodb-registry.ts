import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionFailed, type Item, Table, TransactionCancelled } from '../adapters/index.js';
import { AppError } from '../errors.js';
import { type TenantRecord, TenantRecordSchema, type TenantStatus } from './record.js';
import type { TenantId } from './tenant.js';

/** The registry's items: deployment-wide, never under a tenant's `t<botId>/` prefix. */
export const TENANT_KEYS = {
  /** The record: `pk = tenant#<botId>`, `sk = tenant`. */
  record: (botId: TenantId) => ({ pk: `tenant#${botId}`, sk: 'tenant' }),
  /** Every tenant: `pk = tenants`, `sk = <botId>` (with `username`). */
  all: (botId: TenantId) => ({ pk: 'tenants', sk: botId }),
  /** The bots of one operator: `pk = operator#<userId>`, `sk = <botId>` (with `username`). */
  operated: (userId: number, botId: TenantId) => ({ pk: `operator#${userId}`, sk: botId }),
  /** Where the deployment's webhook is: `pk = deployment`, `sk = webhook` (with `baseUrl`), written at deploy time. */
  webhook: { pk: 'deployment', sk: 'webhook' },
} as const;

/** A record and the version its item had when read (every write adds 1). */
export interface StoredTenant {
  readonly record: TenantRecord;
  readonly version: number;
}

/** What a status change sets besides the status; `undefined` removes the attribute. */
export interface StatusFields {
  readonly revokedAt?: number | undefined;
  readonly removedAt?: number | undefined;
  readonly purgeAfter?: number | undefined;
}

/** A page of the registry's list. */
export interface TenantPage {
  readonly items: readonly { readonly id: TenantId; readonly username: string }[];
  /** Pass as `after` for the next page; undefined on the last. */
  readonly next: TenantId | undefined;
}

/** The registry as the services use it (the DynamoDB store below is the one implementation). */
export type TenantRegistry = Pick<DynamoTenantRegistry, keyof DynamoTenantRegistry>;

/** The status and its times are attributes of their own (conditional updates test them); the rest is `data`, JSON. */
const STATUS_FIELDS = ['revokedAt', 'removedAt', 'purgeAfter'] as const;

/**
 * The tenant registry on the table. `create` never overwrites another's bot (`attribute_not_exists`),
 * `replace` needs the version it read, `setStatus` needs the current status: every change is
 * conditional. The record and its index items are written in one transaction.
 */
export class DynamoTenantRegistry {
  private readonly table: Table;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.table = new Table(options.client, options.tableName, Date.now);
  }

  async get(botId: TenantId): Promise<TenantRecord | undefined> {
    return (await this.read(botId))?.record;
  }

  /** Whether the bot is among the deployment's tenants (`enlist`ed, or created and not yet purged). */
  async listed(botId: TenantId): Promise<boolean> {
    const { pk, sk } = TENANT_KEYS.all(botId);
    return (await this.table.get(pk, sk)) !== undefined;
  }

  /** The record and its version (for `replace`), or undefined. */
  async read(botId: TenantId): Promise<StoredTenant | undefined> {
    const { pk, sk } = TENANT_KEYS.record(botId);
    const item = await this.table.get(pk, sk);
    return item ? storedOf(item) : undefined;
  }

  /** Writes a new tenant and its index items; `exists` (nothing written) when the bot has a record. */
  async create(record: TenantRecord): Promise<'created' | 'exists'> {
    const indexed = (key: { pk: string; sk: string }): Item => ({
      pk: { S: key.pk },
      sk: { S: key.sk },
      username: { S: record.username },
    });
    try {
      await this.table.transact([
        { put: itemOf(record, 1), condition: { ConditionExpression: 'attribute_not_exists(pk)' } },
        { put: indexed(TENANT_KEYS.all(record.id)) },
        ...record.operators.map((userId) => ({ put: indexed(TENANT_KEYS.operated(userId, record.id)) })),
      ]);
      return 'created';
    } catch (error) {
      if (error instanceof TransactionCancelled) return 'exists';
      throw error;
    }
  }

  /**
   * Replaces a record read at `version` (same id and operators: the index is unchanged);
   * `conflict` when it changed since, or is gone.
   */
  async replace(record: TenantRecord, version: number): Promise<'replaced' | 'conflict'> {
    try {
      await this.table.put(itemOf(record, version + 1), {
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': { N: String(version) } },
      });
      return 'replaced';
    } catch (error) {
      if (error instanceof ConditionFailed) return 'conflict';
      throw error;
    }
  }

  /**
   * Moves a tenant from status `from` to `to`, setting (or, for `undefined`, removing) the times
   * given. Returns the record as changed, or `conflict` when its status was not `from` (or it is gone).
   */
  async setStatus(
    botId: TenantId,
    from: TenantStatus,
    to: TenantStatus,
    fields: StatusFields = {},
  ): Promise<TenantRecord | 'conflict'> {
    const names: Record<string, string> = { '#status': 'status', '#version': 'version' };
    const values: Item = { ':from': { S: from }, ':to': { S: to }, ':one': { N: '1' } };
    const sets = ['#status = :to'];
    const removes: string[] = [];
    for (const field of STATUS_FIELDS) {
      if (!(field in fields)) continue;
      names[`#${field}`] = field;
      const value = fields[field];
      if (value === undefined) removes.push(`#${field}`);
      else {
        values[`:${field}`] = { N: String(value) };
        sets.push(`#${field} = :${field}`);
      }
    }
    const { pk, sk } = TENANT_KEYS.record(botId);
    try {
      const item = await this.table.update(pk, sk, {
        UpdateExpression: `SET ${sets.join(', ')} ADD #version :one${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      });
      return storedOf(item ?? {}).record;
    } catch (error) {
      if (error instanceof ConditionFailed) return 'conflict';
      throw error;
    }
  }

  /**
   * Lists the deployment's own bot (whose settings are the stage's secrets, with no record here)
   * among the tenants, so what runs for every tenant (a schedule's tick) runs for it too. Idempotent.
   */
  async enlist(bot: { id: TenantId; username: string }): Promise<void> {
    const { pk, sk } = TENANT_KEYS.all(bot.id);
    await this.table.put({ pk: { S: pk }, sk: { S: sk }, username: { S: bot.username } });
  }

  /**
   * Records the deployment's webhook base URL (a bot's webhook is `<baseUrl>/telegram/<botId>`), as
   * the deploy learns it: what onboards a bot at run time reads it here (the functions cannot be
   * given the URL of the function serving the webhook without a cycle between the stacks).
   */
  async setWebhookBase(baseUrl: string): Promise<void> {
    const { pk, sk } = TENANT_KEYS.webhook;
    await this.table.put({ pk: { S: pk }, sk: { S: sk }, baseUrl: { S: baseUrl } });
  }

  /** The deployment's webhook base URL, or undefined before the deploy recorded it. */
  async webhookBase(): Promise<string | undefined> {
    const { pk, sk } = TENANT_KEYS.webhook;
    return (await this.table.get(pk, sk))?.baseUrl?.S;
  }

  /**
   * Every tenant a schedule's tick runs for: each listed bot whose record is active, and the
   * deployment's own bot (listed, with no record). Removed and revoked bots are left out.
   */
  async active(): Promise<TenantId[]> {
    const ids: TenantId[] = [];
    let after: TenantId | undefined;
    do {
      const page = await this.list(after === undefined ? {} : { after });
      ids.push(...page.items.map((item) => item.id));
      after = page.next;
    } while (after !== undefined);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return ids.filter((_, index) => records[index] === undefined || records[index]?.status === 'active');
  }

  /** One page of every tenant, by bot id as text. */
  async list(options: { after?: TenantId; limit?: number } = {}): Promise<TenantPage> {
    const page = await this.table.query('tenants', {
      ...(options.after === undefined ? {} : { afterSk: options.after }),
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    });
    return { items: page.items.map(indexEntry), next: page.lastSk };
  }

  /** The bots `userId` operates. */
  async listOperatedBy(userId: number): Promise<{ id: TenantId; username: string }[]> {
    const found: { id: TenantId; username: string }[] = [];
    let afterSk: string | undefined;
    do {
      const page = await this.table.query(`operator#${userId}`, afterSk === undefined ? {} : { afterSk });
      found.push(...page.items.map(indexEntry));
      afterSk = page.lastSk;
    } while (afterSk);
    return found;
  }

  /**
   * Deletes a removed tenant's record and index items: the index first, the record last and only
   * while it is `removed`, so an interrupted delete can be run again. `conflict` when not removed.
   */
  async delete(record: TenantRecord): Promise<'deleted' | 'conflict'> {
    for (const key of [
      TENANT_KEYS.all(record.id),
      ...record.operators.map((u) => TENANT_KEYS.operated(u, record.id)),
    ]) {
      await this.table.delete(key.pk, key.sk);
    }
    const { pk, sk } = TENANT_KEYS.record(record.id);
    try {
      await this.table.delete(pk, sk, {
        ConditionExpression: '#status = :removed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':removed': { S: 'removed' } },
      });
      return 'deleted';
    } catch (error) {
      if (error instanceof ConditionFailed) return 'conflict';
      throw error;
    }
  }
}

function indexEntry(item: Item): { id: TenantId; username: string } {
  return { id: item.sk?.S ?? '', username: item.username?.S ?? '' };
}

function itemOf(record: TenantRecord, version: number): Item {
  const { status, revokedAt, removedAt, purgeAfter, ...data } = TenantRecordSchema.parse(record);
  const { pk, sk } = TENANT_KEYS.record(record.id);
  const times = { revokedAt, removedAt, purgeAfter };
  const item: Item = {
    pk: { S: pk },
    sk: { S: sk },
    status: { S: status },
    version: { N: String(version) },
    data: { S: JSON.stringify(data) },
  };
  for (const field of STATUS_FIELDS) {
    const value = times[field];
    if (value !== undefined) item[field] = { N: String(value) };
  }
  return item;
}

function storedOf(item: Item): StoredTenant {
  let data: unknown;
  try {
    data = JSON.parse(item.data?.S ?? '');
  } catch (error) {
    throw new AppError('tenants.corrupt', `Tenant item ${item.pk?.S} holds no JSON record`, { cause: error });
  }
  const times = Object.fromEntries(
    STATUS_FIELDS.filter((field) => item[field]?.N !== undefined).map((field) => [field, Number(item[field]!.N)]),
  );
  const parsed = TenantRecordSchema.safeParse({ ...(data as object), status: item.status?.S, ...times });
  if (!parsed.success) {
    throw new AppError('tenants.corrupt', `Tenant item ${item.pk?.S} is not a valid record`, { cause: parsed.error });
  }
  return { record: parsed.data, version: Number(item.version?.N ?? '0') };
}
