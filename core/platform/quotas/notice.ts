import { translators } from '../i18n/index.js';
import { type JobQueue, sealJobs } from '../jobs/index.js';
import { type TelegramCall, TelegramSendJob } from '../telegram/index.js';
import type { TenantId } from '../tenants/index.js';
import { quotaMessages } from './catalog.js';
import type { Metric, Plan } from './plans.js';
import { overQuotaOperatorText } from './texts.js';

const quotaTexts = /* @__PURE__ */ translators([quotaMessages]);

/** Who tells a bot's operators that it reached a quota, and how. */
export interface OperatorNoticeDeps {
  readonly tenant: TenantId;
  /** The bot's username, as its operators know it. */
  readonly bot: string;
  readonly plan: Plan;
  /** Who is told (in the bot's own chat with each). */
  readonly operators: readonly number[];
  /** The notify queue. */
  readonly queue: JobQueue;
}

/**
 * The operators' notice that the bot reached `metric`'s limit, in English and Chinese, sent by the
 * bot itself to each operator's chat with it through the notify queue. The caller sends it once a
 * window (`QuotaMeter.claimNotices` with `OPERATOR_NOTICE`); `idPrefix` names its jobs.
 */
export async function tellOperators(
  deps: OperatorNoticeDeps,
  notice: { readonly metric: Metric; readonly resetsAt?: number; readonly at: number; readonly idPrefix: string },
): Promise<void> {
  if (deps.operators.length === 0) return;
  const text = (['en', 'zh'] as const)
    .map((language) =>
      overQuotaOperatorText(quotaTexts(language), {
        bot: deps.bot,
        plan: deps.plan,
        metric: notice.metric,
        ...(notice.resetsAt !== undefined && { resetsAt: notice.resetsAt }),
        now: notice.at,
      }),
    )
    .join('\n\n');
  const drafts = deps.operators.map((operator) => {
    const call: TelegramCall = { method: 'sendMessage', params: { chat_id: operator, parse_mode: 'HTML', text } };
    return { job: TelegramSendJob, payload: { calls: [call] }, chatId: operator, userId: operator };
  });
  await deps.queue.send(
    sealJobs(drafts, {
      idPrefix: notice.idPrefix,
      traceId: notice.idPrefix,
      tenant: deps.tenant,
      now: new Date(notice.at),
    }),
  );
}
