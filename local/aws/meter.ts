/**
 * Metering proxies for the local AWS emulators: one loopback HTTP proxy per service (DynamoDB,
 * SQS, KMS) that forwards every request to its emulator unchanged in meaning and records what AWS
 * would bill for it.
 *
 * - **Operation**: the `X-Amz-Target` suffix (`DynamoDB_20120810.GetItem` → `GetItem`), or the
 *   `Action` of an SQS query-protocol body.
 * - **Caller**: the function that made the call, from the `app/<id>` part of the SDK's user agent
 *   (`AWS_SDK_UA_APP_ID`, which `startLocalStack({ meter: true })` sets to each function's name);
 *   `local` for anything else (the SQS pollers standing in for Lambda's event source mapping, the
 *   schedule, tools).
 * - **DynamoDB request units, on-demand billing**: the emulator's own figure. The proxy adds
 *   `ReturnConsumedCapacity: 'TOTAL'` to every data-plane request and reads `ConsumedCapacity`
 *   back (and removes it again when the caller had not asked, so the caller sees what it would
 *   have seen). dynalite computes it the way DynamoDB bills: 1 RRU per 4 KB strongly consistent
 *   (half for eventually consistent; an absent item still costs the minimum), 1 WRU per KB of the
 *   larger of the old and new item, per item in batches, Query/Scan on the sum of the item sizes
 *   read; the local transaction layer doubles transactional units. Where the emulator is silent,
 *   the meter estimates, and marks the record `capacity: 'estimate'`:
 *   - a write refused by its condition (`ConditionalCheckFailedException`) still consumes WRUs on
 *     the existing item's size (min 1): the meter reads that item from the emulator directly;
 *   - a cancelled `TransactWriteItems` is counted as if applied, 2 WRU per KB of each `Put` item
 *     and 2 WRU for each other action (the existing items' sizes are not read);
 *   - a `ConditionCheck` inside a successful transaction costs 2 WRU (the emulator counts 0);
 *   - a Query or Scan that reads nothing costs the minimum (1 RRU, or 0.5 eventually consistent).
 * - **SQS billed requests**: each 64 KB chunk of a request's payload (message bodies and message
 *   attributes: sent for `SendMessage*`, returned for `ReceiveMessage`) is one billed request; every
 *   other call is one. Queue URLs are rewritten between the proxy's origin and the emulator's in both
 *   directions, since SQS clients send to a queue URL's own host.
 * - **KMS**: one request per call, with the `KeyId` it named (pricing depends on the key's spec).
 *
 * Nothing is recorded of payloads but sizes: no item, message or key material is kept.
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { crc32 } from 'node:zlib';
import { close, listen, loopbackUrl } from '../ports.js';

/** The services the meter stands in front of. */
export const METERED_SERVICES = ['dynamodb', 'sqs', 'kms'] as const;
export type MeteredService = (typeof METERED_SERVICES)[number];

/** One request as AWS would bill it. */
export interface MeterRecord {
  readonly service: MeteredService;
  /** `GetItem`, `SendMessageBatch`, `Sign`… (`(unknown)` without a target or action). */
  readonly operation: string;
  /** The calling function's name (its SDK app id), or `local`. */
  readonly caller: string;
  /** HTTP status the emulator answered (0: it could not be reached). */
  readonly status: number;
  /** Billed requests: SQS 64 KB chunks; 1 for every other call. */
  readonly billedRequests: number;
  /** DynamoDB read request units (0 elsewhere). */
  readonly readUnits: number;
  /** DynamoDB write request units (0 elsewhere). */
  readonly writeUnits: number;
  /** Where the DynamoDB units come from: the emulator's `ConsumedCapacity`, or the meter's estimate. */
  readonly capacity?: 'emulator' | 'estimate';
  /** SQS: the queue's name (a `.fifo` suffix means a FIFO queue). */
  readonly queue?: string;
  /** SQS `ReceiveMessage` that returned no message (an idle long poll). */
  readonly empty?: boolean;
  /** KMS: the `KeyId` the request named (absent for a `Decrypt` of a symmetric ciphertext). */
  readonly keyId?: string;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

/** Bytes in a KB and in a DynamoDB read unit's 4 KB, and SQS's 64 KB billing chunk. */
const KB = 1024;
const SQS_CHUNK_BYTES = 64 * KB;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** DynamoDB read request units for `bytes` read: per 4 KB, halved when eventually consistent, doubled in a transaction. */
export function readUnitsFor(bytes: number, options: { consistent?: boolean; transactional?: boolean } = {}): number {
  const units = Math.max(1, Math.ceil(bytes / (4 * KB)));
  if (options.transactional) return 2 * units;
  return options.consistent ? units : units / 2;
}

/** DynamoDB write request units for an item of `bytes`: per KB (at least 1), doubled in a transaction. */
export function writeUnitsFor(bytes: number, options: { transactional?: boolean } = {}): number {
  const units = Math.max(1, Math.ceil(bytes / KB));
  return options.transactional ? 2 * units : units;
}

/** SQS billed requests for a payload of `bytes`: one per 64 KB chunk, at least one. */
export function sqsBilledRequests(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / SQS_CHUNK_BYTES));
}

type AttributeValue = Record<string, unknown>;

/**
 * The size DynamoDB bills for an item (attribute names plus values, in the marshalled
 * `{ name: { S: '…' } }` form): strings and binaries by their bytes, numbers about one byte per two
 * significant digits plus one, booleans and nulls 1, lists and maps 3 bytes plus 1 per element.
 */
export function dynamoItemBytes(item: Readonly<Record<string, unknown>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueBytes(value);
  return size;
}

function valueBytes(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const [type, inner] = Object.entries(value as AttributeValue)[0] ?? [];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(inner));
    case 'N':
      return numberBytes(String(inner));
    case 'B':
      return Buffer.from(String(inner), 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (inner as string[]).reduce((sum, s) => sum + Buffer.byteLength(s), 0);
    case 'NS':
      return (inner as string[]).reduce((sum, n) => sum + numberBytes(n), 0);
    case 'BS':
      return (inner as string[]).reduce((sum, b) => sum + Buffer.from(b, 'base64').length, 0);
    case 'L':
      return 3 + (inner as unknown[]).reduce<number>((sum, v) => sum + 1 + valueBytes(v), 0);
    case 'M':
      return 3 + dynamoItemBytes(inner as Record<string, unknown>) + Object.keys(inner as object).length;
    default:
      return 0;
  }
}

function numberBytes(n: string): number {
  const digits = n.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** Totals of a set of records, by service, operation and caller. */
export interface MeterTotal {
  readonly service: MeteredService;
  readonly operation: string;
  readonly caller: string;
  readonly calls: number;
  readonly billedRequests: number;
  readonly readUnits: number;
  readonly writeUnits: number;
}

/** Adds records up by service, operation and caller (idle SQS long polls are left out: `empty`). */
export function meterTotals(records: readonly MeterRecord[]): MeterTotal[] {
  const totals = new Map<string, MeterTotal>();
  for (const r of records) {
    if (r.empty) continue;
    const key = `${r.service}\u0000${r.operation}\u0000${r.caller}`;
    const t = totals.get(key) ?? {
      service: r.service,
      operation: r.operation,
      caller: r.caller,
      calls: 0,
      billedRequests: 0,
      readUnits: 0,
      writeUnits: 0,
    };
    totals.set(key, {
      ...t,
      calls: t.calls + 1,
      billedRequests: t.billedRequests + r.billedRequests,
      readUnits: t.readUnits + r.readUnits,
      writeUnits: t.writeUnits + r.writeUnits,
    });
  }
  return [...totals.values()].sort(
    (a, b) =>
      a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation) || a.caller.localeCompare(b.caller),
  );
}

/** A running metering proxy in front of one emulator. */
interface MeteringProxy {
  readonly service: MeteredService;
  /** `http://127.0.0.1:<port>`: give it to clients as the service's endpoint. */
  readonly endpoint: string;
  /** The emulator it forwards to. */
  readonly target: string;
  stop(): Promise<void>;
}

/** Every proxy of a stack, and what they recorded. */
export interface Meter {
  /** The proxies' endpoints, by service. */
  readonly endpoints: Readonly<Record<MeteredService, string>>;
  /** Every record so far, in completion order. */
  records(): readonly MeterRecord[];
  /** The number of records so far: pass it to `since` to get what came after. */
  mark(): number;
  /** The records completed after `mark`. */
  since(mark: number): readonly MeterRecord[];
  /** Requests forwarded and not answered yet (a long poll in progress counts). */
  inFlight(): number;
  /** `performance.now()` of the last request that started or ended (0 before any). */
  lastActivity(): number;
  /** `url` with the SQS emulator's origin replaced by the SQS proxy's (queue URLs for metered clients). */
  meteredQueueUrl(url: string): string;
  /** Stops every proxy (open connections are dropped). Idempotent. */
  stop(): Promise<void>;
}

/** State the proxies of one meter share. */
interface Ledger {
  readonly records: MeterRecord[];
  inFlight: number;
  lastActivity: number;
}

/** Starts one proxy per service in front of `targets` (each `http://host:port`). */
export async function startMeter(targets: Readonly<Record<MeteredService, string>>): Promise<Meter> {
  const ledger: Ledger = { records: [], inFlight: 0, lastActivity: 0 };
  const proxies: MeteringProxy[] = [];
  try {
    for (const service of METERED_SERVICES) proxies.push(await startProxy(service, targets[service], ledger));
  } catch (error) {
    await Promise.all(proxies.map((p) => p.stop()));
    throw error;
  }
  const endpoints = Object.fromEntries(proxies.map((p) => [p.service, p.endpoint])) as Record<MeteredService, string>;
  let stopping: Promise<void> | undefined;
  return {
    endpoints,
    records: () => ledger.records,
    mark: () => ledger.records.length,
    since: (mark) => ledger.records.slice(mark),
    inFlight: () => ledger.inFlight,
    lastActivity: () => ledger.lastActivity,
    meteredQueueUrl: (url) => replaceOrigin(url, new URL(targets.sqs).origin, endpoints.sqs),
    stop() {
      stopping ??= Promise.all(proxies.map((p) => p.stop())).then(() => undefined);
      return stopping;
    },
  };
}

async function startProxy(service: MeteredService, target: string, ledger: Ledger): Promise<MeteringProxy> {
  const targetUrl = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const context: ProxyContext = { service, targetUrl, agent, ledger, ownOrigin: '', keySchemas: new Map() };
  const server: Server = createServer((req, res) => void handle(context, req, res));
  server.keepAliveTimeout = 60_000;
  const port = await listen(server);
  context.ownOrigin = loopbackUrl(port);
  return {
    service,
    endpoint: context.ownOrigin,
    target: targetUrl.origin,
    async stop() {
      await close(server);
      agent.destroy();
    },
  };
}

interface ProxyContext {
  readonly service: MeteredService;
  readonly targetUrl: URL;
  readonly agent: Agent;
  readonly ledger: Ledger;
  ownOrigin: string;
  /** DynamoDB tables' key attribute names, from DescribeTable (for reading an item a failed write named). */
  readonly keySchemas: Map<string, Promise<readonly string[]>>;
}

interface Upstream {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

async function handle(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { ledger } = ctx;
  ledger.inFlight += 1;
  ledger.lastActivity = performance.now();
  try {
    const raw = await readAll(req);
    const caller = callerOf(req.headers);
    const prepared = prepareRequest(ctx, req, raw);
    let upstream: Upstream;
    try {
      upstream = await forward(ctx, req, prepared.body, res);
    } catch {
      // The emulator is away (a fault test stopped it) or the caller gave up: drop the connection,
      // as an unreachable service would. Nothing was billed.
      req.socket.destroy();
      return;
    }
    const settled = await settle(ctx, prepared, upstream);
    ledger.records.push({
      service: ctx.service,
      operation: prepared.operation,
      caller,
      status: upstream.status,
      requestBytes: raw.length,
      responseBytes: settled.body.length,
      ...settled.bill,
    });
    if (res.destroyed) return;
    const headers = { ...upstream.headers };
    delete headers['transfer-encoding'];
    delete headers.connection;
    headers['content-length'] = String(settled.body.length);
    if (settled.rewritten && headers['x-amz-crc32'] !== undefined) headers['x-amz-crc32'] = String(crc32(settled.body));
    res.writeHead(upstream.status, headers);
    res.end(settled.body);
  } catch {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end();
  } finally {
    ledger.inFlight -= 1;
    ledger.lastActivity = performance.now();
  }
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error('request body too large for the meter'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const APP_ID = /(?:^|\s)app\/([^\s]+)/;
/**
 * What Powertools appends to `AWS_SDK_UA_APP_ID` when it loads (`<id>/PT/NO-OP/<version>/PTEnv/<env>`),
 * which the SDK then writes with dashes: `app/webhook-PT-NO-OP-2.36.0-PTEnv-AWS_Lambda_nodejs20.x`.
 */
const POWERTOOLS_SUFFIX = /-PT-NO-OP-.*$/;

function callerOf(headers: IncomingMessage['headers']): string {
  for (const name of ['x-amz-user-agent', 'user-agent']) {
    const value = headers[name];
    const match = typeof value === 'string' ? APP_ID.exec(value) : null;
    if (match?.[1]) return match[1].replace(POWERTOOLS_SUFFIX, '') || 'local';
  }
  return 'local';
}

type Json = Record<string, unknown>;

interface PreparedRequest {
  readonly operation: string;
  /** The body sent upstream (capacity asked for, queue URLs rewritten). */
  readonly body: Buffer;
  /** The parsed JSON body as the caller sent it (query-protocol bodies: their parameters). */
  readonly input: Json;
  /** DynamoDB: the caller asked for `ConsumedCapacity` itself. */
  readonly callerAskedCapacity: boolean;
  readonly protocol: 'json' | 'query';
}

const DYNAMO_READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const DYNAMO_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

function prepareRequest(ctx: ProxyContext, req: IncomingMessage, raw: Buffer): PreparedRequest {
  const target = req.headers['x-amz-target'];
  const contentType = String(req.headers['content-type'] ?? '');
  if (typeof target !== 'string' && contentType.includes('x-www-form-urlencoded')) {
    const text = raw.toString('utf8');
    const params = Object.fromEntries(new URLSearchParams(text));
    const body = ctx.service === 'sqs' ? Buffer.from(rewriteQueryOrigins(ctx, text, 'upstream')) : raw;
    return {
      operation: params.Action ?? '(unknown)',
      body,
      input: params,
      callerAskedCapacity: false,
      protocol: 'query',
    };
  }
  const operation = typeof target === 'string' ? (target.split('.').at(-1) ?? '(unknown)') : '(unknown)';
  let input: Json = {};
  try {
    const parsed = raw.length === 0 ? {} : (JSON.parse(raw.toString('utf8')) as unknown);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) input = parsed as Json;
  } catch {
    return { operation, body: raw, input, callerAskedCapacity: false, protocol: 'json' };
  }
  const askedCapacity = input.ReturnConsumedCapacity === 'TOTAL' || input.ReturnConsumedCapacity === 'INDEXES';
  if (ctx.service === 'dynamodb' && (DYNAMO_READS.has(operation) || DYNAMO_WRITES.has(operation)) && !askedCapacity) {
    return {
      operation,
      body: Buffer.from(JSON.stringify({ ...input, ReturnConsumedCapacity: 'TOTAL' })),
      input,
      callerAskedCapacity: false,
      protocol: 'json',
    };
  }
  if (ctx.service === 'sqs') {
    const text = raw.toString('utf8');
    return {
      operation,
      body: Buffer.from(replaceOrigin(text, ctx.ownOrigin, ctx.targetUrl.origin)),
      input,
      callerAskedCapacity: askedCapacity,
      protocol: 'json',
    };
  }
  return { operation, body: raw, input, callerAskedCapacity: askedCapacity, protocol: 'json' };
}

function forward(ctx: ProxyContext, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: ctx.targetUrl.host, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const upstream = httpRequest(
      {
        host: ctx.targetUrl.hostname,
        port: ctx.targetUrl.port,
        method: req.method,
        path: req.url,
        headers,
        agent: ctx.agent,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () =>
          resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body: Buffer.concat(chunks) }),
        );
        answer.on('error', reject);
      },
    );
    upstream.on('error', reject);
    // A caller that hangs up (a poller stopping mid long poll) ends the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy(new Error('caller went away'));
    });
    upstream.end(body);
  });
}

type Bill = Pick<MeterRecord, 'billedRequests' | 'readUnits' | 'writeUnits' | 'capacity' | 'queue' | 'empty' | 'keyId'>;

async function settle(
  ctx: ProxyContext,
  prepared: PreparedRequest,
  upstream: Upstream,
): Promise<{ body: Buffer; bill: Bill; rewritten: boolean }> {
  switch (ctx.service) {
    case 'dynamodb':
      return settleDynamo(ctx, prepared, upstream);
    case 'sqs':
      return settleSqs(ctx, prepared, upstream);
    case 'kms': {
      const keyId = typeof prepared.input.KeyId === 'string' ? prepared.input.KeyId : undefined;
      return {
        body: upstream.body,
        bill: { billedRequests: 1, readUnits: 0, writeUnits: 0, ...(keyId !== undefined && { keyId }) },
        rewritten: false,
      };
    }
  }
}

function parseJson(body: Buffer): Json | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
}

function capacityUnitsOf(consumed: unknown): number | undefined {
  const list = Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed];
  if (list.length === 0) return undefined;
  let total = 0;
  for (const entry of list) {
    const units = (entry as { CapacityUnits?: unknown } | null)?.CapacityUnits;
    if (typeof units === 'number') total += units;
  }
  return total;
}

async function settleDynamo(
  ctx: ProxyContext,
  prepared: PreparedRequest,
  upstream: Upstream,
): Promise<{ body: Buffer; bill: Bill; rewritten: boolean }> {
  const { operation, input } = prepared;
  const isRead = DYNAMO_READS.has(operation);
  const isWrite = DYNAMO_WRITES.has(operation);
  const none: Bill = { billedRequests: 1, readUnits: 0, writeUnits: 0 };
  if (!isRead && !isWrite) return { body: upstream.body, bill: none, rewritten: false };
  const output = parseJson(upstream.body);
  if (upstream.status === 200 && output) {
    const reported = capacityUnitsOf(output.ConsumedCapacity) ?? 0;
    let units = reported;
    let capacity: MeterRecord['capacity'] = 'emulator';
    if ((operation === 'Query' || operation === 'Scan') && units === 0) {
      units = input.ConsistentRead === true ? 1 : 0.5;
      capacity = 'estimate';
    }
    if (operation === 'TransactWriteItems') {
      const checks = transactItems(input).filter((item) => 'ConditionCheck' in item).length;
      if (checks > 0) {
        units += 2 * checks;
        capacity = 'estimate';
      }
    }
    let body = upstream.body;
    let rewritten = false;
    if (!prepared.callerAskedCapacity && 'ConsumedCapacity' in output) {
      const { ConsumedCapacity: _omitted, ...rest } = output;
      body = Buffer.from(JSON.stringify(rest));
      rewritten = true;
    }
    return {
      body,
      bill: { billedRequests: 1, readUnits: isRead ? units : 0, writeUnits: isWrite ? units : 0, capacity },
      rewritten,
    };
  }
  const type = typeof output?.__type === 'string' ? output.__type : '';
  if (type.endsWith('ConditionalCheckFailedException')) {
    const bytes = await existingItemBytes(ctx, operation, input, output ?? {});
    return {
      body: upstream.body,
      bill: { ...none, writeUnits: writeUnitsFor(bytes), capacity: 'estimate' },
      rewritten: false,
    };
  }
  if (type.endsWith('TransactionCanceledException') && operation === 'TransactWriteItems') {
    const units = transactItems(input).reduce((sum, item) => {
      const put = (item.Put as { Item?: Json } | undefined)?.Item;
      return sum + writeUnitsFor(put ? dynamoItemBytes(put) : 0, { transactional: true });
    }, 0);
    return { body: upstream.body, bill: { ...none, writeUnits: units, capacity: 'estimate' }, rewritten: false };
  }
  return { body: upstream.body, bill: none, rewritten: false };
}

function transactItems(input: Json): Json[] {
  return Array.isArray(input.TransactItems) ? (input.TransactItems as Json[]) : [];
}

/** The size of the item a refused single write named, read from the emulator itself (0 when absent). */
async function existingItemBytes(ctx: ProxyContext, operation: string, input: Json, output: Json): Promise<number> {
  const returned = output.Item as Json | undefined;
  if (returned) return dynamoItemBytes(returned);
  const tableName = typeof input.TableName === 'string' ? input.TableName : undefined;
  if (!tableName) return 0;
  try {
    let key = input.Key as Json | undefined;
    if (operation === 'PutItem') {
      const item = (input.Item ?? {}) as Json;
      const names = await keyAttributes(ctx, tableName);
      key = Object.fromEntries(names.map((name) => [name, item[name]]));
    }
    if (!key) return 0;
    const answer = await callEmulator(ctx, 'GetItem', { TableName: tableName, Key: key, ConsistentRead: true });
    const item = answer?.Item as Json | undefined;
    return item ? dynamoItemBytes(item) : 0;
  } catch {
    return 0;
  }
}

function keyAttributes(ctx: ProxyContext, tableName: string): Promise<readonly string[]> {
  let names = ctx.keySchemas.get(tableName);
  if (!names) {
    names = callEmulator(ctx, 'DescribeTable', { TableName: tableName }).then((answer) => {
      const schema = (answer?.Table as { KeySchema?: { AttributeName: string }[] } | undefined)?.KeySchema ?? [];
      return schema.map((k) => k.AttributeName);
    });
    ctx.keySchemas.set(tableName, names);
    names.catch(() => ctx.keySchemas.delete(tableName));
  }
  return names;
}

/** A DynamoDB call of the meter's own, straight to the emulator (never recorded). */
function callEmulator(ctx: ProxyContext, operation: string, input: Json): Promise<Json | undefined> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(JSON.stringify(input));
    const call = httpRequest(
      {
        host: ctx.targetUrl.hostname,
        port: ctx.targetUrl.port,
        method: 'POST',
        path: '/',
        agent: ctx.agent,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `DynamoDB_20120810.${operation}`,
          'content-length': String(body.length),
          // dynalite wants a SigV4-shaped authorization header; it does not check the signature.
          authorization:
            'AWS4-HMAC-SHA256 Credential=LOCALACCESSKEY/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
          'x-amz-date': '20200101T000000Z',
        },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => resolve(answer.statusCode === 200 ? parseJson(Buffer.concat(chunks)) : undefined));
        answer.on('error', reject);
      },
    );
    call.on('error', reject);
    call.end(body);
  });
}

function settleSqs(
  ctx: ProxyContext,
  prepared: PreparedRequest,
  upstream: Upstream,
): { body: Buffer; bill: Bill; rewritten: boolean } {
  const { operation, input } = prepared;
  const text = upstream.body.toString('utf8');
  const body =
    prepared.protocol === 'query'
      ? Buffer.from(rewriteQueryOrigins(ctx, text, 'caller'))
      : Buffer.from(replaceOrigin(text, ctx.targetUrl.origin, ctx.ownOrigin));
  const queueUrl = typeof input.QueueUrl === 'string' ? input.QueueUrl : undefined;
  const queue = queueUrl ? queueUrl.split('/').filter(Boolean).at(-1) : undefined;
  let payload = 0;
  let empty: boolean | undefined;
  if (prepared.protocol === 'json') {
    if (operation === 'SendMessage') payload = messageBytes(input);
    else if (operation === 'SendMessageBatch') payload = sumMessages(input.Entries);
    else if (operation === 'ReceiveMessage' && upstream.status === 200) {
      const messages = parseJson(upstream.body)?.Messages;
      payload = sumMessages(messages);
      empty = !Array.isArray(messages) || messages.length === 0;
    }
  } else if (operation === 'SendMessage') {
    payload = Buffer.byteLength(String(input.MessageBody ?? ''));
  }
  return {
    body,
    bill: {
      billedRequests: sqsBilledRequests(payload),
      readUnits: 0,
      writeUnits: 0,
      ...(queue !== undefined && { queue }),
      ...(empty !== undefined && { empty }),
    },
    rewritten: false,
  };
}

function sumMessages(list: unknown): number {
  return Array.isArray(list) ? list.reduce<number>((sum, m) => sum + messageBytes(m as Json), 0) : 0;
}

/** A message's billed payload: its body and its message attributes (names, types and values). */
function messageBytes(message: Json): number {
  let bytes = Buffer.byteLength(String(message.MessageBody ?? message.Body ?? ''));
  const attributes = (message.MessageAttributes ?? {}) as Record<string, Json>;
  for (const [name, attribute] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(String(attribute.DataType ?? ''));
    if (typeof attribute.StringValue === 'string') bytes += Buffer.byteLength(attribute.StringValue);
    if (typeof attribute.BinaryValue === 'string') bytes += Buffer.from(attribute.BinaryValue, 'base64').length;
  }
  return bytes;
}

function replaceOrigin(text: string, from: string, to: string): string {
  return from === to || from === '' ? text : text.split(from).join(to);
}

/** Query-protocol bodies carry queue URLs form-encoded (requests) or plain in XML (responses). */
function rewriteQueryOrigins(ctx: ProxyContext, text: string, toward: 'upstream' | 'caller'): string {
  const [from, to] =
    toward === 'upstream' ? [ctx.ownOrigin, ctx.targetUrl.origin] : [ctx.targetUrl.origin, ctx.ownOrigin];
  return replaceOrigin(replaceOrigin(text, encodeURIComponent(from), encodeURIComponent(to)), from, to);
}
