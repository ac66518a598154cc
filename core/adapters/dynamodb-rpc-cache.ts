import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { TransientError } from '../errors.js';
import type { RpcCache } from '../solana/cache.js';

/**
 * DynamoDB stores items up to 400 KB; larger results (a `getMultipleAccounts` of 100 big
 * accounts) are not cached rather than failing the write.
 */
const MAX_VALUE_BYTES = 350_000;
/** Reads are on the path of a user's request: a slow table must not hold them up. */
const DEFAULT_TIMEOUT_MS = 300;

/** The table the cache lives in, and how long a cache call may take. */
export interface DynamoRpcCacheOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Each DynamoDB call is abandoned after this long (default 300 ms) and reported as transient. */
  timeoutMs?: number;
  now?: () => number;
}

/**
 * `RpcCache` on the single table. A result is the item `pk = rpccache#<key>`, `sk = rpccache`
 * holding `value` (the result's JSON) and `validUntil` (ms); the fill lease is the item
 * `pk = rpccache#<key>`, `sk = lease` with `leaseUntil` (ms), taken by a conditional put that
 * succeeds only when no unexpired lease exists, so exactly one caller holds it at a time. Both
 * carry `expiresAt` (seconds) for TTL deletion; since TTL deletes late, expiry is checked on
 * every read against the millisecond attributes. Every SDK failure becomes a `TransientError`.
 */
export class DynamoRpcCache implements RpcCache {
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(private readonly options: DynamoRpcCacheOptions) {
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async get(key: string): Promise<string | undefined> {
    const { Item } = await this.send('GetItem', (abortSignal) =>
      this.options.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: pk(key) }, sk: { S: 'rpccache' } },
          ConsistentRead: true,
        }),
        { abortSignal },
      ),
    );
    if (!Item || Number(Item.validUntil?.N ?? '0') <= this.now()) return undefined;
    return Item.value?.S;
  }

  async put(key: string, value: string, ttlSeconds: number): Promise<void> {
    if (Buffer.byteLength(value) > MAX_VALUE_BYTES) return;
    const validUntil = this.now() + ttlSeconds * 1000;
    await this.write(
      'PutItem',
      { pk: { S: pk(key) }, sk: { S: 'rpccache' }, value: { S: value }, ...expiry('validUntil', validUntil) },
      {},
    );
  }

  async lease(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    try {
      await this.write(
        'PutItem',
        { pk: { S: pk(key) }, sk: { S: 'lease' }, ...expiry('leaseUntil', now + ttlMs) },
        {
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil <= :now',
          ExpressionAttributeValues: { ':now': { N: String(now) } },
        },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async write(
    operation: string,
    item: Record<string, AttributeValue>,
    condition: Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeValues'>,
  ): Promise<void> {
    await this.send(
      operation,
      (abortSignal) =>
        this.options.client.send(new PutItemCommand({ TableName: this.options.tableName, Item: item, ...condition }), {
          abortSignal,
        }),
      ConditionalCheckFailedException,
    );
  }

  /** Runs one SDK call under the timeout; failures become `TransientError` (except `passThrough`). */
  private async send<T>(
    operation: string,
    call: (signal: AbortSignal) => Promise<T>,
    passThrough?: new (...args: never[]) => Error,
  ): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      return await call(controller.signal);
    } catch (error) {
      if (passThrough && error instanceof passThrough) throw error;
      const name = controller.signal.aborted ? 'Timeout' : error instanceof Error ? error.name : 'Unknown';
      throw new TransientError('dynamodb.unavailable', `DynamoDB ${operation} failed: ${name}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

const pk = (key: string): string => `rpccache#${key}`;

/** A millisecond validity attribute plus the TTL attribute (seconds, rounded up). */
function expiry(attribute: string, untilMs: number): Record<string, AttributeValue> {
  return { [attribute]: { N: String(untilMs) }, expiresAt: { N: String(Math.ceil(untilMs / 1000)) } };
}
