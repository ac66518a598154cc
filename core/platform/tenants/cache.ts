import type { TenantRecord } from './record.js';
import type { TenantId } from './tenant.js';

/** Reads a tenant's record (the registry, or a cache in front of it). */
export interface TenantReader {
  get(botId: TenantId): Promise<TenantRecord | undefined>;
}

export interface TenantCacheOptions {
  /**
   * How long a read is reused (default 10 s): the webhook reads its tenant on every update, and a
   * revoked or removed bot may keep being served this long in a warm container.
   */
  readonly ttlMs?: number;
  /** Most tenants kept (default 1,000; the least recently read go first). */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly at: number;
  readonly read: Promise<TenantRecord | undefined>;
}

/**
 * A per-container cache of tenant reads with a short TTL. A missing tenant is cached too (an
 * unknown bot id in the webhook's path costs one read per TTL, not one per request); concurrent
 * reads of one tenant share one call; a failed read is not kept.
 */
export function cachedTenants(
  reader: TenantReader,
  options: TenantCacheOptions = {},
): TenantReader & { forget(botId: TenantId): void } {
  const ttlMs = options.ttlMs ?? 10_000;
  const maxEntries = options.maxEntries ?? 1_000;
  const now = options.now ?? Date.now;
  const entries = new Map<TenantId, Entry>();
  return {
    get(botId) {
      const cached = entries.get(botId);
      entries.delete(botId);
      if (cached && now() - cached.at < ttlMs) {
        entries.set(botId, cached);
        return cached.read;
      }
      const read = reader.get(botId);
      const entry = { at: now(), read };
      entries.set(botId, entry);
      read.catch(() => {
        if (entries.get(botId) === entry) entries.delete(botId);
      });
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries) break;
        entries.delete(oldest);
      }
      return read;
    },
    forget(botId) {
      entries.delete(botId);
    },
  };
}
