import * as z from 'zod/mini';
import { describeError, TransientError, ValidationError } from '../../platform/errors.js';
import { escapeHtml } from '../../platform/i18n/index.js';
import type { Logger } from '../../platform/log.js';
import { type ChatGateway, TelegramForbiddenError, TelegramRejectedError } from '../../platform/telegram/index.js';

/** The states of a CloudWatch alarm. */
export const ALARM_STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

/**
 * The CloudWatch alarm notification SNS carries as the record's `Message` (JSON): the fields the
 * admin message shows. Other fields (account, ARNs, trigger) are accepted and ignored.
 */
export const AlarmMessageSchema = z.object({
  AlarmName: z.string().check(z.minLength(1), z.maxLength(255)),
  AlarmDescription: z.optional(z.nullable(z.string())),
  NewStateValue: z.enum(ALARM_STATES),
  OldStateValue: z.optional(z.enum(ALARM_STATES)),
  NewStateReason: z.string(),
  StateChangeTime: z.string().check(z.minLength(1)),
});
export type AlarmMessage = z.infer<typeof AlarmMessageSchema>;

const SnsEventSchema = z.object({ Records: z.array(z.unknown()) });
const SnsRecordSchema = z.object({
  EventSource: z.literal('aws:sns'),
  Sns: z.object({ MessageId: z.string().check(z.minLength(1)), Message: z.string() }),
});

/** An SNS record that is not a CloudWatch alarm notification; it is skipped, never retried. */
export class AlarmRecordInvalidError extends ValidationError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('alarm.record_invalid', message, options);
  }
}

/** Posting an alarm failed in a way a later attempt can fix (Telegram 429, 5xx, unreachable). */
export class AlarmPostFailedError extends TransientError {
  constructor(alarmName: string, cause: unknown) {
    super('alarm.post_failed', `Could not post alarm ${alarmName} to the admin chat`, {
      cause,
      ...(cause instanceof TransientError && cause.retryAfterSeconds !== undefined
        ? { retryAfterSeconds: cause.retryAfterSeconds }
        : {}),
    });
  }
}

/** One alarm notification read from an SNS record. */
export interface AlarmNotification {
  /** SNS message id: the correlation id of its log lines. */
  readonly messageId: string;
  readonly alarm: AlarmMessage;
}

/**
 * Reads one SNS record as a CloudWatch alarm notification. Throws `AlarmRecordInvalidError`
 * naming what is wrong (schema paths, never the payload) when it is not one.
 */
export function parseAlarmRecord(record: unknown): AlarmNotification {
  const envelope = SnsRecordSchema.safeParse(record);
  if (!envelope.success) {
    throw new AlarmRecordInvalidError(`Not an SNS record: ${issuesOf(envelope.error)}`, { cause: envelope.error });
  }
  const { MessageId: messageId, Message: text } = envelope.data.Sns;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AlarmRecordInvalidError(`SNS message ${messageId} is not JSON`, { cause: error });
  }
  const alarm = AlarmMessageSchema.safeParse(json);
  if (!alarm.success) {
    throw new AlarmRecordInvalidError(`SNS message ${messageId} is not a CloudWatch alarm: ${issuesOf(alarm.error)}`, {
      cause: alarm.error,
    });
  }
  return { messageId, alarm: alarm.data };
}

function issuesOf(error: { readonly issues: readonly { path: PropertyKey[]; message: string }[] }): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
}

const STATE_EMOJI: Readonly<Record<AlarmState, string>> = { ALARM: '🔴', OK: '✅', INSUFFICIENT_DATA: '⚪' };

/**
 * Budgets, in characters after escaping, of the free-text parts of a message. Together they keep
 * any alarm well under Telegram's 4,096-character limit, whatever CloudWatch puts in them.
 */
export const ALARM_TEXT_BUDGET = { name: 600, description: 600, reason: 2_000 } as const;

/**
 * The admin chat message for one alarm (Telegram HTML): state emoji, new state (and the old one),
 * alarm name, description, CloudWatch's reason and the time of the change. Every value is escaped,
 * and long ones are cut to `ALARM_TEXT_BUDGET`.
 */
export function formatAlarm(alarm: AlarmMessage): string {
  const was = alarm.OldStateValue ? ` (was ${escapeHtml(alarm.OldStateValue)})` : '';
  const lines = [
    `${STATE_EMOJI[alarm.NewStateValue]} <b>${escapeHtml(alarm.NewStateValue)}</b>${was}`,
    `<code>${escapedWithin(alarm.AlarmName, ALARM_TEXT_BUDGET.name)}</code>`,
  ];
  if (alarm.AlarmDescription)
    lines.push(`<i>${escapedWithin(alarm.AlarmDescription, ALARM_TEXT_BUDGET.description)}</i>`);
  if (alarm.NewStateReason) lines.push(escapedWithin(alarm.NewStateReason, ALARM_TEXT_BUDGET.reason));
  lines.push(`🕒 ${escapeHtml(displayTime(alarm.StateChangeTime))}`);
  return lines.join('\n');
}

/** `text` escaped, cut (with `…`) so the escaped result stays within `budget` characters; never splits an entity or a character. */
function escapedWithin(text: string, budget: number): string {
  const whole = escapeHtml(text);
  if (whole.length <= budget) return whole;
  let out = '';
  for (const char of text) {
    const escaped = escapeHtml(char);
    if (out.length + escaped.length > budget - 1) break;
    out += escaped;
  }
  return `${out}…`;
}

/** CloudWatch's `2024-05-04T12:34:56.789+0000` as `2024-05-04 12:34:56 UTC`; anything unparseable as given. */
function displayTime(value: string): string {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) return value.slice(0, 64);
  return `${time.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** What one invocation did. */
export interface AlarmNotifierResult {
  /** Alarms posted to the admin chat. */
  readonly posted: number;
  /** Records that were not alarm notifications (logged). */
  readonly skipped: number;
  /** Alarms Telegram refused for good, 400 or 403 (logged). */
  readonly rejected: number;
}

export interface AlarmNotifierDeps {
  readonly gateway: ChatGateway;
  /** The admin group or channel. */
  readonly adminChatId: number;
  readonly log: Logger;
}

/**
 * Posts the CloudWatch alarm notifications of an SNS event to the admin chat, one message per
 * alarm, in record order.
 *
 * Invariants:
 * - a record that is not an alarm notification is logged (`alarm.record_invalid`) and skipped; the
 *   other records are still posted, and an event with no records at all is logged, not thrown;
 * - Telegram refusing a message for good (400, 403: wrong chat id, bot removed from the group) is
 *   logged (`alarm.post_rejected`): retrying the same call cannot succeed;
 * - any other failure (429, 5xx, Telegram unreachable) stops the invocation with
 *   `AlarmPostFailedError`, so it fails and Lambda's asynchronous retries deliver it later.
 *   SNS hands a function one record per invocation, so a retry repeats no other alarm; were
 *   several records to arrive together, those posted before the failure would be posted again.
 */
export function createAlarmNotifier(deps: AlarmNotifierDeps) {
  const { gateway, adminChatId, log } = deps;
  return async (event: unknown): Promise<AlarmNotifierResult> => {
    const result = { posted: 0, skipped: 0, rejected: 0 };
    const parsed = SnsEventSchema.safeParse(event);
    if (!parsed.success) {
      log.error('alarm.event_invalid', { error: `Not an SNS event: ${issuesOf(parsed.error)}` });
      return result;
    }
    for (const [index, record] of parsed.data.Records.entries()) {
      let notification: AlarmNotification;
      try {
        notification = parseAlarmRecord(record);
      } catch (error) {
        log.error('alarm.record_invalid', { index, error: describeError(error) });
        result.skipped++;
        continue;
      }
      const { alarm } = notification;
      const fields = { correlationId: notification.messageId, alarmName: alarm.AlarmName, state: alarm.NewStateValue };
      try {
        await gateway.call({
          method: 'sendMessage',
          params: { chat_id: adminChatId, text: formatAlarm(alarm), parse_mode: 'HTML' },
        });
      } catch (error) {
        if (error instanceof TelegramRejectedError || error instanceof TelegramForbiddenError) {
          log.error('alarm.post_rejected', { ...fields, error: describeError(error) });
          result.rejected++;
          continue;
        }
        throw new AlarmPostFailedError(alarm.AlarmName, error);
      }
      log.info('alarm.posted', fields);
      result.posted++;
    }
    return result;
  };
}
