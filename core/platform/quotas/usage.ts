import * as z from 'zod/mini';
import { LANGUAGES, pickLanguage, translators } from '../i18n/index.js';
import type { ProcessResult, UpdateProcessor, ValidUpdate } from '../ingress/index.js';
import { defineJob, handle, type JobQueue, sealJobs } from '../jobs/index.js';
import type { Deliver } from '../telegram/index.js';
import type { TenantId } from '../tenants/index.js';
import { quotaMessages } from './catalog.js';
import type { QuotaMeter } from './meter.js';
import { usageReport } from './texts.js';

const quotaTexts = /* @__PURE__ */ translators([quotaMessages]);

/** An operator asked for their bot's usage: answered by the notify worker, which reads the meter. */
export const QuotaUsageJob = defineJob('quota.usage', 'notify', () =>
  z.object({ chatId: z.int(), lang: z.enum(LANGUAGES) }),
);

/**
 * `/usage` from one of the bot's operators, in their private chat with it: a platform command,
 * answered before the bot's own turn (the bot never sees it, so no bot needs to know its plan).
 * From anyone else, or anywhere else, it is the bot's as any text is.
 */
export function answerUsage(
  process: UpdateProcessor,
  deps: { readonly tenant: TenantId; readonly operators: readonly number[]; readonly queue: JobQueue },
): UpdateProcessor {
  const operators = new Set(deps.operators);
  return async (update: ValidUpdate): Promise<ProcessResult> => {
    const message = update.update.message as { text?: string; from?: { language_code?: string } } | undefined;
    const asked =
      update.kind === 'message' &&
      update.userId !== null &&
      update.chatId === update.userId &&
      operators.has(update.userId) &&
      /^\/usage(@\w+)?\s*$/.test(message?.text ?? '');
    if (!asked) return process(update);
    const chatId = update.chatId as number;
    const traceId = `u${update.updateId}`;
    await deps.queue.send(
      sealJobs(
        [
          {
            job: QuotaUsageJob,
            payload: { chatId, lang: pickLanguage(undefined, message?.from?.language_code) },
            chatId,
            userId: chatId,
          },
        ],
        { idPrefix: traceId, traceId, tenant: deps.tenant, now: new Date() },
      ),
    );
    return { duplicate: false };
  };
}

/** Answers `quota.usage`: the bot's use of each quota of its plan, as `/usage` shows it. */
export function quotaUsageHandler(deps: {
  readonly meter: QuotaMeter;
  readonly deliver: Deliver;
  readonly bot: string;
  readonly now?: () => number;
}) {
  return handle(QuotaUsageJob, async (job, log) => {
    const usage = await deps.meter.usage();
    const text = usageReport(quotaTexts(job.payload.lang), usage, { bot: deps.bot, now: (deps.now ?? Date.now)() });
    await deps.deliver(
      job.id,
      [{ method: 'sendMessage', params: { chat_id: job.payload.chatId, text, parse_mode: 'HTML' } }],
      log,
    );
  });
}
