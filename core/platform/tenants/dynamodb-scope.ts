import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { AppError } from '../errors.js';
import { type TenantId, tenantKeyPrefix } from './tenant.js';

type Item = Record<string, AttributeValue>;

/** A request the scope cannot keep inside the tenant, or an item from outside it: a bug, never retried. */
const refused = (what: string) => new AppError('tenant.scope', `tenant scope: ${what}`);
type Json = Record<string, unknown>;

/** The table's partition key attribute. */
const PK = 'pk';

/**
 * The operations the scope knows, by command class. A class, not its name: bundles are minified
 * without `keepNames` (sst.config.ts), so `constructor.name` is not `GetItemCommand` in the cloud.
 */
const OPERATIONS = new Map<unknown, string>([
  [GetItemCommand, 'GetItem'],
  [PutItemCommand, 'PutItem'],
  [UpdateItemCommand, 'UpdateItem'],
  [DeleteItemCommand, 'DeleteItem'],
  [QueryCommand, 'Query'],
  [BatchGetItemCommand, 'BatchGetItem'],
  [BatchWriteItemCommand, 'BatchWriteItem'],
  [TransactWriteItemsCommand, 'TransactWriteItems'],
  [TransactGetItemsCommand, 'TransactGetItems'],
]);

/**
 * A DynamoDB client for one tenant: every partition key a request names is written under the
 * tenant's prefix (`t<botId>/`), and every item read back has it taken off again. The stores built
 * on it are the stores of a single-bot deployment, unchanged; no store can name another tenant's
 * item, since whatever key it builds is put under its own tenant's prefix.
 *
 * It fails closed: a request whose partition keys it cannot find (a Scan, PartiQL, a key that is
 * not a string) is refused before it is sent, and an item read back from outside the tenant's
 * prefix is an error, never data.
 *
 * The scoped client shares the given client (its connections, retries and middleware): one SDK
 * client per container, however many tenants it serves.
 */
export function scopeToTenant(client: DynamoDBClient, tenant: TenantId): DynamoDBClient {
  const scope = new KeyScope(tenantKeyPrefix(tenant));
  const scoped = Object.create(client) as DynamoDBClient;
  Object.defineProperty(scoped, 'send', {
    value: async (command: { input: unknown; constructor: new (input: unknown) => unknown }) => {
      const name = OPERATIONS.get(command.constructor) ?? `unscoped ${command.constructor.name}`;
      const input = scope.request(name, command.input as Json);
      try {
        const output = (await client.send(new command.constructor(input) as never)) as unknown as Json;
        return scope.response(name, output);
      } catch (error) {
        throw scope.failure(error);
      }
    },
  });
  return scoped;
}

class KeyScope {
  constructor(private readonly prefix: string) {}

  /** The request with every partition key under the prefix; refuses one it cannot scope. */
  request(operation: string, input: Json): Json {
    switch (operation) {
      case 'GetItem':
      case 'UpdateItem':
      case 'DeleteItem':
        return { ...input, Key: this.key(input.Key) };
      case 'PutItem':
        return { ...input, Item: this.key(input.Item) };
      case 'Query':
        return this.query(input);
      case 'BatchGetItem':
        return { ...input, RequestItems: this.mapTables(input.RequestItems, (reads) => this.keysOf(reads)) };
      case 'BatchWriteItem':
        return {
          ...input,
          RequestItems: this.mapTables(input.RequestItems, (writes) => (writes as Json[]).map((w) => this.write(w))),
        };
      case 'TransactWriteItems':
        return { ...input, TransactItems: (input.TransactItems as Json[]).map((entry) => this.transactWrite(entry)) };
      case 'TransactGetItems':
        return {
          ...input,
          TransactItems: (input.TransactItems as Json[]).map((entry) => {
            const get = entry.Get as Json;
            return { ...entry, Get: { ...get, Key: this.key(get.Key) } };
          }),
        };
      default:
        throw refused(`${operation} names no partition key and is refused`);
    }
  }

  /** The response with the prefix taken off every item in it. */
  response(operation: string, output: Json): Json {
    switch (operation) {
      case 'GetItem':
        return { ...output, Item: this.unscopeOptional(output.Item) };
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem':
        return { ...output, Attributes: this.unscopeOptional(output.Attributes) };
      case 'Query':
        return {
          ...output,
          Items: (output.Items as Item[] | undefined)?.map((item) => this.unscope(item)),
          LastEvaluatedKey: this.unscopeOptional(output.LastEvaluatedKey),
        };
      case 'BatchGetItem':
        return {
          ...output,
          Responses: this.mapTables(output.Responses, (items) => (items as Item[]).map((item) => this.unscope(item))),
          UnprocessedKeys: this.mapTables(output.UnprocessedKeys, (reads) => this.unscopeKeys(reads)),
        };
      case 'BatchWriteItem':
        return {
          ...output,
          UnprocessedItems: this.mapTables(output.UnprocessedItems, (writes) =>
            (writes as Json[]).map((w) => this.unscopeWrite(w)),
          ),
        };
      case 'TransactGetItems':
        return {
          ...output,
          Responses: (output.Responses as Json[] | undefined)?.map((r) => ({
            ...r,
            Item: this.unscopeOptional(r.Item),
          })),
        };
      default:
        return output;
    }
  }

  /** A failure with any item it carries (a failed condition's `ALL_OLD`) unscoped too. */
  failure(error: unknown): unknown {
    if (typeof error !== 'object' || error === null) return error;
    const carrier = error as { Item?: Item; CancellationReasons?: { Item?: Item }[] };
    if (carrier.Item) carrier.Item = this.unscope(carrier.Item);
    for (const reason of carrier.CancellationReasons ?? []) if (reason.Item) reason.Item = this.unscope(reason.Item);
    return error;
  }

  private key(key: unknown): Item {
    const item = key as Item | undefined;
    const pk = item?.[PK]?.S;
    if (pk === undefined) throw refused('a request without a string partition key');
    return { ...item, [PK]: { S: `${this.prefix}${pk}` } };
  }

  private unscope(item: Item): Item {
    const pk = item[PK]?.S;
    if (pk === undefined) return item; // a projection without the key
    if (!pk.startsWith(this.prefix)) throw refused("an item outside the tenant's keys");
    return { ...item, [PK]: { S: pk.slice(this.prefix.length) } };
  }

  private unscopeOptional(item: unknown): Item | undefined {
    return item === undefined ? undefined : this.unscope(item as Item);
  }

  private query(input: Json): Json {
    const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
    const values = (input.ExpressionAttributeValues ?? {}) as Item;
    const expression = String(input.KeyConditionExpression ?? '');
    const nameOf = (token: string) => (token.startsWith('#') ? names[token] : token);
    let placeholder: string | undefined;
    for (const [, left, right] of expression.matchAll(/([#:]?\w+)\s*=\s*([#:]?\w+)/g)) {
      const [name, value] = left!.startsWith(':') ? [right!, left!] : [left!, right!];
      if (nameOf(name) === PK && value.startsWith(':')) placeholder = value;
    }
    const pk = placeholder === undefined ? undefined : values[placeholder]?.S;
    if (placeholder === undefined || pk === undefined || input.IndexName !== undefined)
      throw refused('a query must fix the partition key of the table');
    // Other values could name the same placeholder in a filter: the key condition owns it.
    return {
      ...input,
      ExpressionAttributeValues: { ...values, [placeholder]: { S: `${this.prefix}${pk}` } },
      ...(input.ExclusiveStartKey === undefined ? {} : { ExclusiveStartKey: this.key(input.ExclusiveStartKey) }),
    };
  }

  private keysOf(reads: unknown): Json {
    const request = reads as Json;
    return { ...request, Keys: (request.Keys as Item[]).map((key) => this.key(key)) };
  }

  private unscopeKeys(reads: unknown): Json {
    const request = reads as Json;
    return { ...request, Keys: (request.Keys as Item[]).map((key) => this.unscope(key)) };
  }

  private write(entry: Json): Json {
    if (entry.PutRequest) return { PutRequest: { Item: this.key((entry.PutRequest as Json).Item) } };
    if (entry.DeleteRequest) return { DeleteRequest: { Key: this.key((entry.DeleteRequest as Json).Key) } };
    throw refused('a batch write that is neither a put nor a delete');
  }

  private unscopeWrite(entry: Json): Json {
    if (entry.PutRequest) return { PutRequest: { Item: this.unscope((entry.PutRequest as Json).Item as Item) } };
    return { DeleteRequest: { Key: this.unscope((entry.DeleteRequest as Json).Key as Item) } };
  }

  private transactWrite(entry: Json): Json {
    if (entry.Put) return { ...entry, Put: { ...(entry.Put as Json), Item: this.key((entry.Put as Json).Item) } };
    for (const kind of ['Update', 'Delete', 'ConditionCheck'] as const) {
      const body = entry[kind] as Json | undefined;
      if (body) return { ...entry, [kind]: { ...body, Key: this.key(body.Key) } };
    }
    throw refused('an unknown transaction action');
  }

  private mapTables(tables: unknown, map: (value: unknown) => unknown): Record<string, unknown> | undefined {
    if (tables === undefined) return undefined;
    return Object.fromEntries(Object.entries(tables as Json).map(([table, value]) => [table, map(value)]));
  }
}
