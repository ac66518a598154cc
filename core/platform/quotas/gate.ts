import { pickLanguage, translators } from '../i18n/index.js';
import type { ProcessResult, UpdateProcessor, ValidUpdate } from '../ingress/index.js';
import type { JobQueue } from '../jobs/index.js';
import type { Logger } from '../log.js';
import type { TenantId } from '../tenants/index.js';
import { quotaMessages } from './catalog.js';
import { chatNotice, OPERATOR_NOTICE, type QuotaMeter } from './meter.js';
import { tellOperators } from './notice.js';
import { overQuotaAnswer } from './over-quota.js';
import type { Plan } from './plans.js';
import { overQuotaUserText } from './texts.js';

const quotaTexts = /* @__PURE__ */ translators([quotaMessages]);

export interface UpdateQuotaDeps {
  readonly tenant: TenantId;
  /** The bot's username, as its operators know it. */
  readonly bot: string;
  readonly plan: Plan;
  readonly meter: QuotaMeter;
  /** Who is told, once a window, that the bot is over its plan (in the bot's own chat with them). */
  readonly operators: readonly number[];
  /** For the operators' notice (the notify queue). */
  readonly queue: JobQueue;
  readonly log: Logger;
  readonly now?: () => number;
}

/**
 * Counts each update against the tenant's `updatesPerHour` before anything else reads or writes
 * for it. Within the plan the update runs as usual. Over it, the update is not run: a message gets
 * one polite answer per chat and window (in the webhook response), a button press a polite toast,
 * anything else nothing; the operators are told once per window through the notify queue. Nothing
 * of another tenant is touched either way: the meter's items are the tenant's own.
 */
export function meterUpdates(process: UpdateProcessor, deps: UpdateQuotaDeps): UpdateProcessor {
  const now = deps.now ?? Date.now;
  return async (update: ValidUpdate): Promise<ProcessResult> => {
    const consumed = await deps.meter.consume('updatesPerHour');
    if (consumed.ok) return process(update);
    const at = now();
    const from = senderOf(update);
    const t = quotaTexts(pickLanguage(undefined, from?.language_code));
    const answer = overQuotaAnswer(
      update.kind === 'callback_query'
        ? { kind: 'callback' }
        : update.kind === 'message' && update.chatId !== null
          ? { kind: 'message', chat: update.chatId }
          : { kind: 'other' },
      consumed,
      at,
    );
    const claimed = new Set(await deps.meter.claimNotices('updatesPerHour', answer.claims));
    deps.log.warn('quota.over', { metric: 'updatesPerHour', used: consumed.used, limit: consumed.limit });
    if (claimed.has(OPERATOR_NOTICE)) {
      const idPrefix = `quota.${update.updateId}`;
      await tellOperators(deps, { metric: 'updatesPerHour', resetsAt: consumed.resetsAt, at, idPrefix });
    }
    const polite = overQuotaUserText(t, answer.retryAfterSeconds);
    if (answer.toast) {
      const id = (update.update.callback_query as { id: string }).id;
      return {
        duplicate: false,
        reply: { method: 'answerCallbackQuery', params: { callback_query_id: id, text: polite } },
      };
    }
    if (update.chatId !== null && claimed.has(chatNotice(update.chatId))) {
      return { duplicate: false, reply: { method: 'sendMessage', params: { chat_id: update.chatId, text: polite } } };
    }
    return { duplicate: false };
  };
}

function senderOf(update: ValidUpdate): { language_code?: string } | undefined {
  const payload = update.update[update.kind] as { from?: { language_code?: string } } | undefined;
  return payload?.from;
}
