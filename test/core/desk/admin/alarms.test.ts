import { describe, expect, it } from 'vitest';
import {
  ALARM_TEXT_BUDGET,
  AlarmMessageSchema,
  AlarmPostFailedError,
  AlarmRecordInvalidError,
  createAlarmNotifier,
  formatAlarm,
  parseAlarmRecord,
} from '../../../../core/desk/admin/alarms.js';
import { TransientError } from '../../../../core/platform/errors.js';
import { TELEGRAM_LIMITS } from '../../../../core/platform/settings.js';
import type { TelegramCall } from '../../../../core/platform/telegram/calls.js';
import {
  type ChatGateway,
  TelegramForbiddenError,
  TelegramRateLimitedError,
  TelegramRejectedError,
} from '../../../../core/platform/telegram/gateway.js';
import { parseHtml } from '../../../../local/telegram/index.js';
import { type AlarmSpec, alarmNotification, snsEvent, snsRecord } from '../../../helpers/alarm-events.js';
import { memoryLogger } from '../../../helpers/fakes.js';

const ADMIN_CHAT = -100_42;

const alarm = (spec: AlarmSpec = {}) => AlarmMessageSchema.parse(alarmNotification(spec));

/** A ChatGateway fake: records the calls it accepts, and fails the n-th call with `fail(n)` when given. */
function gateway(fail: (n: number) => Error | undefined = () => undefined): ChatGateway & { made: TelegramCall[] } {
  const made: TelegramCall[] = [];
  let n = 0;
  return {
    made,
    async call(call) {
      const error = fail(n++);
      if (error) throw error;
      made.push(call);
      return { message_id: made.length };
    },
  };
}

describe('parseAlarmRecord', () => {
  it('reads the alarm of an SNS record carrying a CloudWatch notification', () => {
    const record = snsRecord(alarmNotification({ name: 'a-1', state: 'ALARM', oldState: 'OK' }), 'mid-1');
    const { messageId, alarm: parsed } = parseAlarmRecord(record);
    expect(messageId).toBe('mid-1');
    expect(parsed).toMatchObject({ AlarmName: 'a-1', NewStateValue: 'ALARM', OldStateValue: 'OK' });
  });

  it('accepts a notification with a null description', () => {
    expect(parseAlarmRecord(snsRecord(alarmNotification({ description: null }))).alarm.AlarmDescription).toBeNull();
  });

  it('rejects a record that is not from SNS', () => {
    const sqsLike = { messageId: 'm', body: JSON.stringify(alarmNotification()), eventSource: 'aws:sqs' };
    const error = catchError(() => parseAlarmRecord(sqsLike));
    expect(error).toBeInstanceOf(AlarmRecordInvalidError);
    expect((error as AlarmRecordInvalidError).code).toBe('alarm.record_invalid');
    expect(String(error)).toContain('Not an SNS record');
  });

  it('rejects a message that is not JSON, naming the SNS message id', () => {
    const error = catchError(() => parseAlarmRecord(snsRecord('ALARM! {not json', 'mid-2')));
    expect(error).toBeInstanceOf(AlarmRecordInvalidError);
    expect(String(error)).toContain('mid-2');
  });

  it.each([
    ['no alarm name', { AlarmName: undefined }],
    ['an empty alarm name', { AlarmName: '' }],
    ['an unknown state', { NewStateValue: 'ON_FIRE' }],
    ['no reason', { NewStateReason: undefined }],
    ['no time', { StateChangeTime: undefined }],
  ])('rejects a notification with %s, naming the field but not echoing values', (_, change) => {
    const message = { ...alarmNotification({ reason: 'SECRET-ISH-VALUE' }), ...change };
    const error = catchError(() => parseAlarmRecord(snsRecord(message)));
    expect(error).toBeInstanceOf(AlarmRecordInvalidError);
    expect(String(error)).toMatch(/AlarmName|NewStateValue|NewStateReason|StateChangeTime/);
    expect(String(error)).not.toContain('SECRET-ISH-VALUE');
  });
});

describe('formatAlarm', () => {
  it('shows the state emoji, new and old state, name, description, reason and time in UTC', () => {
    const text = formatAlarm(
      alarm({ name: 'prod-x-rpc-dlq', state: 'ALARM', oldState: 'OK', reason: 'Threshold Crossed' }),
    );
    expect(text.split('\n')).toEqual([
      '🔴 <b>ALARM</b> (was OK)',
      '<code>prod-x-rpc-dlq</code>',
      '<i>The rpc DLQ holds messages.</i>',
      'Threshold Crossed',
      '🕒 2024-05-04 12:34:56 UTC',
    ]);
  });

  it.each([
    ['OK', '✅'],
    ['INSUFFICIENT_DATA', '⚪'],
  ] as const)('marks %s with %s', (state, emoji) => {
    expect(formatAlarm(alarm({ state, oldState: 'ALARM' })).startsWith(`${emoji} <b>${state}</b> (was ALARM)`)).toBe(
      true,
    );
  });

  it('leaves out a missing description', () => {
    expect(formatAlarm(alarm({ description: null }))).not.toContain('<i>');
  });

  it('escapes every value, so Telegram parses exactly the tags we wrote', () => {
    const text = formatAlarm(
      alarm({ name: 'a<b>&"c', description: '<script>x</script>', reason: 'value > 3 & < 5 "quoted"' }),
    );
    expect(text).toContain('<code>a&lt;b&gt;&amp;&quot;c</code>');
    expect(text).toContain('<i>&lt;script&gt;x&lt;/script&gt;</i>');
    expect(text).toContain('value &gt; 3 &amp; &lt; 5 &quot;quoted&quot;');
    const parsed = parseHtml(text);
    expect(parsed.text).toContain('a<b>&"c');
    expect(parsed.text).toContain('value > 3 & < 5 "quoted"');
    expect(parsed.entities.map((e) => e.type).sort()).toEqual(['bold', 'code', 'italic']);
  });

  it('shows a time it cannot parse as given (escaped)', () => {
    expect(formatAlarm(alarm({ time: 'yesterday <noon>' }))).toContain('🕒 yesterday &lt;noon&gt;');
  });

  it('cuts long values within their budget without splitting an entity, and stays under the Telegram limit', () => {
    const text = formatAlarm(
      alarm({ name: '"'.repeat(255), description: '&'.repeat(5_000), reason: `${'<'.repeat(4_999)}😀` }),
    );
    const [, name, description, reason] = text.split('\n');
    expect(name!.length).toBeLessThanOrEqual(ALARM_TEXT_BUDGET.name + '<code></code>'.length);
    expect(description!.length).toBeLessThanOrEqual(ALARM_TEXT_BUDGET.description + '<i></i>'.length);
    expect(reason!.length).toBeLessThanOrEqual(ALARM_TEXT_BUDGET.reason);
    expect(reason!.endsWith('&lt;…')).toBe(true);
    expect(text.length).toBeLessThan(TELEGRAM_LIMITS.maxTextLength);
    // Still valid HTML: no entity was cut in half.
    expect(() => parseHtml(text)).not.toThrow();
  });

  it('keeps a value that fits its budget whole', () => {
    const reason = 'x'.repeat(ALARM_TEXT_BUDGET.reason);
    expect(formatAlarm(alarm({ reason }))).toContain(`\n${reason}\n`);
  });
});

describe('createAlarmNotifier', () => {
  it('posts one HTML message per alarm to the admin chat, in record order', async () => {
    const gw = gateway();
    const log = memoryLogger();
    const notify = createAlarmNotifier({ gateway: gw, adminChatId: ADMIN_CHAT, log });
    const first = alarm({ name: 'first' });
    const result = await notify(
      snsEvent(
        snsRecord(alarmNotification({ name: 'first' })),
        snsRecord(alarmNotification({ name: 'second', state: 'OK' })),
      ),
    );
    expect(result).toEqual({ posted: 2, skipped: 0, rejected: 0 });
    expect(gw.made).toEqual([
      { method: 'sendMessage', params: { chat_id: ADMIN_CHAT, text: formatAlarm(first), parse_mode: 'HTML' } },
      {
        method: 'sendMessage',
        params: { chat_id: ADMIN_CHAT, text: formatAlarm(alarm({ name: 'second', state: 'OK' })), parse_mode: 'HTML' },
      },
    ]);
    expect(log.lines.filter((l) => l.event === 'alarm.posted').map((l) => l.alarmName)).toEqual(['first', 'second']);
  });

  it('logs and skips a malformed record, and still posts the others', async () => {
    const gw = gateway();
    const log = memoryLogger();
    const notify = createAlarmNotifier({ gateway: gw, adminChatId: ADMIN_CHAT, log });
    const result = await notify(
      snsEvent(
        snsRecord(alarmNotification({ name: 'before' })),
        snsRecord('not json'),
        snsRecord({ hello: 'world' }),
        snsRecord(alarmNotification({ name: 'after' })),
      ),
    );
    expect(result).toEqual({ posted: 2, skipped: 2, rejected: 0 });
    expect(gw.made.map((c) => String(c.params.text).split('\n')[1])).toEqual([
      '<code>before</code>',
      '<code>after</code>',
    ]);
    const invalid = log.lines.filter((l) => l.event === 'alarm.record_invalid');
    expect(invalid.map((l) => l.index)).toEqual([1, 2]);
    expect(invalid.every((l) => l.level === 'error')).toBe(true);
    expect(invalid.map((l) => (l.error as { code: string }).code)).toEqual([
      'alarm.record_invalid',
      'alarm.record_invalid',
    ]);
  });

  it('logs an event that is not an SNS event at all, and throws nothing (a retry cannot fix it)', async () => {
    const gw = gateway();
    const log = memoryLogger();
    const notify = createAlarmNotifier({ gateway: gw, adminChatId: ADMIN_CHAT, log });
    expect(await notify({ detail: 'not sns' })).toEqual({ posted: 0, skipped: 0, rejected: 0 });
    expect(log.lines.map((l) => l.event)).toEqual(['alarm.event_invalid']);
    expect(gw.made).toEqual([]);
  });

  it.each([
    ['400', new TelegramRejectedError(400, 'Bad Request: chat not found')],
    ['403', new TelegramForbiddenError('Forbidden: bot was kicked from the group chat')],
  ])('logs a %s from Telegram and goes on with the next alarm', async (_, refusal) => {
    const gw = gateway((n) => (n === 0 ? refusal : undefined));
    const log = memoryLogger();
    const notify = createAlarmNotifier({ gateway: gw, adminChatId: ADMIN_CHAT, log });
    const result = await notify(
      snsEvent(snsRecord(alarmNotification({ name: 'a' })), snsRecord(alarmNotification({ name: 'b' }))),
    );
    expect(result).toEqual({ posted: 1, skipped: 0, rejected: 1 });
    const rejected = log.lines.find((l) => l.event === 'alarm.post_rejected');
    expect(rejected).toMatchObject({ level: 'error', alarmName: 'a', error: { code: refusal.code } });
  });

  it('fails the invocation on a 429, carrying retry_after, and posts nothing after it', async () => {
    const gw = gateway((n) =>
      n === 1 ? new TelegramRateLimitedError('Too Many Requests: retry after 9', 9) : undefined,
    );
    const notify = createAlarmNotifier({ gateway: gw, adminChatId: ADMIN_CHAT, log: memoryLogger() });
    const error = await notify(
      snsEvent(
        snsRecord(alarmNotification({ name: 'a' })),
        snsRecord(alarmNotification({ name: 'b' })),
        snsRecord(alarmNotification({ name: 'c' })),
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlarmPostFailedError);
    expect(error).toMatchObject({ code: 'alarm.post_failed', retryAfterSeconds: 9 });
    expect((error as Error).cause).toBeInstanceOf(TelegramRateLimitedError);
    expect(String(error)).toContain(' b ');
    expect(gw.made).toHaveLength(1);
  });

  it('fails the invocation when Telegram answers 5xx or cannot be reached', async () => {
    for (const failure of [
      new TransientError('telegram.unavailable', 'Telegram sendMessage answered 502'),
      new TransientError('telegram.unreachable', 'Telegram sendMessage failed: TimeoutError'),
    ]) {
      const notify = createAlarmNotifier({
        gateway: gateway(() => failure),
        adminChatId: ADMIN_CHAT,
        log: memoryLogger(),
      });
      const error = await notify(snsEvent(snsRecord(alarmNotification()))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AlarmPostFailedError);
      expect((error as Error).cause).toBe(failure);
    }
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
