import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import type { AlarmNotifierResult } from '../core/desk/admin/index.js';
import { composeAlarmNotifier } from './lib/compose-alarms.js';
import { alarmNotifierConfig } from './lib/config.js';
import { createLogging, logging } from './lib/observability.js';
import { environment } from './lib/runtime.js';

const config = alarmNotifierConfig(await environment());
const logs = createLogging('alarm-notifier', config.logLevel, [config.telegram.token]);
const notify = composeAlarmNotifier(config, logs.log);

/**
 * Subscriber of the alarm topic (stacks/Alarms.ts): posts each CloudWatch alarm to the admin chat.
 * Throws only when a retry can help (Telegram 429/5xx), so Lambda retries the invocation. Logger
 * only: it counts no metric, makes no AWS SDK call, and its one HTTP call carries the bot token.
 */
export const handler = middy<SNSEvent, AlarmNotifierResult>()
  .use(logging(logs))
  .handler((event) => notify(event));
