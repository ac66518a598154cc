import { describe, expect, it } from 'vitest';
import { apiGatewayTime, isTextContentType } from '../../../local/lambda/events.js';
import { httpEvent, lambdaContext, sqsEvent, telegramWebhookEvent } from '../../helpers/events.js';

describe('isTextContentType', () => {
  it('passes text, JSON, XML and JavaScript as text and everything else (form posts included) as binary', () => {
    for (const type of ['text/plain', 'application/json; charset=utf-8', 'application/ld+json', 'application/xml']) {
      expect(isTextContentType(type)).toBe(true);
    }
    for (const type of ['application/x-www-form-urlencoded', 'application/octet-stream', 'image/png', undefined]) {
      expect(isTextContentType(type)).toBe(false);
    }
  });
});

describe('apiGatewayTime', () => {
  it('formats a date as API Gateway does in requestContext.time', () => {
    expect(apiGatewayTime(new Date(Date.UTC(2020, 2, 12, 19, 3, 58)))).toBe('12/Mar/2020:19:03:58 +0000');
  });
});

describe('test event factories', () => {
  it('builds the Telegram webhook request with the update as JSON and the secret-token header', () => {
    const event = telegramWebhookEvent({ update_id: 7 }, 'secret');

    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /telegram',
      rawPath: '/telegram',
      body: '{"update_id":7}',
      isBase64Encoded: false,
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'secret' },
      requestContext: { http: { method: 'POST', path: '/telegram' }, stage: '$default' },
    });
    expect(telegramWebhookEvent({}, undefined).headers['x-telegram-bot-api-secret-token']).toBeUndefined();
  });

  it('base64-encodes a binary body like the HTTP API does', () => {
    const event = httpEvent({
      body: new Uint8Array([255, 0]),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(event).toMatchObject({ isBase64Encoded: true, body: '/wA=' });
  });

  it('builds SQS records with string attributes, and FIFO ones when a group is given', () => {
    const [standard, fifo] = sqsEvent([
      { body: { a: 1 } },
      { body: 'x', messageGroupId: 'g', receiveCount: 3 },
    ]).Records;

    expect(standard).toMatchObject({
      body: '{"a":1}',
      eventSource: 'aws:sqs',
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(standard?.attributes.MessageGroupId).toBeUndefined();
    expect(fifo?.attributes).toMatchObject({ ApproximateReceiveCount: '3', MessageGroupId: 'g' });
    expect(fifo?.attributes.SequenceNumber).toMatch(/^\d{20}$/);
  });

  it('gives a context whose remaining time counts down from the timeout', () => {
    const context = lambdaContext({ functionName: 'fn', timeoutMs: 1_000 });
    expect(context.functionName).toBe('fn');
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(900);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(1_000);
  });
});
