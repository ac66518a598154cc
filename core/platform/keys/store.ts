/** One stored secret: its envelope (`core/platform/keys/vault.ts`) and what may be shown of it. */
export interface StoredSecret {
  readonly name: string;
  /** The sealed value; opens only for its owner and the `user-secret` purpose. */
  readonly envelope: string;
  /** The value masked for display (`••••••wxyz`); never more than its last 4 characters. */
  readonly masked: string;
  /** Unix milliseconds. */
  readonly storedAt: number;
}

/**
 * Secrets by owner (a user id, or `service` for service credentials) and name. Holds only envelopes and masks: nothing here can be read
 * without KMS.
 *
 * Invariants: a user holds at most `max` secrets (replacing one by name is always allowed);
 * one user never sees another's.
 */
export interface SecretStore {
  put(ownerId: string, secret: StoredSecret, max: number): Promise<'stored' | 'limit'>;
  get(ownerId: string, name: string): Promise<StoredSecret | undefined>;
  /** The user's secrets by name, without their envelopes (a listing never opens anything). */
  list(ownerId: string): Promise<Omit<StoredSecret, 'envelope'>[]>;
  /** False when there was no such secret. */
  delete(ownerId: string, name: string): Promise<boolean>;
}
