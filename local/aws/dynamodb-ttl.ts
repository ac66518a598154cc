/**
 * Time to Live for the local DynamoDB, which dynalite 4 lacks: `UpdateTimeToLive` and
 * `DescribeTimeToLive` answered as DynamoDB answers them, and the sweep that deletes expired items.
 *
 * As on AWS (developer guide, "Using time to live"): an item is expired when its TTL attribute is a
 * Number of epoch seconds below the current time and not more than five years below it (an older
 * value, or a value of another type, is ignored). An expired item stays readable until a sweep
 * deletes it, and an item whose TTL was changed or removed since the sweep read it is not deleted.
 * AWS deletes within a few days, typically minutes; the local sweep runs every few seconds (see
 * `startLocalDynamoDb`), and tests can run one at once.
 */

type Json = Record<string, unknown>;

/** An answer as DynamoDB sends it: HTTP status and JSON body. */
export interface DynamoAnswer {
  readonly status: number;
  readonly body: Json;
}

/** Runs one DynamoDB operation in process (writes through the write gate) and answers it. */
export type DynamoCall = (operation: string, input: Json) => Promise<DynamoAnswer>;

/** An item whose TTL lies further in the past than this is never deleted (AWS: "more than five years in the past"). */
export const TTL_MAX_AGE_SECONDS = 5 * 365 * 86_400;

const DYNAMODB_ERROR = 'com.amazonaws.dynamodb.v20120810#';
const VALIDATION_ERROR = 'com.amazon.coral.validate#ValidationException';

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const ok = (body: Json): DynamoAnswer => ({ status: 200, body });
const invalid = (message: string): DynamoAnswer => ({ status: 400, body: { __type: VALIDATION_ERROR, message } });

/**
 * Which tables have TTL on, and on which attribute. Kept in memory: share one instance across
 * restarts of the emulator; a new process starts with TTL off until `UpdateTimeToLive` (which
 * `ensureTable` sends on every start).
 */
export class TimeToLiveSpecs {
  readonly #attributes = new Map<string, string>();

  /** The TTL attribute of `tableName`, or undefined when TTL is off. */
  attributeOf(tableName: string): string | undefined {
    return this.#attributes.get(tableName);
  }

  /** Every table with TTL on, with its attribute. */
  enabled(): [tableName: string, attribute: string][] {
    return [...this.#attributes];
  }

  /** Forgets a deleted table. */
  forget(tableName: string): void {
    this.#attributes.delete(tableName);
  }

  /**
   * Answers `UpdateTimeToLive` or `DescribeTimeToLive` (undefined for any other operation).
   * `call` reaches the table itself, to refuse an unknown table as DynamoDB does.
   */
  async answer(operation: string, request: Json, call: DynamoCall): Promise<DynamoAnswer | undefined> {
    if (operation !== 'UpdateTimeToLive' && operation !== 'DescribeTimeToLive') return undefined;
    const tableName = request.TableName;
    if (typeof tableName !== 'string' || tableName === '') {
      return invalid(
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
      );
    }
    if (operation === 'DescribeTimeToLive') {
      const exists = await call('DescribeTable', { TableName: tableName });
      if (exists.status !== 200) return exists;
      const attribute = this.#attributes.get(tableName);
      return ok({
        TimeToLiveDescription:
          attribute === undefined
            ? { TimeToLiveStatus: 'DISABLED' }
            : { TimeToLiveStatus: 'ENABLED', AttributeName: attribute },
      });
    }
    const spec = request.TimeToLiveSpecification;
    if (!isObject(spec)) {
      return invalid(
        "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null",
      );
    }
    const { AttributeName: attribute, Enabled: enabled } = spec;
    if (typeof attribute !== 'string' || attribute.length < 1 || attribute.length > 255) {
      return invalid(
        "1 validation error detected: Value at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length between 1 and 255",
      );
    }
    if (typeof enabled !== 'boolean') {
      return invalid(
        "1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null",
      );
    }
    const exists = await call('DescribeTable', { TableName: tableName });
    if (exists.status !== 200) return exists;
    const current = this.#attributes.get(tableName);
    if (enabled && current !== undefined) return invalid('TimeToLive is already enabled');
    if (!enabled && current === undefined) return invalid('TimeToLive is already disabled');
    if (!enabled && current !== attribute) {
      return invalid(`TimeToLive is active on a different AttributeName: current AttributeName is ${current}`);
    }
    if (enabled) this.#attributes.set(tableName, attribute);
    else this.#attributes.delete(tableName);
    return ok({ TimeToLiveSpecification: { AttributeName: attribute, Enabled: enabled } });
  }
}

/**
 * One sweep: in every table with TTL on, deletes the items expired at `nowMs` (see the module
 * comment), each with a condition that its TTL is still the value read, so a concurrent update
 * wins. Resolves with the number of items deleted; rejects when a call fails (a stopped server).
 */
export async function sweepExpired(call: DynamoCall, specs: TimeToLiveSpecs, nowMs: number): Promise<number> {
  const now = Math.floor(nowMs / 1000);
  let deleted = 0;
  for (const [tableName, attribute] of specs.enabled()) {
    const description = await call('DescribeTable', { TableName: tableName });
    if (description.status !== 200) {
      // Deleted behind the specs' back: nothing to sweep there.
      if (String(description.body.__type).endsWith('ResourceNotFoundException')) continue;
      throw new Error(`DescribeTable ${tableName}: ${describeAnswer(description)}`);
    }
    const table = isObject(description.body.Table) ? description.body.Table : {};
    const keyNames = (Array.isArray(table.KeySchema) ? table.KeySchema : []).map((key) => String(key.AttributeName));
    const names: Record<string, string> = { '#ttl': attribute };
    keyNames.forEach((name, index) => {
      names[`#k${index}`] = name;
    });
    let start: Json | undefined;
    do {
      const page = await call('Scan', {
        TableName: tableName,
        FilterExpression: 'attribute_type(#ttl, :number) AND #ttl < :now AND #ttl >= :oldest',
        ProjectionExpression: ['#ttl', ...keyNames.map((_, index) => `#k${index}`)].join(', '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':number': { S: 'N' },
          ':now': { N: String(now) },
          ':oldest': { N: String(now - TTL_MAX_AGE_SECONDS) },
        },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      if (page.status !== 200) throw new Error(`Scan ${tableName}: ${describeAnswer(page)}`);
      for (const item of (page.body.Items ?? []) as Json[]) {
        const key = Object.fromEntries(keyNames.map((name) => [name, item[name]]));
        const gone = await call('DeleteItem', {
          TableName: tableName,
          Key: key,
          ConditionExpression: '#ttl = :seen',
          ExpressionAttributeNames: { '#ttl': attribute },
          ExpressionAttributeValues: { ':seen': item[attribute] },
        });
        if (gone.status === 200) deleted++;
        else if (!String(gone.body.__type).endsWith('ConditionalCheckFailedException')) {
          throw new Error(`DeleteItem in ${tableName}: ${describeAnswer(gone)}`);
        }
      }
      start = isObject(page.body.LastEvaluatedKey) ? page.body.LastEvaluatedKey : undefined;
    } while (start);
  }
  return deleted;
}

/** An error answer's type and message, never item data. */
function describeAnswer(answer: DynamoAnswer): string {
  const type = String(answer.body.__type ?? `HTTP ${answer.status}`).replace(DYNAMODB_ERROR, '');
  return `${type}: ${String(answer.body.message ?? answer.body.Message ?? '')}`;
}
