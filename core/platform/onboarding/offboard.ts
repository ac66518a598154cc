import type { Table } from '../adapters/index.js';
import type { KeyVault } from '../keys/index.js';
import type { Logger } from '../log.js';
import { type TenantId, type TenantRegistry, type TenantTreasury, tenantKeyPrefix } from '../tenants/index.js';
import { isUnauthorized } from './bot-api.js';
import { type BotApiFactory, type StepFailure, stepFailure } from './onboard.js';
import { openBotToken } from './sealing.js';

/** How long a removed tenant's data is kept before `purgeTenant` may delete it, by default: 30 days. */
export const DEFAULT_REMOVAL_GRACE_SECONDS = 30 * 86_400;

export interface OffboardDeps {
  readonly registry: TenantRegistry;
  readonly vault: KeyVault;
  readonly telegram: BotApiFactory;
  /** Seconds from removal to `purgeAfter` (a stage setting; `DEFAULT_REMOVAL_GRACE_SECONDS`). */
  readonly removalGraceSeconds: number;
  readonly now: () => number;
  readonly log?: Logger;
}

export type OffboardStep = 'registry' | 'open' | 'deleteWebhook' | 'record';

export type OffboardOutcome =
  | { readonly kind: 'removed'; readonly purgeAfter: number }
  | { readonly kind: 'not_found' }
  /** Only an operator of the bot may remove it. */
  | { readonly kind: 'not_operator' }
  | { readonly kind: 'already_removed'; readonly purgeAfter: number | undefined }
  | Exclude<StepFailure<OffboardStep>, { kind: 'token_rejected' }>;

/**
 * Takes a bot off the deployment at the request of one of its operators: deletes its webhook
 * (a token Telegram already refuses has none to delete), then marks it `removed` with
 * `purgeAfter = now + grace`, conditional on the status it had. Its data stays until
 * `purgeTenant`; onboarding it again before then (same operator) restores it.
 */
export async function offboardBot(
  botId: TenantId,
  operatorUserId: number,
  deps: OffboardDeps,
): Promise<OffboardOutcome> {
  const log = deps.log?.child({ botId });
  let step: OffboardStep = 'registry';
  try {
    const record = await deps.registry.get(botId);
    if (!record) return { kind: 'not_found' };
    if (!record.operators.includes(operatorUserId)) {
      log?.warn('tenant.offboard_refused', { operator: operatorUserId });
      return { kind: 'not_operator' };
    }
    if (record.status === 'removed') return { kind: 'already_removed', purgeAfter: record.purgeAfter };

    step = 'open';
    const token = await openBotToken(deps.vault, botId, record.sealedToken);
    step = 'deleteWebhook';
    try {
      await deps.telegram(token).deleteWebhook();
    } catch (error) {
      if (!isUnauthorized(error)) throw error;
    }

    step = 'record';
    const now = deps.now();
    const purgeAfter = now + deps.removalGraceSeconds * 1000;
    const changed = await deps.registry.setStatus(botId, record.status, 'removed', { removedAt: now, purgeAfter });
    if (changed === 'conflict') return { kind: 'unavailable', step, code: 'tenants.changed' };
    log?.info('tenant.removed', { purgeAfter });
    return { kind: 'removed', purgeAfter };
  } catch (error) {
    const failed = stepFailure(step, error, log);
    // Only `deleteWebhook` calls Telegram, and it treats 401 as done.
    return failed.kind === 'token_rejected' ? { kind: 'unavailable', step, code: 'telegram.unauthorized' } : failed;
  }
}

export interface PurgeDeps {
  readonly registry: TenantRegistry;
  /** The table (only `scanKeys` and `delete` are used; the purge needs `dynamodb:Scan`, no bot function has it). */
  readonly table: Pick<Table, 'scanKeys' | 'delete'>;
  readonly now: () => number;
  readonly log?: Logger;
}

export type PurgeOutcome =
  /** Every item under `t<botId>/` deleted, then the record. The treasury key is left in KMS: its address may hold funds. */
  | { readonly kind: 'purged'; readonly items: number; readonly treasury: TenantTreasury | null }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'not_removed' }
  | { readonly kind: 'too_early'; readonly purgeAfter: number };

/** Items deleted at once during a purge. */
const PURGE_PARALLEL = 10;

/**
 * Deletes a removed tenant once its grace is over: every item whose partition key starts with
 * `t<botId>/` (page by page), then its record and index items. Refuses a tenant not removed, or
 * before `purgeAfter`. Safe to run again after a failure: what is deleted stays deleted, and the
 * record goes last.
 */
export async function purgeTenant(botId: TenantId, deps: PurgeDeps): Promise<PurgeOutcome> {
  const record = await deps.registry.get(botId);
  if (!record) return { kind: 'not_found' };
  if (record.status !== 'removed') return { kind: 'not_removed' };
  const purgeAfter = record.purgeAfter ?? 0;
  if (deps.now() < purgeAfter) return { kind: 'too_early', purgeAfter };

  let items = 0;
  let after: Awaited<ReturnType<Table['scanKeys']>>['after'];
  do {
    const page = await deps.table.scanKeys(tenantKeyPrefix(botId), after === undefined ? {} : { after });
    for (let i = 0; i < page.keys.length; i += PURGE_PARALLEL) {
      await Promise.all(page.keys.slice(i, i + PURGE_PARALLEL).map(({ pk, sk }) => deps.table.delete(pk, sk)));
    }
    items += page.keys.length;
    after = page.after;
  } while (after);

  if ((await deps.registry.delete(record)) === 'conflict') return { kind: 'not_removed' };
  deps.log?.info('tenant.purged', { botId, items });
  return { kind: 'purged', items, treasury: record.treasury };
}
