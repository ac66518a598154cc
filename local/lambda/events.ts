/**
 * The events Lambda hands functions, built from what the local emulators see: an HTTP request
 * (API Gateway HTTP API, payload format 2.0) and SQS messages (the SQS event source mapping).
 * Shapes follow the AWS documentation field by field, so handlers cannot tell local from cloud.
 */
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from '../aws/common.js';

/** An HTTP request as received, before API Gateway turns it into an event. */
export interface HttpRequestData {
  readonly method: string;
  /** Path and query string, as on the request line (`/telegram?x=1`). */
  readonly url: string;
  /** Header name/value pairs in arrival order, names in any case (Node's `rawHeaders`, paired). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly protocol?: string;
}

/** What API Gateway knows about the route and the API. */
export interface HttpApiContext {
  readonly routeKey: string;
  readonly apiId: string;
  readonly requestId: string;
  /** Defaults to now. */
  readonly receivedAt?: Date;
}

/**
 * Media types HTTP APIs pass to the function as text; every other body (form posts included)
 * arrives base64-encoded with `isBase64Encoded: true`.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type.startsWith('text/') || /^application\/([\w.-]+\+)?(json|xml|javascript)$/.test(type);
}

/**
 * Builds the payload format 2.0 event of an HTTP API: header names lower-cased and repeated
 * headers joined with commas, cookies moved to `cookies`, query parameters decoded and joined
 * with commas, `body` omitted when empty.
 */
export function httpApiEvent(request: HttpRequestData, api: HttpApiContext): APIGatewayProxyEventV2 {
  const receivedAt = api.receivedAt ?? new Date();
  const queryStart = request.url.indexOf('?');
  const rawPath = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : request.url.slice(queryStart + 1);

  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [rawName, value] of request.headers) {
    const name = rawName.toLowerCase();
    if (name === 'cookie') cookies.push(...value.split(/;\s*/).filter(Boolean));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const domainName = headers.host ?? 'localhost';

  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }

  const hasBody = request.body.length > 0;
  const asText = isTextContentType(headers['content-type']);
  return {
    version: '2.0',
    routeKey: api.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: api.apiId,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method.toUpperCase(),
        path: rawPath,
        protocol: request.protocol ?? 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: api.requestId,
      routeKey: api.routeKey,
      stage: '$default',
      time: apiGatewayTime(receivedAt),
      timeEpoch: receivedAt.getTime(),
    },
    ...(hasBody ? { body: asText ? request.body.toString('utf8') : request.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !asText,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestContext.time` format: `12/Mar/2020:19:03:58 +0000`. */
export function apiGatewayTime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Where SQS records come from. */
export interface SqsSource {
  readonly queueArn: string;
  readonly region: string;
}

/**
 * Turns a received SQS message (requested with all system and message attributes) into a Lambda
 * SQS record: camel-cased fields, system attributes as strings, message attributes in Lambda's
 * `{stringValue, binaryValue (base64), stringListValues, binaryListValues, dataType}` shape.
 */
export function sqsRecord(message: Message, source: SqsSource): SQSRecord {
  if (!message.MessageId || !message.ReceiptHandle || message.Body === undefined || !message.MD5OfBody) {
    throw new Error('An SQS message needs MessageId, ReceiptHandle, Body and MD5OfBody');
  }
  const system = message.Attributes ?? {};
  const optional = (name: 'MessageGroupId' | 'MessageDeduplicationId' | 'SequenceNumber' | 'AWSTraceHeader') =>
    system[name] === undefined ? {} : { [name]: system[name] };
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body,
    attributes: {
      ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
      SentTimestamp: system.SentTimestamp ?? String(Date.now()),
      SenderId: system.SenderId ?? LOCAL_ACCOUNT_ID,
      ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...optional('SequenceNumber'),
      ...optional('MessageGroupId'),
      ...optional('MessageDeduplicationId'),
      ...optional('AWSTraceHeader'),
    },
    messageAttributes: lambdaMessageAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody,
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
}

function lambdaMessageAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    result[name] = {
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { binaryValue: base64(value.BinaryValue) }),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map(base64),
      dataType: value.DataType ?? 'String',
    };
  }
  return result;
}
