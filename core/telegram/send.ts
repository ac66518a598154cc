import { type AdminEvent, AdminEventJob } from '../admin/events.js';
import { escapeHtml } from '../i18n.js';
import { handle } from '../jobs/consumer.js';
import type { JobEnvelope } from '../jobs/envelope.js';
import type { JobProgress } from '../jobs/progress.js';
import type { Logger } from '../log.js';
import type { TelegramCall } from './calls.js';
import { type ChatGateway, TelegramForbiddenError, TelegramRejectedError } from './gateway.js';
import { TelegramSendJob } from './send-job.js';

export interface SendDeps {
  gateway: ChatGateway;
  progress: JobProgress;
}

/**
 * Makes a job's calls in order, resuming after the last one recorded. A call Telegram rejects
 * (400) is logged and skipped, since retrying cannot fix it; a chat that blocked the bot (403)
 * ends the job; anything transient fails the job so SQS retries it.
 */
async function deliver(deps: SendDeps, job: JobEnvelope, calls: readonly TelegramCall[], log: Logger): Promise<void> {
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
}

/** `telegram.send`: the calls a producer asked for, in order, exactly as given. */
export function telegramSendHandler(deps: SendDeps) {
  return handle(TelegramSendJob, (job, log) => deliver(deps, job, job.payload.calls, log));
}

const TITLES: Record<AdminEvent['kind'], string> = { 'deposit.found': '💰 Deposit found' };

/** An admin event as one HTML message: a title and its facts, every value escaped. */
export function formatAdminEvent(event: AdminEvent): string {
  const facts = event.facts.map(([name, value]) => `${escapeHtml(name)}: <code>${escapeHtml(value)}</code>`);
  return [`<b>${TITLES[event.kind]}</b>`, ...facts].join('\n');
}

/**
 * `admin.event`: posts the event to the admin chat. (One message per event for now; digests
 * that batch events per window come with the notifications work.)
 */
export function adminEventHandler(deps: SendDeps & { adminChatId: number }) {
  return handle(AdminEventJob, (job, log) =>
    deliver(
      deps,
      job,
      [
        {
          method: 'sendMessage',
          params: { chat_id: deps.adminChatId, text: formatAdminEvent(job.payload), parse_mode: 'HTML' },
        },
      ],
      log,
    ),
  );
}
