/**
 * Results this container read from RPC itself, kept in its memory for as long as the shared
 * cache would keep them: a user asking again within `cacheSeconds` is answered from here, with
 * no DynamoDB call at all. Bounded by the length of the values' JSON (in characters); the least recently stored go
 * first. Expiry is checked on every read against the caller's clock.
 */
export class LocalRpcCache {
  private readonly entries = new Map<string, { value: string; until: number }>();
  private chars = 0;

  constructor(private readonly maxChars: number) {
    if (!(maxChars > 0)) throw new RangeError('maxChars must be positive');
  }

  /** The value stored under `key`, or `undefined` when absent or expired at `now`. */
  get(key: string, now: number): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until > now) return entry.value;
    this.remove(key);
    return undefined;
  }

  /** Stores `value` until `until` (ms); a value larger than the whole cache is not kept. */
  set(key: string, value: string, until: number): void {
    this.remove(key);
    if (value.length > this.maxChars) return;
    this.entries.set(key, { value, until });
    this.chars += value.length;
    for (const oldest of this.entries.keys()) {
      if (this.chars <= this.maxChars) break;
      this.remove(oldest);
    }
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.chars -= entry.value.length;
  }
}
