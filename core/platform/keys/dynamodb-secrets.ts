import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionFailed, type Item, Table } from '../adapters/index.js';
import type { SecretStore, StoredSecret } from './store.js';

export interface SecretStoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

const secretOf = (item: Item): StoredSecret => ({
  name: item.sk?.S ?? '',
  envelope: item.envelope?.S ?? '',
  masked: item.masked?.S ?? '',
  storedAt: Number(item.storedAt?.N ?? '0'),
});

/**
 * Secrets: `pk = secrets#<ownerId>` (a user id, or `service`), `sk = <name>`, holding the envelope and the mask. The
 * limit is checked by counting first, so two stores racing at the limit may both land: a soft
 * cap, which is all a per-user convenience limit needs.
 */
export class DynamoSecretStore implements SecretStore {
  private readonly table: Table;

  constructor(options: SecretStoreOptions) {
    this.table = new Table(options.client, options.tableName, Date.now);
  }

  async put(ownerId: string, secret: StoredSecret, max: number): Promise<'stored' | 'limit'> {
    const pk = `secrets#${ownerId}`;
    const item: Item = {
      pk: { S: pk },
      sk: { S: secret.name },
      envelope: { S: secret.envelope },
      masked: { S: secret.masked },
      storedAt: { N: String(secret.storedAt) },
    };
    try {
      // Replacing a secret by name is always allowed.
      await this.table.put(item, { ConditionExpression: 'attribute_exists(pk)' });
      return 'stored';
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
    }
    if ((await this.table.count(pk)) >= max) return 'limit';
    await this.table.put(item);
    return 'stored';
  }

  async get(ownerId: string, name: string): Promise<StoredSecret | undefined> {
    const item = await this.table.get(`secrets#${ownerId}`, name);
    return item ? secretOf(item) : undefined;
  }

  async list(ownerId: string): Promise<Omit<StoredSecret, 'envelope'>[]> {
    const secrets: Omit<StoredSecret, 'envelope'>[] = [];
    let afterSk: string | undefined;
    do {
      const page = await this.table.query(`secrets#${ownerId}`, {
        attributes: ['sk', 'masked', 'storedAt'],
        ...(afterSk ? { afterSk } : {}),
      });
      for (const item of page.items) {
        const { envelope: _, ...listed } = secretOf(item);
        secrets.push(listed);
      }
      afterSk = page.lastSk;
    } while (afterSk);
    return secrets;
  }

  async delete(ownerId: string, name: string): Promise<boolean> {
    try {
      await this.table.delete(`secrets#${ownerId}`, name, { ConditionExpression: 'attribute_exists(pk)' });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailed) return false;
      throw error;
    }
  }
}
