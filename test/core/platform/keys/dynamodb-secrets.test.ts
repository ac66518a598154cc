import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSecretStore } from '../../../../core/platform/keys/dynamodb-secrets.js';
import type { StoredSecret } from '../../../../core/platform/keys/store.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';

let local: LocalTable;
let store: DynamoSecretStore;

beforeAll(async () => {
  local = await startLocalTable('secrets-test');
  store = new DynamoSecretStore({ client: local.client, tableName: local.tableName });
});
afterAll(async () => {
  await local.stop();
});

let nextUser = 100;
const secret = (name: string, storedAt = 1_000): StoredSecret => ({
  name,
  envelope: `envelope-of-${name}-${storedAt}`,
  masked: `••••${name.slice(-4)}`,
  storedAt,
});

describe('DynamoSecretStore', () => {
  it('stores a secret and reads it back whole', async () => {
    const user = String(++nextUser);
    expect(await store.put(user, secret('api-key'), 5)).toBe('stored');
    expect(await store.get(user, 'api-key')).toEqual(secret('api-key'));
    expect(await store.get(user, 'other')).toBeUndefined();
  });

  it('replaces a secret by name', async () => {
    const user = String(++nextUser);
    await store.put(user, secret('token', 1), 5);
    expect(await store.put(user, secret('token', 2), 5)).toBe('stored');
    expect(await store.get(user, 'token')).toEqual(secret('token', 2));
    expect(await store.list(user)).toHaveLength(1);
  });

  it('refuses a new name at the limit but still replaces an existing one', async () => {
    const user = String(++nextUser);
    expect(await store.put(user, secret('a'), 2)).toBe('stored');
    expect(await store.put(user, secret('b'), 2)).toBe('stored');
    expect(await store.put(user, secret('c'), 2)).toBe('limit');
    expect(await store.get(user, 'c')).toBeUndefined();
    expect(await store.put(user, secret('b', 9), 2)).toBe('stored');
    expect(await store.get(user, 'b')).toEqual(secret('b', 9));
    // Deleting one makes room again.
    expect(await store.delete(user, 'a')).toBe(true);
    expect(await store.put(user, secret('c'), 2)).toBe('stored');
  });

  it('lists a user’s secrets by name, with their masks and times', async () => {
    const user = String(++nextUser);
    await store.put(user, secret('zeta', 3), 5);
    await store.put(user, secret('alpha', 1), 5);
    await store.put(user, secret('mid', 2), 5);
    const listed = await store.list(user);
    expect(listed.map(({ name, masked, storedAt }) => ({ name, masked, storedAt }))).toEqual(
      [secret('alpha', 1), secret('mid', 2), secret('zeta', 3)].map(({ name, masked, storedAt }) => ({
        name,
        masked,
        storedAt,
      })),
    );
    expect(await store.list(String(++nextUser))).toEqual([]);
  });

  it('deletes a secret once: true the first time, false after', async () => {
    const user = String(++nextUser);
    await store.put(user, secret('gone'), 5);
    expect(await store.delete(user, 'gone')).toBe(true);
    expect(await store.delete(user, 'gone')).toBe(false);
    expect(await store.delete(user, 'never')).toBe(false);
    expect(await store.get(user, 'gone')).toBeUndefined();
  });

  it('keeps users apart: names, limits, reads and deletes', async () => {
    const alice = String(++nextUser);
    const bob = String(++nextUser);
    await store.put(alice, secret('shared', 1), 1);
    expect(await store.put(bob, secret('shared', 2), 1)).toBe('stored');
    expect(await store.get(alice, 'shared')).toEqual(secret('shared', 1));
    expect(await store.get(bob, 'shared')).toEqual(secret('shared', 2));
    expect(await store.delete(bob, 'shared')).toBe(true);
    expect(await store.get(alice, 'shared')).toEqual(secret('shared', 1));
    expect((await store.list(bob)).length).toBe(0);
    expect((await store.list(alice)).map((s) => s.name)).toEqual(['shared']);
  });
});
