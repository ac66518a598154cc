import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConfigError, ValidationError } from '../errors.js';
import {
  canonicalContext,
  decodeEnvelope,
  encodeEnvelopeHeader,
  envelopeFromText,
  envelopeToText,
  IV_BYTES,
  MAX_ENVELOPE_PLAINTEXT_BYTES,
  sameContext,
  TAG_BYTES,
} from './envelope.js';
import { CiphertextRejectedError, KeyServiceError, WrongContextError } from './errors.js';
import type { DataKeySource, EncryptionContext } from './ports.js';

/**
 * Seals and opens per-user secrets. A sealed value is safe to store anywhere (DynamoDB, a
 * session, a job): it opens only through the key service, only for the context it was sealed
 * for, and only unaltered.
 */
export interface KeyVault {
  /**
   * Seals plaintext for context; the result is safe to store anywhere. Throws `ValidationError`
   * for an invalid context (`vault.invalid_context`) or a plaintext over 64 KiB (`vault.too_large`).
   */
  seal(plaintext: Uint8Array, context: EncryptionContext): Promise<string>;
  /**
   * Opens an envelope for the context it was sealed for; WrongContextError if the envelope's
   * header names another; CiphertextRejectedError if altered or malformed; KeyServiceUnavailableError
   * if KMS is down.
   */
  open(envelope: string, context: EncryptionContext): Promise<Uint8Array>;
}

/** How often the vault went to the key service, and how often its cache spared it. */
export interface VaultStats {
  /** Calls made to the data key source (successful or not). */
  kmsCalls: number;
  /** Seals and opens served by a cached data key, or by a call another seal or open had in flight. */
  hits: number;
  /** Seals and opens that had to start a call to the key service. */
  misses: number;
}

export interface EnvelopeVaultOptions {
  /**
   * Longest a plaintext data key is kept (default 5 minutes). Bounds how long a key that was
   * disabled, or a grant that was revoked, keeps working in a warm function, and how long a key
   * sits in memory; about the life of a burst of traffic, so a user's secrets opened in one
   * conversation cost one `Decrypt`.
   */
  maxAgeMs?: number;
  /**
   * Most seals under one data key, and most opens served by one cached key (default 1,000).
   * Far below the 2^32 messages NIST SP 800-38D allows one GCM key with random IVs, and bounds
   * how many secrets share one data key if one key ever leaked.
   */
  maxUses?: number;
  /**
   * Most data keys kept for sealing, and separately for opening (default 1,000, least recently
   * used evicted first). A key and its encrypted copy take a few hundred bytes, so the cache
   * stays well under a megabyte while covering the active users of a warm function.
   */
  maxEntries?: number;
  /** Clock in milliseconds (tests inject one). */
  now?: () => number;
}

export const DEFAULT_VAULT_LIMITS = { maxAgeMs: 5 * 60_000, maxUses: 1_000, maxEntries: 1_000 } as const;

const DATA_KEY_BYTES = 32;

interface CachedKey {
  /** The plaintext data key, owned by the cache and zeroed when evicted. */
  readonly key: Uint8Array;
  /** Its KMS-encrypted copy (for sealing). */
  readonly encrypted: Uint8Array;
  readonly createdAt: number;
  uses: number;
  disposed: boolean;
}

interface Limits {
  maxAgeMs: number;
  maxUses: number;
  maxEntries: number;
}

/**
 * Plaintext data keys by id, least recently used first (a `Map` keeps insertion order), with
 * the calls in flight that will fill them. An entry is evicted (and its key zeroed) when it is
 * too old, used up, or pushed out by `maxEntries`.
 */
class DataKeyCache {
  private readonly entries = new Map<string, CachedKey>();
  private readonly pending = new Map<string, Promise<CachedKey>>();

  constructor(
    private readonly limits: Limits,
    private readonly now: () => number,
  ) {}

  /**
   * A live entry for `id` with one more use counted, or undefined. The caller uses the key
   * synchronously, before anything else can evict it.
   */
  take(id: string): CachedKey | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (!this.usable(entry)) {
      dispose(entry);
      return undefined;
    }
    this.entries.set(id, entry);
    entry.uses++;
    return entry;
  }

  inFlight(id: string): Promise<CachedKey> | undefined {
    return this.pending.get(id);
  }

  /**
   * Starts `fetch` for `id`, shared with every caller that asks for `id` before it settles. On
   * success the key is cached (evicting the least recently used beyond `maxEntries`); on
   * failure nothing is cached and every waiter gets the error.
   */
  fill(id: string, fetch: () => Promise<{ key: Uint8Array; encrypted: Uint8Array }>): Promise<CachedKey> {
    const call = Promise.resolve()
      .then(fetch)
      .then(({ key, encrypted }) => {
        const entry: CachedKey = { key, encrypted, createdAt: this.now(), uses: 0, disposed: false };
        this.sweep();
        this.entries.delete(id);
        this.entries.set(id, entry);
        for (const [oldId, old] of this.entries) {
          if (this.entries.size <= this.limits.maxEntries) break;
          this.entries.delete(oldId);
          dispose(old);
        }
        return entry;
      });
    this.pending.set(id, call);
    const settled = () => {
      if (this.pending.get(id) === call) this.pending.delete(id);
    };
    call.then(settled, settled);
    return call;
  }

  private usable(entry: CachedKey): boolean {
    return !entry.disposed && entry.uses < this.limits.maxUses && this.now() - entry.createdAt < this.limits.maxAgeMs;
  }

  /** Evicts every entry too old or used up, so no expired key lingers in memory (runs on misses). */
  private sweep(): void {
    for (const [id, entry] of this.entries) {
      if (this.usable(entry)) continue;
      this.entries.delete(id);
      dispose(entry);
    }
  }
}

function dispose(entry: CachedKey): void {
  entry.disposed = true;
  entry.key.fill(0);
}

/** A copy of a data key the source handed over, which is zeroed; rejects keys of the wrong size. */
function ownKey(plaintext: Uint8Array, onWrongSize: () => Error): Uint8Array {
  if (!(plaintext instanceof Uint8Array)) throw onWrongSize();
  if (plaintext.length !== DATA_KEY_BYTES) {
    plaintext.fill(0);
    throw onWrongSize();
  }
  const own = new Uint8Array(plaintext);
  plaintext.fill(0);
  return own;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new ConfigError(`Vault option ${name} must be a positive integer`);
  return v;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}

/**
 * A {@link KeyVault} using envelope encryption: each secret is AES-256-GCM encrypted under a
 * data key from `source`, and stored with that key's KMS-encrypted copy and its context (see
 * `envelope.ts`).
 *
 * Invariants:
 * - A data key is used for one context only: sealing caches one key per context, opening caches
 *   keys by encrypted key and context together, so a cached key can never open an envelope for
 *   another context, and KMS has authenticated every (encrypted key, context) pair it caches.
 * - Opening checks the envelope's authenticated header against the asked-for context before the
 *   key service is called; the header is also the GCM AAD, so a header rewritten to match fails.
 * - Concurrent seals of one context, and concurrent opens of one data key, share one call (each
 *   counts a use, so a burst can take a key past `maxUses` by its size; the next caller then
 *   gets a fresh key).
 * - A failed key service call caches nothing; its error (already translated by the adapter)
 *   reaches the caller as is.
 * - Evicted plaintext keys are zeroed; no error message carries plaintext or key bytes.
 */
export function createEnvelopeVault(
  source: DataKeySource,
  options: EnvelopeVaultOptions = {},
): KeyVault & { stats(): VaultStats } {
  const limits: Limits = {
    maxAgeMs: positiveInteger('maxAgeMs', options.maxAgeMs, DEFAULT_VAULT_LIMITS.maxAgeMs),
    maxUses: positiveInteger('maxUses', options.maxUses, DEFAULT_VAULT_LIMITS.maxUses),
    maxEntries: positiveInteger('maxEntries', options.maxEntries, DEFAULT_VAULT_LIMITS.maxEntries),
  };
  const now = options.now ?? Date.now;
  const sealKeys = new DataKeyCache(limits, now);
  const openKeys = new DataKeyCache(limits, now);
  const stats: VaultStats = { kmsCalls: 0, hits: 0, misses: 0 };

  const generate = async (context: EncryptionContext) => {
    stats.kmsCalls++;
    const dataKey = await source.generateDataKey(context);
    const key = ownKey(
      dataKey.plaintext,
      () => new KeyServiceError('keys.invalid', 'GenerateDataKey returned a key of the wrong size'),
    );
    return { key, encrypted: new Uint8Array(dataKey.encrypted) };
  };
  const decrypt = async (encrypted: Uint8Array, context: EncryptionContext) => {
    stats.kmsCalls++;
    const plaintext = await source.decryptDataKey(encrypted, context);
    return { key: ownKey(plaintext, () => new CiphertextRejectedError('Data key has the wrong size')), encrypted };
  };

  /**
   * Runs `use` with a data key for `id`: from the cache, from a call in flight, or from a new
   * call. If the key was evicted while this caller waited, it makes a call of its own and
   * zeroes that key after use.
   */
  async function withKey<T>(
    cache: DataKeyCache,
    id: string,
    fetch: () => Promise<{ key: Uint8Array; encrypted: Uint8Array }>,
    use: (key: CachedKey | { key: Uint8Array; encrypted: Uint8Array }) => T,
  ): Promise<T> {
    const cached = cache.take(id);
    if (cached) {
      stats.hits++;
      return use(cached);
    }
    let call = cache.inFlight(id);
    if (call) stats.hits++;
    else {
      stats.misses++;
      call = cache.fill(id, fetch);
    }
    const entry = await call;
    if (!entry.disposed) {
      entry.uses++;
      return use(entry);
    }
    const own = await fetch();
    try {
      return use(own);
    } finally {
      own.key.fill(0);
    }
  }

  return {
    async seal(plaintext, context) {
      if (!(plaintext instanceof Uint8Array))
        throw new ValidationError('vault.invalid_plaintext', 'Plaintext must be bytes');
      if (plaintext.length > MAX_ENVELOPE_PLAINTEXT_BYTES) {
        throw new ValidationError('vault.too_large', `Plaintext exceeds ${MAX_ENVELOPE_PLAINTEXT_BYTES} bytes`);
      }
      const id = b64(canonicalContext(context));
      const ctx = { purpose: context.purpose, ownerId: context.ownerId };
      return withKey(
        sealKeys,
        id,
        () => generate(ctx),
        ({ key, encrypted }) => {
          const iv = randomBytes(IV_BYTES);
          const header = encodeEnvelopeHeader(ctx, encrypted, iv);
          const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
          cipher.setAAD(header);
          const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
          return envelopeToText(Buffer.concat([header, body]));
        },
      );
    },

    async open(text, context) {
      const canonical = canonicalContext(context);
      const envelope = decodeEnvelope(envelopeFromText(text));
      if (!sameContext(envelope.context, context)) {
        throw new WrongContextError('Envelope was sealed for another owner or purpose');
      }
      const ctx = envelope.context;
      const id = `${b64(envelope.encryptedDataKey)}.${b64(canonical)}`;
      return withKey(
        openKeys,
        id,
        () => decrypt(envelope.encryptedDataKey, ctx),
        ({ key }) => {
          try {
            const decipher = createDecipheriv('aes-256-gcm', key, envelope.iv, { authTagLength: TAG_BYTES });
            decipher.setAAD(envelope.header);
            decipher.setAuthTag(envelope.tag);
            const plain = Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
            // A copy with its own memory: `plain` may sit in Node's shared buffer pool.
            const own = new Uint8Array(plain);
            plain.fill(0);
            return own;
          } catch (error) {
            throw new CiphertextRejectedError('Envelope failed authentication', { cause: error });
          }
        },
      );
    },

    stats: () => ({ ...stats }),
  };
}
