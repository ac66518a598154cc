/**
 * IAM for the local DynamoDB: each function's calls are held to its table grant (stacks/table-grants.ts),
 * the same list the stacks turn into `dynamodb:LeadingKeys` conditions, so a missing grant fails
 * locally as it would on AWS.
 *
 * Who calls is told by the SigV4 `Authorization` header: the local runtime gives each function its own
 * access key id (`functionAccessKeyId`), as each Lambda on AWS signs with its own role's credentials.
 * Any other key id (the local tools', the tests') is the account's administrator and may do anything.
 *
 * A request is broken into the item actions IAM authorizes (a `TransactWriteItems` into a `PutItem`,
 * `UpdateItem`, `DeleteItem` or `ConditionCheckItem` per item, a `TransactGetItems` into `GetItem`s,
 * a batch into its action on every key) and each is checked against the partition key it names. One
 * refused action refuses the whole request, before anything is read or written, with the answer AWS
 * gives: HTTP 400 `AccessDeniedException`.
 */
import {
  grantAllows,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
  type TableAction,
  type TableGrant,
} from '../../stacks/table-grants.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './common.js';

type Json = Record<string, unknown>;

const ACCESS_KEY_PREFIX = 'LOCALFN';

/** The access key id function `name` signs its requests with locally. */
export const functionAccessKeyId = (name: string): string => `${ACCESS_KEY_PREFIX}${name}`;

/** Table grants by function name; a function without the table has none (`'none'`). */
export type TableAccessPolicy = Readonly<Record<string, TableGrant | 'none'>>;

/** A refusal, as DynamoDB sends it. */
export interface AccessDenied {
  readonly status: 400;
  readonly body: { readonly __type: string; readonly message: string };
}

/** One item action IAM authorizes, on one partition key (undefined when the request names none). */
interface ItemAction {
  readonly action: TableAction | `dynamodb:${string}`;
  readonly tableName: unknown;
  readonly pk: string | undefined;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The access key id of a SigV4 `Authorization` header (`... Credential=<id>/<date>/...`). */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}

function stringKey(item: unknown, partitionKey: string): string | undefined {
  const value = isObject(item) ? item[partitionKey] : undefined;
  return isObject(value) && typeof value.S === 'string' ? value.S : undefined;
}

/** The partition key value a query's `KeyConditionExpression` fixes (`#pk = :pk`, `pk = :v`, `:v = #pk`). */
function queriedKey(request: Json, partitionKey: string): string | undefined {
  const expression = typeof request.KeyConditionExpression === 'string' ? request.KeyConditionExpression : '';
  const names = isObject(request.ExpressionAttributeNames) ? request.ExpressionAttributeNames : {};
  const values = isObject(request.ExpressionAttributeValues) ? request.ExpressionAttributeValues : {};
  const nameOf = (token: string) => (token.startsWith('#') ? names[token] : token);
  for (const [, left, right] of expression.matchAll(/([#:]?[\w]+)\s*=\s*([#:]?[\w]+)/g)) {
    const [name, value] = left!.startsWith(':') ? [right!, left!] : [left!, right!];
    if (nameOf(name) === partitionKey && value.startsWith(':')) return stringKey({ v: values[value] }, 'v');
  }
  return undefined;
}

/** The item actions of one request, as IAM sees them. */
function itemActions(operation: string, request: Json, partitionKey: string): ItemAction[] {
  const single = (action: ItemAction['action'], field: 'Key' | 'Item'): ItemAction[] => [
    { action, tableName: request.TableName, pk: stringKey(request[field], partitionKey) },
  ];
  switch (operation) {
    case 'GetItem':
      return single('dynamodb:GetItem', 'Key');
    case 'PutItem':
      return single('dynamodb:PutItem', 'Item');
    case 'UpdateItem':
      return single('dynamodb:UpdateItem', 'Key');
    case 'DeleteItem':
      return single('dynamodb:DeleteItem', 'Key');
    case 'Query':
      // A query on an index needs the index's ARN granted: none is.
      return [
        {
          action: request.IndexName === undefined ? 'dynamodb:Query' : 'dynamodb:Query (index)',
          tableName: request.TableName,
          pk: queriedKey(request, partitionKey),
        },
      ];
    case 'BatchGetItem':
      return Object.entries(isObject(request.RequestItems) ? request.RequestItems : {}).flatMap(([tableName, reads]) =>
        asArray(isObject(reads) ? reads.Keys : undefined).map((key) => ({
          action: 'dynamodb:BatchGetItem' as const,
          tableName,
          pk: stringKey(key, partitionKey),
        })),
      );
    case 'BatchWriteItem':
      return Object.entries(isObject(request.RequestItems) ? request.RequestItems : {}).flatMap(([tableName, writes]) =>
        asArray(writes).map((write) => {
          const put = isObject(write) && isObject(write.PutRequest) ? write.PutRequest.Item : undefined;
          const del = isObject(write) && isObject(write.DeleteRequest) ? write.DeleteRequest.Key : undefined;
          return { action: 'dynamodb:BatchWriteItem' as const, tableName, pk: stringKey(put ?? del, partitionKey) };
        }),
      );
    case 'TransactWriteItems':
      return asArray(request.TransactItems).map((entry) => {
        const kinds = [
          ['Put', 'dynamodb:PutItem', 'Item'],
          ['Update', 'dynamodb:UpdateItem', 'Key'],
          ['Delete', 'dynamodb:DeleteItem', 'Key'],
          ['ConditionCheck', 'dynamodb:ConditionCheckItem', 'Key'],
        ] as const;
        const found = kinds.find(([kind]) => isObject(entry) && isObject(entry[kind]));
        if (!found || !isObject(entry))
          return { action: 'dynamodb:TransactWriteItems', tableName: undefined, pk: undefined };
        const body = entry[found[0]] as Json;
        return { action: found[1], tableName: body.TableName, pk: stringKey(body[found[2]], partitionKey) };
      });
    case 'TransactGetItems':
      return asArray(request.TransactItems).map((entry) => {
        const get = isObject(entry) && isObject(entry.Get) ? entry.Get : {};
        return { action: 'dynamodb:GetItem' as const, tableName: get.TableName, pk: stringKey(get.Key, partitionKey) };
      });
    default:
      // Scan, PartiQL, table administration...: no function is granted any of them.
      return [{ action: `dynamodb:${operation}`, tableName: request.TableName, pk: undefined }];
  }
}

const KNOWN_ACTIONS = new Set<string>([...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]);

const tableArn = (tableName: unknown) =>
  `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:table/${typeof tableName === 'string' ? tableName : '*'}`;

/**
 * Decides one request: undefined when allowed, the `AccessDeniedException` answer when not.
 * `operation` is the `X-Amz-Target` operation (`PutItem`...), `request` its parsed JSON body.
 */
export function authorizeTableRequest(options: {
  readonly policy: TableAccessPolicy;
  readonly tableName: string;
  readonly partitionKey: string;
  readonly authorization: string | undefined;
  readonly operation: string;
  readonly request: Json;
}): AccessDenied | undefined {
  const keyId = accessKeyIdOf(options.authorization);
  if (!keyId?.startsWith(ACCESS_KEY_PREFIX)) return undefined;
  const name = keyId.slice(ACCESS_KEY_PREFIX.length);
  const grant = (Object.hasOwn(options.policy, name) ? options.policy[name] : undefined) ?? 'none';
  for (const { action, tableName, pk } of itemActions(options.operation, options.request, options.partitionKey)) {
    const allowed =
      grant !== 'none' &&
      tableName === options.tableName &&
      pk !== undefined &&
      KNOWN_ACTIONS.has(action) &&
      grantAllows(grant, action as TableAction, pk);
    if (allowed) continue;
    const where =
      pk === undefined
        ? 'no partition key'
        : `partition key prefix '${pk.split('#')[0]}${pk.includes('#') ? '#' : ''}'`;
    return {
      status: 400,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException',
        message:
          `User: arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/${name}/${name} is not authorized to perform: ` +
          `${action} on resource: ${tableArn(tableName)} (${where}) because no identity-based policy allows the ` +
          `${action} action (see stacks/table-grants.ts)`,
      },
    };
  }
  return undefined;
}
