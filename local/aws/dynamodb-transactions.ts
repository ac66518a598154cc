/**
 * `TransactWriteItems` and `TransactGetItems` for the local DynamoDB, which dynalite 4 lacks.
 *
 * `withTransactions` takes dynalite's HTTP server and swaps its request listener for a
 * dispatcher on the same server and port: the two transaction operations are answered here,
 * every other request reaches dynalite's own listener unchanged. Production code sends the
 * real `TransactWriteItemsCommand` to this endpoint as it would to AWS.
 *
 * Atomicity and isolation come from one in-process gate that every write coming through the
 * server passes (PutItem, UpdateItem, DeleteItem, BatchWriteItem and the table operations).
 * Plain writes pass it side by side; a transaction passes it alone, after the writes already
 * under way have finished, so no other writer runs between its checks and its writes. Alone
 * at the gate, a transaction:
 * 1. validates the request as DynamoDB does (1–100 actions, one operation each, no two
 *    actions on one item) and honours `ClientRequestToken` (see `TransactionTokens`);
 * 2. evaluates every action before writing anything: it reads the current item (a
 *    consistent GetItem) and runs the action, condition included, on a copy of that item in a
 *    scratch dynalite (in memory, never listening). dynalite's own expression evaluator and
 *    validation decide, so a condition means here exactly what it means to a plain PutItem;
 * 3. when an action fails its condition, names its item with a key attribute of the wrong type,
 *    or would be invalid for its item (ADD to a string, say), applies nothing and answers
 *    `TransactionCanceledException` with one `CancellationReasons` entry per action, in order
 *    (`ValidationError` for the last two, as DynamoDB does, not a request-wide ValidationException);
 * 4. otherwise applies each action to the real table through dynalite (conditions kept: they
 *    still hold, as nothing else wrote since the checks).
 * Step 4 cannot fail for a reason step 2 did not see, as long as every writer goes through this
 * server: atomicity relies on the gate. Should it fail anyway, the answer is a 500
 * `InternalServerError` and a log line naming the action.
 *
 * Reads (GetItem, Query, Scan, BatchGetItem) are not serialised, as in DynamoDB: a GetItem
 * sees an item before or after a transaction, while a Query, Scan or BatchGetItem may see some
 * of a transaction's writes and not others (DynamoDB documents them as read-committed).
 * `TransactGetItems` passes the gate alone too, so it never sees part of a transaction or of a
 * BatchWriteItem.
 *
 * Contention queues at the gate instead of cancelling; the conflict switch (`conflicts`, see
 * `dynamodb-conflicts.ts`) cancels chosen transactions with `TransactionConflict` as AWS would.
 * With `timeToLive` (see `dynamodb-ttl.ts`) the server also answers `UpdateTimeToLive` and
 * `DescribeTimeToLive`, and `call` lets its sweep delete expired items through the gate.
 *
 * Not emulated: the 4 MB request limit, `TransactionConflictException` for plain writes to an
 * item a transaction holds, `ReturnItemCollectionMetrics`, and capacity for `ConditionCheck` actions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import dynalite from 'dynalite';
import { conflictReasons, type TransactionConflicts } from './dynamodb-conflicts.js';
import type { DynamoAnswer, TimeToLiveSpecs } from './dynamodb-ttl.js';

type Json = Record<string, unknown>;
type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Most actions in one `TransactWriteItems` or `TransactGetItems`. */
export const MAX_TRANSACTION_ACTIONS = 100;
/** How long DynamoDB remembers a `ClientRequestToken` after the request that used it. */
export const CLIENT_TOKEN_TTL_MS = 10 * 60 * 1000;

const API_VERSION = 'DynamoDB_20120810';
const TRANSACT_WRITE = 'TransactWriteItems';
const TRANSACT_GET = 'TransactGetItems';
const TIME_TO_LIVE_OPERATIONS = new Set(['UpdateTimeToLive', 'DescribeTimeToLive']);
/** Operations that change data or tables: they pass the write gate. */
const WRITE_OPERATIONS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteTable',
  'UpdateTable',
]);
const WRITE_ACTION_KINDS = ['ConditionCheck', 'Put', 'Delete', 'Update'] as const;
type WriteActionKind = (typeof WRITE_ACTION_KINDS)[number];
/** What each action kind must carry (besides `TableName`). */
const REQUIRED_FIELDS: Record<WriteActionKind, readonly string[]> = {
  ConditionCheck: ['Key', 'ConditionExpression'],
  Put: ['Item'],
  Delete: ['Key'],
  Update: ['Key', 'UpdateExpression'],
};
/** The fields of an action that its single-item operation (PutItem, UpdateItem...) takes. */
const ITEM_OPERATION_FIELDS = [
  'Key',
  'Item',
  'UpdateExpression',
  'ConditionExpression',
  'ExpressionAttributeNames',
  'ExpressionAttributeValues',
] as const;
/** An attribute no item has: `attribute_exists` on it is a condition that always fails. */
const PROBE_NAME = '#txLocalProbe';
const PROBE_ATTRIBUTE = '__local_transaction_probe__';

const DYNAMODB_ERROR = 'com.amazonaws.dynamodb.v20120810#';
const VALIDATION_ERROR = 'com.amazon.coral.validate#ValidationException';
const SERIALIZATION_ERROR = 'com.amazon.coral.service#SerializationException';
/** Headers of the requests this module sends to dynalite in process (it wants a SigV4-looking request). */
const INTERNAL_HEADERS: IncomingHttpHeaders = {
  'content-type': 'application/x-amz-json-1.0',
  authorization:
    'AWS4-HMAC-SHA256 Credential=LOCAL/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
  'x-amz-date': '20000101T000000Z',
};

/** An error answer: HTTP status and the JSON body DynamoDB sends for it. */
class DynamoError extends Error {
  readonly status: number;
  readonly body: Json;

  constructor(status: number, body: Json) {
    super(String(body.message ?? body.Message ?? body.__type ?? 'DynamoDB error'));
    this.name = 'DynamoError';
    this.status = status;
    this.body = body;
  }

  /** The exception name, e.g. `ConditionalCheckFailedException`. */
  get type(): string {
    return String(this.body.__type ?? '')
      .split('#')
      .pop() as string;
  }
}

const validationError = (message: string): DynamoError => new DynamoError(400, { __type: VALIDATION_ERROR, message });
const serializationError = (message: string): DynamoError =>
  new DynamoError(400, { __type: SERIALIZATION_ERROR, Message: message });
const internalError = (): DynamoError =>
  new DynamoError(500, { __type: `${DYNAMODB_ERROR}InternalServerError`, message: 'Internal server error' });
/** A cancelled transaction, worded as DynamoDB words it. */
const cancelled = (reasons: readonly Json[]): DynamoError =>
  new DynamoError(400, {
    __type: `${DYNAMODB_ERROR}TransactionCanceledException`,
    Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((reason) => reason.Code).join(', ')}]`,
    CancellationReasons: reasons,
  });

/**
 * The `ClientRequestToken`s of successful `TransactWriteItems` calls, each remembered for 10
 * minutes (`CLIENT_TOKEN_TTL_MS`) with a fingerprint of its request and its answer.
 *
 * Invariants, as in DynamoDB: a request with a remembered token and the same parameters gets
 * the remembered answer and changes nothing; with other parameters it gets
 * `IdempotentParameterMismatchException`. A cancelled or failed transaction leaves no token, so
 * retrying it runs it again. Share one instance across restarts of the emulator so a client
 * retrying through an outage is still recognised.
 */
export class TransactionTokens {
  readonly #entries = new Map<string, { fingerprint: string; answer: Json; at: number }>();
  readonly #now: () => number;
  readonly #ttlMs: number;

  constructor(options: { now?: () => number; ttlMs?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#ttlMs = options.ttlMs ?? CLIENT_TOKEN_TTL_MS;
  }

  /** The remembered answer for `token`, or undefined; throws when the token came with another request. */
  replay(token: string, fingerprint: string): Json | undefined {
    this.#forgetExpired();
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    if (entry.fingerprint !== fingerprint) {
      throw new DynamoError(400, {
        __type: `${DYNAMODB_ERROR}IdempotentParameterMismatchException`,
        Message:
          'DynamoDB rejected the request because you retried a request with a different payload but with an idempotent token that was already used.',
      });
    }
    return entry.answer;
  }

  remember(token: string, fingerprint: string, answer: Json): void {
    this.#entries.set(token, { fingerprint, answer, at: this.#now() });
  }

  #forgetExpired(): void {
    const oldest = this.#now() - this.#ttlMs;
    for (const [token, entry] of this.#entries) if (entry.at <= oldest) this.#entries.delete(token);
  }
}

/**
 * The gate every write passes: plain writes hold it shared (they run side by side, dynalite
 * locks each item itself), a transaction holds it alone. Requests are served in arrival order,
 * so a waiting transaction is not overtaken by writes that came after it.
 */
class WriteGate {
  #shared = 0;
  #exclusive = false;
  readonly #waiting: { exclusive: boolean; enter: () => void }[] = [];

  /** Runs `task` holding the gate, alone when `exclusive`. */
  async run<T>(exclusive: boolean, task: () => Promise<T>): Promise<T> {
    await this.#enter(exclusive);
    try {
      return await task();
    } finally {
      if (exclusive) this.#exclusive = false;
      else this.#shared--;
      this.#admit();
    }
  }

  #enter(exclusive: boolean): Promise<void> {
    return new Promise<void>((enter) => {
      this.#waiting.push({ exclusive, enter });
      this.#admit();
    });
  }

  #admit(): void {
    for (let next = this.#waiting[0]; next !== undefined; next = this.#waiting[0]) {
      const free = next.exclusive ? !this.#exclusive && this.#shared === 0 : !this.#exclusive;
      if (!free) return;
      this.#waiting.shift();
      if (next.exclusive) this.#exclusive = true;
      else this.#shared++;
      next.enter();
    }
  }
}

/** dynalite's answer to one request, as it would have gone on the wire. */
interface WireAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Runs one request through a dynalite request listener in process: a stand-in request emits the
 * body, a stand-in response collects the answer. Nothing touches the network, and the answer
 * arrives even if the client that caused it has gone.
 */
function invokeListener(
  listener: RequestListener,
  request: { method?: string; url?: string; headers: IncomingHttpHeaders; body: Buffer },
): Promise<WireAnswer> {
  return new Promise<WireAnswer>((resolve, reject) => {
    const headers: Record<string, string> = {};
    const req = Object.assign(new EventEmitter(), {
      method: request.method ?? 'POST',
      url: request.url ?? '/',
      headers: request.headers,
    });
    const res = {
      statusCode: 200,
      setHeader(name: string, value: string | number) {
        headers[name.toLowerCase()] = String(value);
        return res;
      },
      end(chunk?: string | Buffer) {
        resolve({ status: res.statusCode, headers, body: chunk === undefined ? '' : chunk.toString() });
        return res;
      },
    };
    try {
      listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
      if (request.body.length > 0) req.emit('data', request.body);
      req.emit('end');
    } catch (error) {
      reject(error);
    }
  });
}

/** DynamoDB operations on one dynalite, called in process. */
class DynaliteCaller {
  readonly #listener: RequestListener;

  constructor(listener: RequestListener) {
    this.#listener = listener;
  }

  raw(request: { method?: string; url?: string; headers: IncomingHttpHeaders; body: Buffer }): Promise<WireAnswer> {
    return invokeListener(this.#listener, request);
  }

  /** Runs `operation`; resolves with its output, rejects with a `DynamoError` for an error answer. */
  async call(operation: string, input: Json): Promise<Json> {
    const answer = await this.raw({
      headers: { ...INTERNAL_HEADERS, 'x-amz-target': `${API_VERSION}.${operation}` },
      body: Buffer.from(JSON.stringify(input)),
    });
    let output: Json;
    try {
      output = JSON.parse(answer.body) as Json;
    } catch {
      output = { __type: `${DYNAMODB_ERROR}InternalServerError`, message: `HTTP ${answer.status} from dynalite` };
    }
    if (answer.status !== 200) throw new DynamoError(answer.status, output);
    return output;
  }
}

/** The request listener dynalite's server was built with. */
function dynaliteListener(server: Server): RequestListener {
  const listeners = server.listeners('request');
  if (listeners.length !== 1) throw new Error(`Expected dynalite's one request listener, found ${listeners.length}`);
  return listeners[0] as RequestListener;
}

/** What a transaction needs to know about a table. */
interface TableShape {
  /** The key attribute names (hash, then range). */
  readonly keyNames: readonly string[];
  /** The type (`S`, `N`, `B`) of each key attribute. */
  readonly keyTypes: Readonly<Record<string, string>>;
  /** Key schema, attribute definitions and indexes: enough to create a twin table. */
  readonly definition: Json;
}

function tableShapeOf(description: Json): TableShape {
  const table = (description.Table ?? {}) as Json;
  const keySchema = (table.KeySchema ?? []) as { AttributeName: string; KeyType: string }[];
  const index = (raw: unknown): Json => {
    const { IndexName, KeySchema, Projection } = raw as Json;
    return { IndexName, KeySchema, Projection };
  };
  const definition: Json = {
    KeySchema: keySchema,
    AttributeDefinitions: table.AttributeDefinitions,
    BillingMode: 'PAY_PER_REQUEST',
  };
  if (Array.isArray(table.LocalSecondaryIndexes) && table.LocalSecondaryIndexes.length > 0) {
    definition.LocalSecondaryIndexes = table.LocalSecondaryIndexes.map(index);
  }
  if (Array.isArray(table.GlobalSecondaryIndexes) && table.GlobalSecondaryIndexes.length > 0) {
    definition.GlobalSecondaryIndexes = table.GlobalSecondaryIndexes.map(index);
  }
  const keyNames = keySchema.map((key) => key.AttributeName);
  const definitions = (table.AttributeDefinitions ?? []) as { AttributeName: string; AttributeType: string }[];
  const keyTypes = Object.fromEntries(
    definitions.filter((d) => keyNames.includes(d.AttributeName)).map((d) => [d.AttributeName, d.AttributeType]),
  );
  return { keyNames, keyTypes, definition };
}

/**
 * An in-memory dynalite that never listens, holding one twin table per table shape. An action
 * is evaluated by copying its item there and running the action on the copy.
 */
class Scratch {
  readonly #dynamo = new DynaliteCaller(
    dynaliteListener(dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })),
  );
  readonly #tables = new Map<string, Promise<string>>();

  call(operation: string, input: Json): Promise<Json> {
    return this.#dynamo.call(operation, input);
  }

  /** The name of the twin of a table of this shape, created on first use. */
  twinOf(shape: TableShape): Promise<string> {
    const name = `twin-${createHash('sha256').update(stableStringify(shape.definition)).digest('hex').slice(0, 32)}`;
    let ready = this.#tables.get(name);
    if (!ready) {
      ready = this.#create(name, shape);
      this.#tables.set(name, ready);
      ready.catch(() => this.#tables.delete(name));
    }
    return ready;
  }

  async #create(name: string, shape: TableShape): Promise<string> {
    await this.#dynamo.call('CreateTable', { ...shape.definition, TableName: name });
    for (;;) {
      const { Table } = (await this.#dynamo.call('DescribeTable', { TableName: name })) as { Table?: Json };
      const indexes = (Table?.GlobalSecondaryIndexes ?? []) as Json[];
      if (Table?.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE')) return name;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

/** One action of a `TransactWriteItems`, validated for shape. */
interface WriteAction {
  readonly kind: WriteActionKind;
  readonly tableName: string;
  /** The action's own object (`Put`, `Update`...), as sent. */
  readonly body: Json;
  /** `ReturnValuesOnConditionCheckFailure` is `ALL_OLD`. */
  readonly returnOldItem: boolean;
}

/** One entry of `CancellationReasons`. */
type CancellationReason =
  | { Code: 'None' }
  | { Code: 'ConditionalCheckFailed'; Message: string; Item?: Json }
  | { Code: 'ValidationError'; Message: string };

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const lowerFirst = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

/** JSON with object keys sorted, so equal values give equal strings. */
function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isObject(value)) {
    const entries = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableStringify(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Collects constraint violations and throws them as one ValidationException, worded like DynamoDB's. */
class Constraints {
  readonly #messages: string[] = [];

  add(value: string, path: string, constraint: string): void {
    this.#messages.push(`Value ${value} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  throwIfAny(): void {
    const count = this.#messages.length;
    if (count === 0) return;
    const noun = count === 1 ? 'error' : 'errors';
    throw validationError(`${count} validation ${noun} detected: ${this.#messages.join('; ')}`);
  }
}

function checkEnum(constraints: Constraints, value: unknown, path: string, allowed: readonly string[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') throw serializationError(`Expected a string at ${path}`);
  if (!allowed.includes(value)) {
    constraints.add(`'${value}'`, path, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
}

/** `TransactItems` of a request: present, a list of 1 to 100 objects. */
function transactItemsOf(request: Json, constraints: Constraints): Json[] {
  const items = request.TransactItems;
  if (items === undefined || items === null) {
    constraints.add('null', 'transactItems', 'Member must not be null');
    constraints.throwIfAny();
  }
  if (!Array.isArray(items) || !items.every(isObject))
    throw serializationError('TransactItems must be a list of objects');
  if (items.length < 1) constraints.add("'[]'", 'transactItems', 'Member must have length greater than or equal to 1');
  if (items.length > MAX_TRANSACTION_ACTIONS) {
    constraints.add(
      `'[${items.length} items]'`,
      'transactItems',
      `Member must have length less than or equal to ${MAX_TRANSACTION_ACTIONS}`,
    );
  }
  checkEnum(constraints, request.ReturnConsumedCapacity, 'returnConsumedCapacity', ['INDEXES', 'TOTAL', 'NONE']);
  return items;
}

/** Checks that an action carries a table name and `fields`; returns the table name. */
function checkFields(constraints: Constraints, body: Json, path: string, fields: readonly string[]): string {
  for (const field of ['TableName', ...fields]) {
    const value = body[field];
    if (value === undefined || value === null) {
      constraints.add('null', `${path}.${lowerFirst(field)}`, 'Member must not be null');
    } else if ((field === 'Key' || field === 'Item') && !isObject(value)) {
      throw serializationError(`Expected a map at ${path}.${lowerFirst(field)}`);
    } else if (field !== 'Key' && field !== 'Item' && typeof value !== 'string') {
      throw serializationError(`Expected a string at ${path}.${lowerFirst(field)}`);
    }
  }
  return String(body.TableName);
}

function parseWriteActions(request: Json): WriteAction[] {
  const constraints = new Constraints();
  const items = transactItemsOf(request, constraints);
  const token = request.ClientRequestToken;
  if (token !== undefined && token !== null) {
    if (typeof token !== 'string') throw serializationError('Expected a string at clientRequestToken');
    if (token.length < 1)
      constraints.add("''", 'clientRequestToken', 'Member must have length greater than or equal to 1');
    if (token.length > 36) {
      constraints.add(`'${token}'`, 'clientRequestToken', 'Member must have length less than or equal to 36');
    }
  }
  checkEnum(constraints, request.ReturnItemCollectionMetrics, 'returnItemCollectionMetrics', ['SIZE', 'NONE']);
  const actions: WriteAction[] = [];
  items.forEach((item, index) => {
    const kinds = WRITE_ACTION_KINDS.filter((kind) => item[kind] !== undefined && item[kind] !== null);
    const kind = kinds[0];
    if (kinds.length !== 1 || kind === undefined) {
      throw validationError('TransactItems can only contain one of Check, Put, Update or Delete');
    }
    const body = item[kind];
    const path = `transactItems.${index + 1}.member.${lowerFirst(kind)}`;
    if (!isObject(body)) throw serializationError(`Expected an object at ${path}`);
    const tableName = checkFields(constraints, body, path, REQUIRED_FIELDS[kind]);
    const returnValues = body.ReturnValuesOnConditionCheckFailure;
    checkEnum(constraints, returnValues, `${path}.returnValuesOnConditionCheckFailure`, ['ALL_OLD', 'NONE']);
    actions.push({ kind, tableName, body, returnOldItem: returnValues === 'ALL_OLD' });
  });
  constraints.throwIfAny();
  return actions;
}

/** One `Get` of a `TransactGetItems`, validated for shape. */
interface GetAction {
  readonly tableName: string;
  readonly body: Json;
}

function parseGetActions(request: Json): GetAction[] {
  const constraints = new Constraints();
  const items = transactItemsOf(request, constraints);
  const actions: GetAction[] = [];
  items.forEach((item, index) => {
    const path = `transactItems.${index + 1}.member.get`;
    const body = item.Get;
    if (body === undefined || body === null) {
      constraints.add('null', path, 'Member must not be null');
      return;
    }
    if (!isObject(body)) throw serializationError(`Expected an object at ${path}`);
    actions.push({ tableName: checkFields(constraints, body, path, ['Key']), body });
  });
  constraints.throwIfAny();
  return actions;
}

/** Rejects a request naming one item twice (items without a complete key are left to later validation). */
function rejectRepeatedItems(items: readonly { tableName: string; key: Json | undefined }[]): void {
  const seen = new Set<string>();
  for (const { tableName, key } of items) {
    if (!key) continue;
    const identity = `${tableName}\u0000${stableStringify(key)}`;
    if (seen.has(identity)) throw validationError('Transaction request cannot include multiple operations on one item');
    seen.add(identity);
  }
}

/** The key of the item an action targets; undefined when a Put's item lacks a key attribute. */
function keyOf(action: WriteAction, shape: TableShape): Json | undefined {
  if (action.kind !== 'Put') return action.body.Key as Json;
  const item = action.body.Item as Json;
  const key: Json = {};
  for (const name of shape.keyNames) {
    if (item[name] === undefined) return undefined;
    key[name] = item[name];
  }
  return key;
}

/**
 * The `ValidationError` reason of an action naming its item with a key attribute of the wrong type,
 * as DynamoDB cancels the transaction for it (worded as its single-item operation words the error);
 * undefined when every key attribute it carries has the table's type.
 */
function keyTypeMismatch(action: WriteAction, shape: TableShape): CancellationReason | undefined {
  const attributes = (action.kind === 'Put' ? action.body.Item : action.body.Key) as Json;
  for (const name of shape.keyNames) {
    const value = attributes[name];
    const expected = shape.keyTypes[name];
    if (!isObject(value) || expected === undefined || value[expected] !== undefined) continue;
    const actual = Object.keys(value)[0] ?? 'none';
    return {
      Code: 'ValidationError',
      Message:
        action.kind === 'Put'
          ? `One or more parameter values were invalid: Type mismatch for key ${name} expected: ${expected} actual: ${actual}`
          : 'The provided key element does not match the schema',
    };
  }
  return undefined;
}

/** The single-item operation equivalent to an action (a ConditionCheck is checked as a conditional DeleteItem). */
function itemOperation(action: WriteAction, tableName: string): { operation: string; input: Json } {
  const input: Json = { TableName: tableName };
  for (const field of ITEM_OPERATION_FIELDS) if (action.body[field] !== undefined) input[field] = action.body[field];
  const operation = { ConditionCheck: 'DeleteItem', Put: 'PutItem', Delete: 'DeleteItem', Update: 'UpdateItem' }[
    action.kind
  ];
  return { operation, input };
}

/** Adds up `CapacityUnits` per table from single-item answers; transactional operations cost twice as much. */
function transactionCapacity(answers: readonly { tableName: string; output: Json }[], unit: string): Json[] {
  const units = new Map<string, number>();
  for (const { tableName, output } of answers) {
    const consumed = output.ConsumedCapacity as { CapacityUnits?: number } | undefined;
    units.set(tableName, (units.get(tableName) ?? 0) + (consumed?.CapacityUnits ?? 0));
  }
  return [...units].map(([TableName, total]) => ({ TableName, CapacityUnits: 2 * total, [unit]: 2 * total }));
}

const wantsCapacity = (request: Json): boolean =>
  request.ReturnConsumedCapacity === 'TOTAL' || request.ReturnConsumedCapacity === 'INDEXES';

/** Options of `withTransactions`. */
export interface TransactionOptions {
  /** Client tokens to honour; pass the same instance to each new server over the same data. */
  readonly tokens?: TransactionTokens;
  /** Where a transaction that failed while applying is reported (default: stderr). */
  readonly log?: (line: string) => void;
  /**
   * Decides every request before it is served (IAM, see `dynamodb-access.ts`): an error answer
   * refuses it, undefined lets it through. Called with the request's headers, its operation and its
   * parsed body; a body that is not JSON goes on to be refused as DynamoDB refuses it.
   */
  readonly authorize?: (
    headers: IncomingHttpHeaders,
    operation: string,
    request: Json,
  ) => DynamoErrorAnswer | undefined;
  /** The conflict switch to honour; pass the same instance to each new server over the same data. */
  readonly conflicts?: TransactionConflicts;
  /** Answers the TTL operations from these specs (dynalite does not know them); same sharing as `tokens`. */
  readonly timeToLive?: TimeToLiveSpecs;
}

/** An error answer: its HTTP status and DynamoDB's JSON body. */
export interface DynamoErrorAnswer {
  readonly status: number;
  readonly body: Json;
}

/** A dynalite server that also answers the transaction operations. */
export interface TransactionalDynalite {
  /** dynalite's server, its request listener replaced by the dispatcher: listen on this. */
  readonly server: Server;
  /**
   * Stops serving: open connections are dropped and requests from now on refused; the
   * transaction or write under way still finishes (a transaction is never left half-applied),
   * then the port and dynalite's LevelDB are closed.
   */
  close(): Promise<void>;
  /**
   * Runs one operation in process, as a request on the port would run (writes pass the gate,
   * transactions are not among them), bypassing `authorize`. Resolves with DynamoDB's answer, an
   * error answer included; rejects once the server is closing.
   */
  call(operation: string, input: Json): Promise<DynamoAnswer>;
}

/** Answers the transaction operations and gates writes in front of dynalite's listener. */
class TransactionFront {
  readonly #real: DynaliteCaller;
  readonly #passThrough: RequestListener;
  readonly #tokens: TransactionTokens;
  readonly #log: (line: string) => void;
  readonly #authorize: TransactionOptions['authorize'];
  readonly #conflicts: TransactionOptions['conflicts'];
  readonly #timeToLive: TransactionOptions['timeToLive'];
  readonly #gate = new WriteGate();
  readonly #scratch = new Scratch();
  #closing = false;

  constructor(listener: RequestListener, options: TransactionOptions) {
    this.#passThrough = listener;
    this.#real = new DynaliteCaller(listener);
    this.#tokens = options.tokens ?? new TransactionTokens();
    this.#log = options.log ?? ((line) => console.error(line));
    this.#authorize = options.authorize;
    this.#conflicts = options.conflicts;
    this.#timeToLive = options.timeToLive;
  }

  /** See `TransactionalDynalite.call`. */
  async call(operation: string, input: Json): Promise<DynamoAnswer> {
    const run = async (): Promise<DynamoAnswer> => {
      if (this.#closing) throw new Error('local DynamoDB is closing');
      try {
        const answer = await this.#real.call(operation, input);
        if (operation === 'DeleteTable') this.#timeToLive?.forget(String(input.TableName));
        return { status: 200, body: answer };
      } catch (error) {
        if (error instanceof DynamoError) return { status: error.status, body: error.body };
        throw error;
      }
    };
    if (this.#closing) throw new Error('local DynamoDB is closing');
    return WRITE_OPERATIONS.has(operation) ? this.#gate.run(false, run) : run();
  }

  /** Refuses new requests and resolves once the work already queued has finished. */
  drain(): Promise<void> {
    this.#closing = true;
    return this.#gate.run(true, async () => undefined);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closing) {
      req.socket.destroy();
      return;
    }
    if (this.#authorize && req.method === 'POST') void this.#authorized(this.#authorize, req, res);
    else this.#dispatch(req, res);
  }

  /** Reads the body, lets `authorize` decide, then serves the request from the body read. */
  async #authorized(
    authorize: NonNullable<TransactionOptions['authorize']>,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const body = await readBody(req);
    if (body === undefined) return;
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    let request: Json | undefined;
    try {
      request = parseRequest(body.toString('utf8'));
    } catch {
      request = undefined;
    }
    const denied = request === undefined ? undefined : authorize(req.headers, operation, request);
    if (denied) {
      sendJson(res, req, denied.status, denied.body);
      return;
    }
    this.#dispatch(req, res, body);
  }

  /** Serves a request; `body` when it was read already. */
  #dispatch(req: IncomingMessage, res: ServerResponse, body?: Buffer): void {
    const [api, operation] = String(req.headers['x-amz-target'] ?? '').split('.');
    if (req.method === 'POST' && api === API_VERSION && (operation === TRANSACT_WRITE || operation === TRANSACT_GET)) {
      void this.#transaction(operation, req, res, body);
    } else if (
      req.method === 'POST' &&
      api === API_VERSION &&
      this.#timeToLive &&
      TIME_TO_LIVE_OPERATIONS.has(operation ?? '')
    ) {
      void this.#timeToLiveOperation(this.#timeToLive, operation as string, req, res, body);
    } else if (req.method === 'POST' && operation !== undefined && WRITE_OPERATIONS.has(operation)) {
      void this.#gatedWrite(req, res, body);
    } else if (body !== undefined) {
      void this.#replay(req, res, body);
    } else {
      this.#passThrough(req, res);
    }
  }

  /** Serves a request whose body was read already through dynalite's listener in process. */
  async #replay(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    let answer: WireAnswer;
    try {
      answer = await this.#real.raw({ method: req.method, url: req.url, headers: req.headers, body });
    } catch (error) {
      this.#log(`[local dynamodb] ${req.headers['x-amz-target']} failed in dynalite: ${describe(error)}`);
      sendError(res, req, internalError());
      return;
    }
    if (res.destroyed || res.writableEnded) return;
    res.statusCode = answer.status;
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    res.end(answer.body);
  }

  /** Answers `UpdateTimeToLive` or `DescribeTimeToLive` from the specs. */
  async #timeToLiveOperation(
    specs: TimeToLiveSpecs,
    operation: string,
    req: IncomingMessage,
    res: ServerResponse,
    read?: Buffer,
  ): Promise<void> {
    const text = read ?? (await readBody(req));
    if (text === undefined) return;
    try {
      const answer = await specs.answer(operation, parseRequest(text.toString('utf8')), (op, input) =>
        this.call(op, input),
      );
      if (answer) sendJson(res, req, answer.status, answer.body);
    } catch (error) {
      if (error instanceof DynamoError) {
        sendError(res, req, error);
        return;
      }
      if (this.#closing) {
        res.destroy();
        return;
      }
      this.#log(`[local dynamodb] ${operation} failed: ${describe(error)}`);
      sendError(res, req, internalError());
    }
  }

  async #gatedWrite(req: IncomingMessage, res: ServerResponse, read?: Buffer): Promise<void> {
    const body = read ?? (await readBody(req));
    if (body === undefined) return;
    await this.#gate.run(false, async () => {
      if (this.#closing) {
        res.destroy();
        return;
      }
      let answer: WireAnswer;
      try {
        answer = await this.#real.raw({ method: req.method, url: req.url, headers: req.headers, body });
      } catch (error) {
        this.#log(`[local dynamodb] ${req.headers['x-amz-target']} failed in dynalite: ${describe(error)}`);
        sendError(res, req, internalError());
        return;
      }
      if (answer.status === 200 && String(req.headers['x-amz-target']).endsWith('.DeleteTable')) {
        this.#timeToLive?.forget(tableNameOf(body));
      }
      if (res.destroyed || res.writableEnded) return;
      res.statusCode = answer.status;
      for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
      res.end(answer.body);
    });
  }

  async #transaction(operation: string, req: IncomingMessage, res: ServerResponse, read?: Buffer): Promise<void> {
    const text = read ?? (await readBody(req));
    if (text === undefined) return;
    await this.#gate.run(true, async () => {
      if (this.#closing) {
        res.destroy();
        return;
      }
      try {
        const request = parseRequest(text.toString('utf8'));
        const output =
          operation === TRANSACT_WRITE ? await this.#transactWrite(request) : await this.#transactGet(request);
        sendJson(res, req, 200, output);
      } catch (error) {
        if (error instanceof DynamoError) {
          sendError(res, req, error);
          return;
        }
        this.#log(`[local dynamodb] ${operation} failed: ${describe(error)}`);
        sendError(res, req, internalError());
      }
    });
  }

  async #transactWrite(request: Json): Promise<Json> {
    const actions = parseWriteActions(request);
    const token = typeof request.ClientRequestToken === 'string' ? request.ClientRequestToken : undefined;
    const { ClientRequestToken: _token, ...parameters } = request;
    const fingerprint = stableStringify(parameters);
    if (token !== undefined) {
      const replayed = this.#tokens.replay(token, fingerprint);
      if (replayed) return replayed;
    }

    const shapes = await this.#describeTables(actions.map((action) => action.tableName));
    const keys = actions.map((action) => keyOf(action, shapes.get(action.tableName) as TableShape));
    rejectRepeatedItems(actions.map((action, index) => ({ tableName: action.tableName, key: keys[index] })));
    const contended = this.#conflicts?.draw(actions.length);
    if (contended !== undefined) throw cancelled(conflictReasons(actions.length, contended));

    const reasons: CancellationReason[] = [];
    for (const [index, action] of actions.entries()) {
      const shape = shapes.get(action.tableName) as TableShape;
      reasons.push(keyTypeMismatch(action, shape) ?? (await this.#evaluate(action, keys[index], shape)));
    }
    if (reasons.some((reason) => reason.Code !== 'None')) throw cancelled(reasons);

    const answers: { tableName: string; output: Json }[] = [];
    for (const [index, action] of actions.entries()) {
      if (action.kind === 'ConditionCheck') continue;
      const { operation, input } = itemOperation(action, action.tableName);
      if (wantsCapacity(request)) input.ReturnConsumedCapacity = 'TOTAL';
      try {
        answers.push({ tableName: action.tableName, output: await this.#real.call(operation, input) });
      } catch (error) {
        this.#log(
          `[local dynamodb] TransactWriteItems failed applying action ${index + 1} of ${actions.length} ` +
            `(${operation} on ${action.tableName}) after ${answers.length} writes: ${describe(error)}`,
        );
        throw internalError();
      }
    }
    const output: Json = wantsCapacity(request)
      ? { ConsumedCapacity: transactionCapacity(answers, 'WriteCapacityUnits') }
      : {};
    if (token !== undefined) this.#tokens.remember(token, fingerprint, output);
    return output;
  }

  async #transactGet(request: Json): Promise<Json> {
    const actions = parseGetActions(request);
    rejectRepeatedItems(actions.map((action) => ({ tableName: action.tableName, key: action.body.Key as Json })));
    const contended = this.#conflicts?.draw(actions.length);
    if (contended !== undefined) throw cancelled(conflictReasons(actions.length, contended));
    const responses: Json[] = [];
    const answers: { tableName: string; output: Json }[] = [];
    for (const action of actions) {
      const { TableName, Key, ProjectionExpression, ExpressionAttributeNames } = action.body;
      const output = await this.#real.call('GetItem', {
        TableName,
        Key,
        ProjectionExpression,
        ExpressionAttributeNames,
        ConsistentRead: true,
        ...(wantsCapacity(request) ? { ReturnConsumedCapacity: 'TOTAL' } : {}),
      });
      responses.push(output.Item === undefined ? {} : { Item: output.Item });
      answers.push({ tableName: action.tableName, output });
    }
    return wantsCapacity(request)
      ? { Responses: responses, ConsumedCapacity: transactionCapacity(answers, 'ReadCapacityUnits') }
      : { Responses: responses };
  }

  /** The shape of each table named, from DescribeTable (a missing table fails the whole request). */
  async #describeTables(names: readonly string[]): Promise<Map<string, TableShape>> {
    const shapes = new Map<string, TableShape>();
    for (const name of new Set(names)) {
      shapes.set(name, tableShapeOf(await this.#real.call('DescribeTable', { TableName: name })));
    }
    return shapes;
  }

  /**
   * Decides what one action would do to its item now, without writing to the real table: runs
   * it on a copy of the item in the scratch twin. Throws the error answer for the whole request
   * when the action is invalid whatever the item (a bad expression, a key missing an attribute).
   * A key of the wrong type never gets here (see `keyTypeMismatch`).
   */
  async #evaluate(action: WriteAction, key: Json | undefined, shape: TableShape): Promise<CancellationReason> {
    let current: Json | undefined;
    let copied = key;
    if (key) {
      try {
        current = (await this.#real.call('GetItem', { TableName: action.tableName, Key: key, ConsistentRead: true }))
          .Item as Json | undefined;
      } catch (error) {
        const putWithBadKey =
          action.kind === 'Put' && error instanceof DynamoError && error.type === 'ValidationException';
        if (!putWithBadKey) throw error;
        // An unusable key attribute (empty, too long): the PutItem below fails and words it as DynamoDB does.
        copied = undefined;
      }
    }
    const twin = await this.#scratch.twinOf(shape);
    if (current) await this.#scratch.call('PutItem', { TableName: twin, Item: current });
    const { operation, input } = itemOperation(action, twin);
    try {
      await this.#scratch.call(operation, input);
      return { Code: 'None' };
    } catch (error) {
      if (!(error instanceof DynamoError)) throw error;
      if (error.type === 'ConditionalCheckFailedException') {
        const failed: CancellationReason = {
          Code: 'ConditionalCheckFailed',
          Message: 'The conditional request failed',
        };
        return action.returnOldItem && current ? { ...failed, Item: current } : failed;
      }
      if (error.type === 'ValidationException' && (await this.#validWhateverTheItem(operation, input))) {
        return { Code: 'ValidationError', Message: error.message };
      }
      throw error;
    } finally {
      if (copied) await this.#scratch.call('DeleteItem', { TableName: twin, Key: copied });
    }
  }

  /**
   * Whether an operation that failed validation passes every check dynalite makes before
   * evaluating the condition: rerun with a condition that always fails. A
   * ConditionalCheckFailed proves the request itself is well-formed, so the earlier error came
   * from the item's data (an operand of the wrong type, an item grown too large).
   */
  async #validWhateverTheItem(operation: string, input: Json): Promise<boolean> {
    const condition = typeof input.ConditionExpression === 'string' ? `(${input.ConditionExpression}) AND ` : '';
    const names = isObject(input.ExpressionAttributeNames) ? input.ExpressionAttributeNames : {};
    try {
      await this.#scratch.call(operation, {
        ...input,
        ConditionExpression: `${condition}attribute_exists(${PROBE_NAME})`,
        ExpressionAttributeNames: { ...names, [PROBE_NAME]: PROBE_ATTRIBUTE },
      });
      return false;
    } catch (error) {
      return error instanceof DynamoError && error.type === 'ConditionalCheckFailedException';
    }
  }
}

/** The `TableName` of a request body, or '' when it has none. */
function tableNameOf(body: Buffer): string {
  try {
    const name = (JSON.parse(body.toString('utf8')) as Json).TableName;
    return typeof name === 'string' ? name : '';
  } catch {
    return '';
  }
}

function parseRequest(text: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DynamoError(400, { __type: SERIALIZATION_ERROR });
  }
  if (!isObject(parsed)) throw new DynamoError(400, { __type: SERIALIZATION_ERROR });
  return parsed;
}

/** The whole request body, or undefined when the client went away first. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
    req.on('close', () => {
      if (!req.complete) resolve(undefined);
    });
  });
}

/** Writes a JSON answer with the headers dynalite (and DynamoDB) put on every answer. */
function sendJson(res: ServerResponse, req: IncomingMessage, status: number, output: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const body = JSON.stringify(output);
  const requestType = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim();
  res.statusCode = status;
  res.setHeader('x-amzn-RequestId', randomBytes(39).toString('base64').toUpperCase().replace(/[+/]/g, '0'));
  res.setHeader('x-amz-crc32', crc32(body));
  res.setHeader('Content-Type', requestType === 'application/x-amz-json-1.0' ? requestType : 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(body, 'utf8'));
  res.end(body);
}

const sendError = (res: ServerResponse, req: IncomingMessage, error: DynamoError): void =>
  sendJson(res, req, error.status, error.body);

/** A log-safe summary of an error: its type and message, never request or item data. */
function describe(error: unknown): string {
  if (error instanceof DynamoError) return `${error.type}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Makes a dynalite server answer `TransactWriteItems` and `TransactGetItems` with DynamoDB's
 * semantics (see the module comment) on its own port, and gates its writes so each
 * transaction is atomic with respect to every other writer. Call before the server listens;
 * close it through the returned `close()`, which lets a running transaction finish first.
 */
export function withTransactions(server: Server, options: TransactionOptions = {}): TransactionalDynalite {
  const front = new TransactionFront(dynaliteListener(server), options);
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => front.handle(req, res));
  return {
    server,
    call: (operation, input) => front.call(operation, input),
    async close() {
      // Drop the connections first, as a crash would: a transaction under way still completes
      // (its answer is lost), and no answer goes out on a connection that is about to close.
      const drained = front.drain();
      server.closeAllConnections();
      await drained;
      // dynalite's close() closes the port, then its LevelDB once the connections are gone.
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
