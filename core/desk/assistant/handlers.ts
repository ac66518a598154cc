import type { JobTranslate } from '../../desk/i18n.js';
import { AppError, PoisonJobError } from '../../platform/errors.js';
import {
  handle,
  type JobDraft,
  type JobEnvelope,
  type JobHandler,
  type JobQueue,
  sealJobs,
} from '../../platform/jobs/index.js';
import type { Logger } from '../../platform/log.js';
import { quotaUserText, type TenantQuota } from '../../platform/quotas/index.js';
import type { TelegramCall } from '../../platform/telegram/index.js';
import { notice, splitText, TelegramSendJob } from '../../platform/telegram/index.js';
import { utcDay } from '../../platform/time.js';
import { adminEvent } from '../admin/index.js';
import { jobTranslator } from '../i18n.js';
import type { AiSettings } from '../settings.js';
import type { AssistantClient } from './client.js';
import { AiRateLimitedError, AiRejectedError, AiTimeoutError, AiUnavailableError } from './errors.js';
import { appendTurn, type HistoryStore, historyMessages } from './history.js';
import { AiReplyJob, AiResetJob } from './jobs.js';
import { markdownToTelegramHtml } from './markup.js';
import type { ChatAnswer, ChatMessage } from './model.js';
import { systemPrompt } from './prompt.js';
import type { QuotaStore } from './quota.js';
import { findSecret, redactSecrets } from './secrets.js';

export interface AssistantDeps {
  history: HistoryStore;
  /** Each user's questions a day. */
  quota: QuotaStore;
  /** The bot's plan: every question answered counts against its `assistantQuestionsPerDay`. */
  botQuota: TenantQuota;
  /** The model behind its retry policy and this container's pacer (`./client.ts`). */
  client: AssistantClient;
  /** The notify queue: answers, notices, "typing…" actions, admin events. Nothing else. */
  queue: JobQueue;
  settings: AiSettings;
  now?: () => number;
}

/** Calls per `telegram.send` job (its schema's maximum). */
const CALLS_PER_JOB = 50;

/**
 * The assistant: `ai.reply` and `ai.reset` on the ai queue. Everything it does goes out as
 * `telegram.send` jobs on the notify queue (and an admin event when the provider refuses our
 * key), so it cannot move funds or act as an admin whatever the model writes.
 */
export function assistantHandlers(deps: AssistantDeps): JobHandler[] {
  return [replyHandler(deps), resetHandler(deps)];
}

/** The notify jobs of one step of a job, with ids `<job id>.<step>.<n>`: a redelivery repeats the same ids. */
function sender(deps: AssistantDeps, job: JobEnvelope) {
  const now = deps.now ?? Date.now;
  return (step: string, drafts: readonly JobDraft[]) =>
    deps.queue.send(
      sealJobs(drafts, {
        idPrefix: `${job.id}.${step}`,
        traceId: job.traceId,
        tenant: job.tenant,
        now: new Date(now()),
      }),
    );
}

function chatOf(job: JobEnvelope): { chatId: number; userId: number } {
  if (job.chatId === null || job.userId === null) {
    throw new PoisonJobError('ai.no_chat', `${job.type} needs the chat and the user it answers`);
  }
  return { chatId: job.chatId, userId: job.userId };
}

/**
 * `ai.reply`: answers one question in the user's private chat.
 *
 * 1. A redelivered job whose answer is already in the conversation sends that answer again (same
 *    notify ids, so the notify side drops it if it went out): the model is asked once per answer
 *    that reached the memory.
 * 2. A message that looks like a secret never reaches the model (the webhook already deleted it).
 * 3. The question is counted against the user's day, then against the bot's plan (each once per job
 *    id); over either the user is told so (politely, the plan unnamed), and a question the plan
 *    refused is given back to the user's day. The plan's refusal tells the operators, once a day.
 * 4. The model gets the system prompt, the kept turns and the question (cut to `maxQuestionChars`),
 *    while "typing…" is shown; the client retries 429s, 5xx and timeouts until the answer's deadline.
 *    If the provider still fails, the question is given back to the user's day (the bot's plan
 *    keeps it: the provider was asked) and the user is told in plain words; the job is done, so
 *    nothing is retried forever.
 * 5. The answer (secret-looking tokens hidden) is recorded in the conversation first, then sent:
 *    Markdown turned into Telegram HTML, split at 4,096 characters. Its finish reason and token
 *    usage go on the job's `job.done` line.
 */
function replyHandler(deps: AssistantDeps) {
  const { settings } = deps;
  const now = deps.now ?? Date.now;
  return handle(AiReplyJob, async (job, log) => {
    const { chatId, userId } = chatOf(job);
    const t = jobTranslator(job.payload.lang);
    const send = sender(deps, job);
    const conversation = await deps.history.load(userId);
    const recorded = conversation.turns.find((turn) => turn.job === job.id);
    if (recorded) return send('answer', answerJobs(chatId, userId, renderAnswer(recorded.answer)));

    const secret = findSecret(job.payload.text);
    if (secret) return send('secret', [notice(chatId, userId, t('ai.secret', { kind: t(`ai.secret.${secret}`) }))]);

    const day = utcDay(Date.parse(job.createdAt));
    const quota = await deps.quota.take(userId, day, job.id, settings.dailyQuestionsPerUser);
    if (!quota.ok) {
      log.info('ai.quota_exhausted', { used: quota.used });
      return send('quota', [notice(chatId, userId, t('ai.quota', { limit: settings.dailyQuestionsPerUser }))]);
    }
    const planned = await deps.botQuota.count('assistantQuestionsPerDay', job.id);
    if (!planned.ok) {
      await deps.quota.giveBack(userId, day, job.id);
      return send('plan', [notice(chatId, userId, quotaUserText(job.payload.lang, planned.refusal, now()))]);
    }

    const question = job.payload.text.slice(0, settings.maxQuestionChars);
    const messages: ChatMessage[] = [
      { role: 'system', content: systemPrompt(job.payload.lang) },
      ...historyMessages(conversation.turns),
      { role: 'user', content: question },
    ];
    const typing = showTyping(deps, job, chatId, userId, log);
    let answer: ChatAnswer;
    try {
      answer = await deps.client.ask({
        messages,
        maxTokens: settings.maxAnswerTokens,
        deadline: now() + settings.answerDeadlineSeconds * 1000,
      });
    } catch (error) {
      await typing.stop();
      const failure = providerFailure(error);
      if (!failure) throw error;
      log.warn('ai.provider_failed', { code: (error as AppError).code });
      await deps.quota.giveBack(userId, day, job.id);
      const drafts = [notice(chatId, userId, t(failure))];
      if (error instanceof AiRejectedError) {
        log.error('ai.provider_rejected', { status: error.status });
        drafts.push(providerRejected(error.status));
      }
      return send('failed', drafts);
    }
    await typing.stop();
    // On the consumer's `job.done` line, not a line of its own (key names clear of the log's secret pattern).
    const answered = {
      finishReason: answer.finishReason,
      ...(answer.usage && { usage: { prompt: answer.usage.promptTokens, completion: answer.usage.completionTokens } }),
    };

    const text = redactSecrets(answer.text).trim();
    if (text === '') {
      await send('empty', [notice(chatId, userId, t('ai.empty'))]);
      return answered;
    }
    const turns = appendTurn(conversation.turns, { job: job.id, at: now(), question, answer: text }, settings.history);
    await deps.history.save(userId, turns, conversation.version);
    await send(
      'answer',
      answerJobs(chatId, userId, renderAnswer(text, answer.finishReason === 'length' ? t : undefined)),
    );
    return answered;
  });
}

/** What to tell the user when the provider could not answer; undefined for errors that are not the provider's. */
function providerFailure(error: unknown): 'ai.busy' | 'ai.unavailable' | undefined {
  if (error instanceof AiRateLimitedError) return 'ai.busy';
  if (error instanceof AiUnavailableError || error instanceof AiTimeoutError || error instanceof AiRejectedError) {
    return 'ai.unavailable';
  }
  return undefined;
}

/** Admins hear when the provider refuses our requests: a wrong key or model that only they can fix. */
function providerRejected(status: number): JobDraft {
  return adminEvent({
    kind: 'error',
    userId: null,
    facts: [
      ['where', 'assistant'],
      ['code', 'ai.rejected'],
      ['status', String(status)],
      ['check', 'AI_API_KEY and ai.model'],
    ],
  });
}

/** The answer as Telegram HTML parts of at most 4,096 characters, with a note when it was cut short (`t`). */
export function renderAnswer(text: string, cutNote?: JobTranslate): string[] {
  const html = markdownToTelegramHtml(text) + (cutNote ? `\n\n<i>${cutNote('ai.cut')}</i>` : '');
  return splitText(html, { html: true });
}

function answerJobs(chatId: number, userId: number, parts: readonly string[]): JobDraft[] {
  const calls: TelegramCall[] = parts.map((text) => ({
    method: 'sendMessage',
    params: { chat_id: chatId, text, parse_mode: 'HTML', link_preview_options: { is_disabled: true } },
  }));
  const drafts: JobDraft[] = [];
  for (let i = 0; i < calls.length; i += CALLS_PER_JOB) {
    drafts.push({ job: TelegramSendJob, payload: { calls: calls.slice(i, i + CALLS_PER_JOB) }, chatId, userId });
  }
  return drafts;
}

/**
 * "typing…" while the model thinks: the webhook showed it when the question came (it lasts 5 s),
 * so the worker shows it again at once if the question waited in the queue longer than an
 * interval, then every interval until `stop()`, which also waits for the last one to be queued
 * (so it cannot land after the answer). A failure to queue one is logged and otherwise ignored.
 */
function showTyping(deps: AssistantDeps, job: JobEnvelope, chatId: number, userId: number, log: Logger) {
  const now = deps.now ?? Date.now;
  const intervalMs = deps.settings.typingIntervalSeconds * 1000;
  const send = sender(deps, job);
  const typing: JobDraft = {
    job: TelegramSendJob,
    payload: { calls: [{ method: 'sendChatAction', params: { chat_id: chatId, action: 'typing' } }] },
    chatId,
    userId,
  };
  let count = 0;
  let last: Promise<void> = Promise.resolve();
  const tick = () => {
    const step = `typing${count++}`;
    last = last.then(() =>
      send(step, [typing]).catch((error: unknown) =>
        log.warn('ai.typing_failed', { code: error instanceof AppError ? error.code : 'unknown' }),
      ),
    );
  };
  if (now() - Date.parse(job.createdAt) >= intervalMs) tick();
  const timer = setInterval(tick, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await last;
    },
  };
}

/** `ai.reset`: forgets the user's conversation (the webhook already said so). */
function resetHandler(deps: AssistantDeps) {
  return handle(AiResetJob, async (job) => {
    const { userId } = chatOf(job);
    await deps.history.clear(userId);
  });
}
