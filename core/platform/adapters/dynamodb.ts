import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  ScanCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { AppError, TransientError } from '../errors.js';

export type Item = Record<string, AttributeValue>;
export type Condition = Pick<
  PutItemCommandInput,
  'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
>;

/** Thrown by `Table.put`, `update` and `delete` when their condition fails; callers turn it into a domain outcome. */
/** What every store on the table is built from. */
export interface TableOptions {
  client: DynamoDBClient;
  tableName: string;
  now?: () => number;
}

export class ConditionFailed extends Error {}

/**
 * Thrown by `Table.transact` when DynamoDB cancelled the transaction for a failed condition (and no
 * permanent reason): nothing was written. `reasons` has one code per action, in order (`None`,
 * `ConditionalCheckFailed`, `TransactionConflict`...).
 */
export class TransactionCancelled extends Error {
  constructor(readonly reasons: readonly string[]) {
    super(`transaction cancelled: ${reasons.join(', ')}`);
  }
}

/** One action of `Table.transact`, on an item of this table. */
export type TransactAction =
  | { readonly put: Item; readonly condition?: Condition }
  | { readonly update: { readonly pk: string; readonly sk: string } & ItemUpdate }
  | { readonly delete: { readonly pk: string; readonly sk: string } & Condition }
  | { readonly check: { readonly pk: string; readonly sk: string } & Condition & { ConditionExpression: string } };

/**
 * A gauge: one item (`pk = gauge#<name>`) whose `value` moves by `delta` in the same transaction
 * as the state change it counts, so it never drifts from the items it counts.
 */
export function gaugeMove(name: string, delta: number): TransactAction {
  return {
    update: {
      pk: `gauge#${name}`,
      sk: 'gauge',
      UpdateExpression: 'ADD #value :delta',
      ExpressionAttributeNames: { '#value': 'value' },
      ExpressionAttributeValues: { ':delta': { N: String(delta) } },
    },
  };
}

/** A gauge's current value (0 before its first move). */
export async function gaugeValue(table: Table, name: string): Promise<number> {
  return Number((await table.get(`gauge#${name}`, 'gauge'))?.value?.N ?? '0');
}

/** An `UpdateItem`: its update expression, an optional condition, and the names and values both use. */
export interface ItemUpdate extends Condition {
  readonly UpdateExpression: string;
  /** What to read back (default: nothing). */
  readonly ReturnValues?: 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW';
}

/** One page of a `Table.query` over one partition. */
export interface QueryOptions {
  /** Items per page (DynamoDB may return fewer: a page also stops at 1 MB). */
  readonly limit?: number;
  /** Resume after this sort key (the `lastSk` of the previous page). */
  readonly afterSk?: string;
  /** Only sort keys starting with this. */
  readonly skPrefix?: string;
  /** Only sort keys from `from` to `to`, both included (not with `skPrefix`). */
  readonly skRange?: { readonly from: string; readonly to: string };
  /** Attributes to return (all when omitted). */
  readonly attributes?: readonly string[];
  /** Strongly consistent read (default true, like `get`). */
  readonly consistent?: boolean;
  /** Newest (highest sort key) first. */
  readonly descending?: boolean;
  /**
   * Keeps only items matching this (applied after `limit`, so a page may hold fewer items, or
   * none, and still have a next page). Names and values must not use `#pk`, `#sk`, `#p<n>` or `:pk`.
   */
  readonly filter?: Condition & { readonly ConditionExpression: string };
}

export interface QueryPage {
  readonly items: Item[];
  /** Sort key to pass as `afterSk` for the next page; undefined on the last page. */
  readonly lastSk: string | undefined;
}

/** `BatchGetItem` takes at most 100 keys. */
export const MAX_BATCH_GET = 100;
/** Rounds of retrying the keys DynamoDB left unprocessed (throttling) before giving up as transient. */
const BATCH_GET_ROUNDS = 5;

/**
 * The single table (`pk`/`sk`, TTL on `expiresAt`) as the adapters use it: consistent key reads,
 * conditional puts, updates and deletes, one-partition queries by page, and batch reads. Every SDK
 * failure becomes a platform error here, so none leaks: a failed condition `ConditionFailed` (or
 * `TransactionCancelled`), a request DynamoDB refuses for good a non-transient
 * `dynamodb.invalid_request`, anything else a `TransientError`.
 */
export class Table {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly name: string,
    readonly now: () => number,
  ) {}

  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  async get(pk: string, sk: string): Promise<Item | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetItemCommand({ TableName: this.name, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
      );
      return Item;
    } catch (error) {
      throw translated('GetItem', error);
    }
  }

  async put(item: Item, condition: Condition = {}): Promise<void> {
    try {
      await this.client.send(new PutItemCommand({ TableName: this.name, Item: item, ...condition }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConditionFailed();
      throw translated('PutItem', error);
    }
  }

  /**
   * Updates (or, as `UpdateItem` always may, creates) one item; add `attribute_exists(pk)` to the
   * condition where creating it would be wrong. Returns the attributes asked for by `ReturnValues`.
   */
  async update(pk: string, sk: string, update: ItemUpdate): Promise<Item | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({ TableName: this.name, Key: key(pk, sk), ...update }),
      );
      return Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConditionFailed();
      throw translated('UpdateItem', error);
    }
  }

  /**
   * Writes up to 100 actions all or nothing (`TransactWriteItems`). A cancelled transaction wrote
   * nothing, and fails as its reasons say (see `cancellationError`): a failed condition anywhere is
   * `TransactionCancelled` with the reason of each action, for the caller to read as a domain
   * outcome; a permanent reason (`ValidationError`...) is a non-transient `AppError`, so a job
   * carrying it is parked; contention and throttling (`TransactionConflict`...) are transient.
   */
  async transact(actions: readonly TransactAction[]): Promise<void> {
    const items: TransactWriteItem[] = actions.map((action) => {
      if ('put' in action) return { Put: { TableName: this.name, Item: action.put, ...action.condition } };
      if ('update' in action) {
        const { pk, sk, ReturnValues: _, ...update } = action.update;
        return { Update: { TableName: this.name, Key: key(pk, sk), ...update } };
      }
      if ('delete' in action) {
        const { pk, sk, ...condition } = action.delete;
        return { Delete: { TableName: this.name, Key: key(pk, sk), ...condition } };
      }
      const { pk, sk, ...condition } = action.check;
      return { ConditionCheck: { TableName: this.name, Key: key(pk, sk), ...condition } };
    });
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) throw cancellationError(error);
      throw translated('TransactWriteItems', error);
    }
  }

  /** Deletes one item (deleting a missing item is not an error, unless the condition says so). */
  async delete(pk: string, sk: string, condition: Condition = {}): Promise<void> {
    try {
      await this.client.send(new DeleteItemCommand({ TableName: this.name, Key: key(pk, sk), ...condition }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConditionFailed();
      throw translated('DeleteItem', error);
    }
  }

  /** One page of the items of partition `pk`, in sort key order. */
  async query(pk: string, options: QueryOptions = {}): Promise<QueryPage> {
    const names: Record<string, string> = { '#pk': 'pk' };
    const values: Item = { ':pk': { S: pk } };
    let condition = '#pk = :pk';
    if (options.skPrefix !== undefined) {
      names['#sk'] = 'sk';
      values[':skPrefix'] = { S: options.skPrefix };
      condition += ' AND begins_with(#sk, :skPrefix)';
    } else if (options.skRange !== undefined) {
      names['#sk'] = 'sk';
      values[':skFrom'] = { S: options.skRange.from };
      values[':skTo'] = { S: options.skRange.to };
      condition += ' AND #sk BETWEEN :skFrom AND :skTo';
    }
    const projection = projectionOf(options.attributes, names);
    const filter = options.filter;
    try {
      const { Items, LastEvaluatedKey } = await this.client.send(
        new QueryCommand({
          TableName: this.name,
          KeyConditionExpression: condition,
          FilterExpression: filter?.ConditionExpression,
          ExpressionAttributeNames: { ...names, ...filter?.ExpressionAttributeNames },
          ExpressionAttributeValues: { ...values, ...filter?.ExpressionAttributeValues },
          ProjectionExpression: projection,
          ExclusiveStartKey: options.afterSk === undefined ? undefined : key(pk, options.afterSk),
          Limit: options.limit,
          ConsistentRead: options.consistent ?? true,
          ScanIndexForward: options.descending ? false : undefined,
        }),
      );
      return { items: Items ?? [], lastSk: LastEvaluatedKey?.sk?.S };
    } catch (error) {
      throw translated('Query', error);
    }
  }

  /** How many items of partition `pk` match `filter` (every page read, only counts returned). */
  async count(pk: string, filter?: QueryOptions['filter']): Promise<number> {
    let total = 0;
    let start: Item | undefined;
    do {
      try {
        const { Count, LastEvaluatedKey } = await this.client.send(
          new QueryCommand({
            TableName: this.name,
            KeyConditionExpression: '#pk = :pk',
            FilterExpression: filter?.ConditionExpression,
            ExpressionAttributeNames: { '#pk': 'pk', ...filter?.ExpressionAttributeNames },
            ExpressionAttributeValues: { ':pk': { S: pk }, ...filter?.ExpressionAttributeValues },
            Select: 'COUNT',
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        total += Count ?? 0;
        start = LastEvaluatedKey;
      } catch (error) {
        throw translated('Query', error);
      }
    } while (start);
    return total;
  }

  /**
   * Consistent reads of up to 100 items by key, in no particular order (missing items are simply
   * absent). Keys DynamoDB leaves unprocessed are retried; if some still are, it fails as transient.
   */
  async batchGet(keys: readonly { pk: string; sk: string }[], attributes?: readonly string[]): Promise<Item[]> {
    if (keys.length > MAX_BATCH_GET) throw new RangeError(`batchGet takes at most ${MAX_BATCH_GET} keys`);
    const names: Record<string, string> = {};
    const projection = attributes ? projectionOf(['pk', 'sk', ...attributes], names) : undefined;
    const found: Item[] = [];
    let pending: Item[] = keys.map((k) => key(k.pk, k.sk));
    for (let round = 0; pending.length > 0; round++) {
      if (round === BATCH_GET_ROUNDS) {
        throw new TransientError('dynamodb.unavailable', `DynamoDB left ${pending.length} key(s) unprocessed`);
      }
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round));
      try {
        const { Responses, UnprocessedKeys } = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [this.name]: {
                Keys: pending,
                ConsistentRead: true,
                ProjectionExpression: projection,
                ExpressionAttributeNames: projection ? names : undefined,
              },
            },
          }),
        );
        found.push(...(Responses?.[this.name] ?? []));
        pending = UnprocessedKeys?.[this.name]?.Keys ?? [];
      } catch (error) {
        throw translated('BatchGetItem', error);
      }
    }
    return found;
  }

  /**
   * One page of the keys (`pk`, `sk`) of every item whose partition key starts with `pkPrefix`:
   * a `Scan` with a `begins_with` filter, which reads (and pays for) the whole table. The design
   * rule is no Scan; the one exception is purging a removed tenant's items (`t<botId>/...`), a
   * rare, offline job whose partitions no index lists. No function of the bot is granted it.
   */
  async scanKeys(pkPrefix: string, options: { readonly after?: Item; readonly limit?: number } = {}) {
    try {
      const { Items, LastEvaluatedKey } = await this.client.send(
        new ScanCommand({
          TableName: this.name,
          FilterExpression: 'begins_with(#pk, :prefix)',
          ProjectionExpression: '#pk, #sk',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: { ':prefix': { S: pkPrefix } },
          ExclusiveStartKey: options.after,
          Limit: options.limit,
          ConsistentRead: true,
        }),
      );
      const keys = (Items ?? []).map((item) => ({ pk: item.pk?.S ?? '', sk: item.sk?.S ?? '' }));
      return { keys, after: LastEvaluatedKey };
    } catch (error) {
      throw translated('Scan', error);
    }
  }
}

function key(pk: string, sk: string): Item {
  return { pk: { S: pk }, sk: { S: sk } };
}

/** A projection naming every attribute through `#p<n>` placeholders (added to `names`), so no reserved word bites. */
function projectionOf(attributes: readonly string[] | undefined, names: Record<string, string>): string | undefined {
  if (!attributes) return undefined;
  return attributes
    .map((attribute, index) => {
      names[`#p${index}`] = attribute;
      return `#p${index}`;
    })
    .join(', ');
}

/**
 * An SDK failure as a platform error: DynamoDB refusing the request itself (`ValidationException`:
 * an empty key, an item over 400 KB) can never succeed on retry, so a job carrying it is parked at
 * once; anything else (network, throttling, 5xx) is transient.
 */
function translated(operation: string, error: unknown): AppError {
  if (error instanceof AppError) return error; // refused before it was sent (a tenant scope's refusal)
  const name = error instanceof Error ? error.name : 'Unknown';
  if (name === 'ValidationException') {
    return new AppError('dynamodb.invalid_request', `DynamoDB ${operation} refused the request: ${name}`, {
      cause: error,
    });
  }
  return new TransientError('dynamodb.unavailable', `DynamoDB ${operation} failed: ${name}`, { cause: error });
}

/**
 * Cancellation reasons no retry can fix: the request does not fit the items it names (a key of the
 * wrong type, an item grown past 400 KB, an operand of the wrong type) or an item collection is full.
 */
const PERMANENT_REASONS: ReadonlySet<string> = new Set(['ValidationError', 'ItemCollectionSizeLimitExceeded']);

/**
 * What a `TransactionCanceledException` means to the caller, by its reasons (one per action):
 * - any permanent reason: `dynamodb.invalid_request`, not transient. It wins over a failed condition,
 *   because the transaction could never succeed as sent, whatever the caller would make of the condition;
 * - else any `ConditionalCheckFailed`: `TransactionCancelled`, which callers turn into a domain outcome;
 * - else (`TransactionConflict`, `ThrottlingError`, `ProvisionedThroughputExceeded`, or a code this
 *   code does not know): `dynamodb.unavailable`, transient, as the same request may succeed later.
 */
function cancellationError(error: TransactionCanceledException): Error {
  const reasons = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
  const listed = `[${reasons.join(', ')}]`;
  if (reasons.some((code) => PERMANENT_REASONS.has(code))) {
    return new AppError('dynamodb.invalid_request', `DynamoDB TransactWriteItems refused the request: ${listed}`, {
      cause: error,
    });
  }
  if (reasons.includes('ConditionalCheckFailed')) return new TransactionCancelled(reasons);
  return new TransientError('dynamodb.unavailable', `DynamoDB TransactWriteItems cancelled: ${listed}`, {
    cause: error,
  });
}
