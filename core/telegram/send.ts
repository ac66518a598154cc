import { handle } from '../jobs/consumer.js';
import type { JobProgress } from '../jobs/progress.js';
import { type ChatGateway, TelegramForbiddenError, TelegramRejectedError } from './gateway.js';
import { TelegramSendJob } from './send-job.js';

/**
 * Executes `telegram.send` jobs: the calls in order, resuming after the last one recorded.
 * A call Telegram rejects (400) is logged and skipped, since retrying cannot fix it; a chat
 * that blocked the bot (403) ends the job; anything transient fails the job so SQS retries it.
 */
export function telegramSendHandler(deps: { gateway: ChatGateway; progress: JobProgress }) {
  return handle(TelegramSendJob, async (job, log) => {
    const { calls } = job.payload;
    const start = await deps.progress.done(job.id);
    if (start > 0) log.info('telegram.resumed', { from: start, of: calls.length });
    for (let index = start; index < calls.length; index++) {
      const call = calls[index]!;
      try {
        await deps.gateway.call(call);
      } catch (error) {
        if (error instanceof TelegramForbiddenError) {
          log.warn('telegram.forbidden', { method: call.method, chatId: job.chatId });
          await deps.progress.record(job.id, calls.length);
          return;
        }
        if (!(error instanceof TelegramRejectedError)) throw error;
        log.warn('telegram.call_dropped', { method: call.method, reason: error.message });
      }
      await deps.progress.record(job.id, index + 1);
    }
  });
}
