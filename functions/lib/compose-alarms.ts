import { createAlarmNotifier } from '../../core/desk/admin/index.js';
import type { Logger } from '../../core/platform/log.js';
import { HttpChatGateway } from '../../core/platform/telegram/index.js';
import { ALARM_SETTINGS } from '../../stacks/manifest.js';
import type { AlarmNotifierConfig } from './config.js';

/**
 * The alarm notifier's object graph: the Bot API client and the admin chat, nothing else (no
 * table, no queue, no SDK client). One Bot API call may use half the function timeout, leaving
 * the rest for the failure to be reported so Lambda retries the invocation.
 */
export function composeAlarmNotifier(config: AlarmNotifierConfig, log: Logger) {
  const gateway = new HttpChatGateway({
    apiRoot: config.telegram.apiRoot,
    token: config.telegram.token,
    timeoutMs: (ALARM_SETTINGS.notifier.timeoutSeconds * 1000) / 2,
  });
  return createAlarmNotifier({ gateway, adminChatId: config.adminChatId, log });
}
