import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { TransientError } from '../errors.js';
import type { RpcCache, RpcLease } from './cache.js';

/**
 * DynamoDB stores items up to 400 KB; larger results (a `getMultipleAccounts` of 100 big
 * accounts) are not cached rather than failing the write.
 */
const MAX_VALUE_BYTES = 350_000;
/**
 * Reads are on the path of a user's request: a slow table must not hold them up for long, but
 * a busy one (a burst, a loaded machine) must not be given up on for answering in 400 ms.
 */
const DEFAULT_MIN_TIMEOUT_MS = 300;
const DEFAULT_MAX_TIMEOUT_MS = 1_000;

/** The table the cache lives in, and how long a cache call may take. */
export interface DynamoRpcCacheOptions {
  client: DynamoDBClient;
  tableName: string;
  /**
   * Each DynamoDB call is abandoned after an adaptive timeout and reported as transient: never
   * shorter than `minTimeoutMs` (default 300 ms), never longer than `maxTimeoutMs` (default 1 s).
   */
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
  now?: () => number;
}

/**
 * A call timeout that follows the latency seen, as TCP's retransmission timer does (RFC 6298):
 * the smoothed latency plus four times its mean deviation, kept within `[min, max]`. It is `max`
 * until the first answer (a cold connection is slow); a call that times out counts as a sample
 * as long as the timeout, so a run of timeouts widens it towards `max` instead of giving up on a
 * table that is merely slow, while a table that is usually fast is given up on soon.
 */
export class AdaptiveTimeout {
  private smoothed: number | undefined;
  private deviation = 0;

  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    if (!(min > 0) || !(max >= min)) throw new RangeError('timeouts must satisfy 0 < min ≤ max');
  }

  /** The timeout to give the next call. */
  get ms(): number {
    if (this.smoothed === undefined) return this.max;
    return Math.min(this.max, Math.max(this.min, Math.ceil(this.smoothed + 4 * this.deviation)));
  }

  /** Records how long a call took (its timeout if it timed out). */
  sample(ms: number): void {
    if (this.smoothed === undefined) {
      this.smoothed = ms;
      this.deviation = ms / 2;
      return;
    }
    this.deviation = 0.75 * this.deviation + 0.25 * Math.abs(this.smoothed - ms);
    this.smoothed = 0.875 * this.smoothed + 0.125 * ms;
  }
}

/**
 * `RpcCache` on the single table. A result is the item `pk = rpccache#<key>`, `sk = rpccache`
 * holding `value` (the result's JSON) and `validUntil` (ms); the fill lease is the item
 * `pk = rpccache#<key>`, `sk = lease` with `leasedAt` and `leaseUntil` (ms), taken by a conditional
 * put that succeeds only when no unexpired lease exists, so exactly one caller holds it at a time;
 * the put returns the lease it replaced, whose `leasedAt` says whether the key is hot. A caller
 * refused the lease sets its `wanted` (an update conditional on the lease still running: one
 * write, paid only when two callers miss the same key at once). All carry `expiresAt` (seconds)
 * for TTL deletion; since TTL deletes late, expiry is checked on every read against the
 * millisecond attributes. Every SDK failure becomes a `TransientError`; no call takes longer
 * than `maxTimeoutMs` (see `AdaptiveTimeout`).
 */
export class DynamoRpcCache implements RpcCache {
  private readonly now: () => number;
  /** Shared by every call of this instance (one per container): they all go to the same table. */
  readonly timeout: AdaptiveTimeout;

  constructor(private readonly options: DynamoRpcCacheOptions) {
    this.now = options.now ?? Date.now;
    this.timeout = new AdaptiveTimeout(
      options.minTimeoutMs ?? DEFAULT_MIN_TIMEOUT_MS,
      options.maxTimeoutMs ?? DEFAULT_MAX_TIMEOUT_MS,
    );
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
    const item = {
      pk: { S: pk(key) },
      sk: { S: 'rpccache' },
      value: { S: value },
      ...expiry('validUntil', validUntil),
    };
    await this.send('PutItem', (abortSignal) =>
      this.options.client.send(new PutItemCommand({ TableName: this.options.tableName, Item: item }), { abortSignal }),
    );
  }

  async lease(key: string, ttlMs: number, seenMs: number): Promise<RpcLease> {
    const now = this.now();
    const leaseKey = { pk: { S: pk(key) }, sk: { S: 'lease' } };
    try {
      const { Attributes: old } = await this.send(
        'PutItem',
        (abortSignal) =>
          this.options.client.send(
            new PutItemCommand({
              TableName: this.options.tableName,
              Item: {
                ...leaseKey,
                leasedAt: { N: String(now) },
                leaseUntil: { N: String(now + ttlMs) },
                // Kept as long as it says the key was asked: a later lease within `seenMs` is hot.
                expiresAt: { N: String(Math.ceil((now + Math.max(ttlMs, seenMs)) / 1000)) },
              },
              ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil <= :now',
              ExpressionAttributeValues: { ':now': { N: String(now) } },
              ReturnValues: 'ALL_OLD',
            }),
            { abortSignal },
          ),
        ConditionalCheckFailedException,
      );
      return { granted: true, hot: Number(old?.leasedAt?.N ?? Number.NEGATIVE_INFINITY) > now - seenMs };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    try {
      await this.send(
        'UpdateItem',
        (abortSignal) =>
          this.options.client.send(
            new UpdateItemCommand({
              TableName: this.options.tableName,
              Key: leaseKey,
              UpdateExpression: 'SET wanted = :yes',
              ConditionExpression: 'leaseUntil > :now',
              ExpressionAttributeValues: { ':yes': { BOOL: true }, ':now': { N: String(now) } },
            }),
            { abortSignal },
          ),
        ConditionalCheckFailedException,
      );
    } catch (error) {
      // The lease ran out meanwhile: nobody is filling the key, the caller goes to RPC itself.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    return { granted: false };
  }

  async wanted(key: string): Promise<boolean> {
    const { Item } = await this.send('GetItem', (abortSignal) =>
      this.options.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: pk(key) }, sk: { S: 'lease' } },
          ConsistentRead: true,
        }),
        { abortSignal },
      ),
    );
    return Item?.wanted?.BOOL === true;
  }

  /**
   * Runs one SDK call under the adaptive timeout; failures become `TransientError` (except
   * `passThrough`, an answer like any other). Answers and timeouts feed the timeout; other
   * failures (a refused connection) say nothing about latency.
   */
  private async send<T>(
    operation: string,
    call: (signal: AbortSignal) => Promise<T>,
    passThrough?: new (...args: never[]) => Error,
  ): Promise<T> {
    const controller = new AbortController();
    const timeoutMs = this.timeout.ms;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const started = performance.now();
    try {
      const result = await call(controller.signal);
      this.timeout.sample(performance.now() - started);
      return result;
    } catch (error) {
      if (controller.signal.aborted) {
        this.timeout.sample(timeoutMs);
        throw new TransientError(
          'dynamodb.unavailable',
          `DynamoDB ${operation} failed: Timeout after ${timeoutMs} ms`,
          {
            cause: error,
          },
        );
      }
      if (passThrough && error instanceof passThrough) {
        this.timeout.sample(performance.now() - started);
        throw error;
      }
      const name = error instanceof Error ? error.name : 'Unknown';
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
