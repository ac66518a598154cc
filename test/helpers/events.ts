/**
 * Factories for the Lambda events and context our handlers receive: API Gateway HTTP API
 * (payload 2.0) requests, the Telegram webhook request in particular, and SQS batches.
 *
 * They are built by the same code the local runner uses (`local/lambda/events.ts`), so a handler
 * unit-tested with these sees exactly what it sees under `startLocalStack` (and on AWS).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../local/aws/common.js';
import { httpApiEvent, sqsRecord as sqsRecordOf } from '../../local/lambda/events.js';

/** An HTTP request to turn into an HTTP API event. */
export interface HttpEventSpec {
  /** `POST` by default. */
  method?: string;
  /** `/telegram` by default. */
  path?: string;
  /** Raw query string without `?` (`a=1&b=2`). */
  query?: string;
  /** Header names in any case; `content-type: application/json` is added when `body` is an object. */
  headers?: Record<string, string>;
  /** A string or bytes as sent, or an object sent as JSON. */
  body?: string | Uint8Array | object;
  /** `POST /telegram` by default. */
  routeKey?: string;
  sourceIp?: string;
  receivedAt?: Date;
}

/** An API Gateway HTTP API (payload 2.0) event for `spec`. */
export function httpEvent(spec: HttpEventSpec = {}): APIGatewayProxyEventV2 {
  const method = spec.method ?? 'POST';
  const path = spec.path ?? '/telegram';
  const isJsonObject = spec.body !== undefined && typeof spec.body === 'object' && !(spec.body instanceof Uint8Array);
  const body =
    spec.body === undefined
      ? Buffer.alloc(0)
      : typeof spec.body === 'string'
        ? Buffer.from(spec.body)
        : spec.body instanceof Uint8Array
          ? Buffer.from(spec.body)
          : Buffer.from(JSON.stringify(spec.body));
  const headers: Record<string, string> = {
    host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'user-agent': 'test-client',
    ...(isJsonObject ? { 'content-type': 'application/json' } : {}),
    ...(body.length > 0 ? { 'content-length': String(body.length) } : {}),
    ...spec.headers,
  };
  return httpApiEvent(
    {
      method,
      url: spec.query ? `${path}?${spec.query}` : path,
      headers: Object.entries(headers),
      body,
      sourceIp: spec.sourceIp ?? '91.108.6.1',
    },
    {
      routeKey: spec.routeKey ?? `${method} ${path}`,
      apiId: 'abc123',
      requestId: randomUUID(),
      ...(spec.receivedAt ? { receivedAt: spec.receivedAt } : {}),
    },
  );
}

/**
 * The request Telegram makes to the webhook: `POST /telegram` with the update as JSON and,
 * unless `secretToken` is `undefined`, the `X-Telegram-Bot-Api-Secret-Token` header.
 */
export function telegramWebhookEvent(update: object, secretToken: string | undefined): APIGatewayProxyEventV2 {
  return httpEvent({
    body: update,
    headers: secretToken === undefined ? {} : { 'X-Telegram-Bot-Api-Secret-Token': secretToken },
  });
}

/** One SQS message to put in a record. */
export interface SqsRecordSpec {
  /** A string body as sent, or an object sent as JSON. */
  body: string | object;
  messageId?: string;
  /** `ApproximateReceiveCount`; 1 by default. */
  receiveCount?: number;
  /** Makes it a FIFO record (with a deduplication id and a sequence number). */
  messageGroupId?: string;
  messageAttributes?: Record<string, MessageAttributeValue>;
  /** `arn:aws:sqs:us-east-1:000000000000:test-queue` by default. */
  queueArn?: string;
  sentAt?: Date;
}

let sequence = 0;
const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** A Lambda SQS record for `spec`. */
export function sqsRecord(spec: SqsRecordSpec): SQSRecord {
  const body = typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body);
  const sentAt = (spec.sentAt ?? new Date()).getTime();
  const messageId = spec.messageId ?? randomUUID();
  sequence += 1;
  const message: Message = {
    MessageId: messageId,
    ReceiptHandle: `receipt-${messageId}`,
    Body: body,
    MD5OfBody: md5(body),
    Attributes: {
      ApproximateReceiveCount: String(spec.receiveCount ?? 1),
      SentTimestamp: String(sentAt),
      SenderId: LOCAL_ACCOUNT_ID,
      ApproximateFirstReceiveTimestamp: String(sentAt + 1),
      ...(spec.messageGroupId
        ? {
            MessageGroupId: spec.messageGroupId,
            MessageDeduplicationId: messageId,
            SequenceNumber: String(sequence).padStart(20, '0'),
          }
        : {}),
    },
    ...(spec.messageAttributes ? { MessageAttributes: spec.messageAttributes } : {}),
  };
  return sqsRecordOf(message, {
    queueArn: spec.queueArn ?? `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:test-queue`,
    region: LOCAL_REGION,
  });
}

/** An SQS event with one record per spec (`sqsEvent([{ body: job }, { body: other, receiveCount: 3 }])`). */
export function sqsEvent(records: readonly SqsRecordSpec[]): SQSEvent {
  return { Records: records.map(sqsRecord) };
}

/** A Lambda context like the runtime's (`getRemainingTimeInMillis` counts down from `timeoutMs`). */
export function lambdaContext(
  overrides: { functionName?: string; timeoutMs?: number; memoryMb?: number } = {},
): Context {
  const functionName = overrides.functionName ?? 'test-function';
  const deadline = Date.now() + (overrides.timeoutMs ?? 30_000);
  const unsupported = (): never => {
    throw new Error('context.done/fail/succeed are not supported');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(overrides.memoryMb ?? 256),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
