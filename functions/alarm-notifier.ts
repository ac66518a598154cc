import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import type { AlarmNotifierResult } from '../core/desk/admin/alarms.js';
import { composeAlarmNotifier } from './lib/compose-alarms.js';
import { alarmNotifierConfig } from './lib/config.js';
import { environment, functionLogger } from './lib/runtime.js';

const config = alarmNotifierConfig(await environment());
const notify = composeAlarmNotifier(config, functionLogger('alarm-notifier', config.logLevel, [config.telegram.token]));

/**
 * Subscriber of the alarm topic (stacks/Alarms.ts): posts each CloudWatch alarm to the admin chat.
 * Throws only when a retry can help (Telegram 429/5xx), so Lambda retries the invocation.
 */
export const handler = middy<SNSEvent, AlarmNotifierResult>().handler((event) => notify(event));
