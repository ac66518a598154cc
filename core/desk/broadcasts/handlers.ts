import { PoisonJobError } from '../../platform/errors.js';
import {
  emitFrom,
  handle,
  type JobDraft,
  type JobEnvelope,
  type JobHandler,
  type JobQueue,
  sealJobs,
} from '../../platform/jobs/index.js';
import type { Logger } from '../../platform/log.js';
import { quotaRefusalText, type TenantQuota } from '../../platform/quotas/index.js';
import type { Deliver, TelegramCall } from '../../platform/telegram/index.js';
import type { UserDirectory } from '../../platform/users/index.js';
import { assertAdmin } from '../admin/index.js';
import { type JobKey, jobTranslator } from '../i18n.js';
import { BroadcastCancelJob, BroadcastPageJob, BroadcastSendJob, BroadcastStartJob, CALLBACK_CANCEL } from './jobs.js';
import { messageParams } from './message.js';
import { type Broadcast, type BroadcastStore, type SendOutcome, settled } from './store.js';

/** The directory as a broadcast reads it. */
export type BroadcastDirectory = Pick<UserDirectory, 'activePage'> & { countActive(): Promise<number> };

export interface BroadcastDeps {
  /** The admins (`ADMIN_USER_IDS`): only their `broadcast.start` and `broadcast.cancel` run. */
  admins: ReadonlySet<number>;
  /** The admin chat: a broadcast reports its progress there and nowhere else. */
  adminChatId: number;
  store: BroadcastStore;
  directory: BroadcastDirectory;
  deliver: Deliver;
  queue: JobQueue;
  /** Users per page job. */
  pageSize: number;
  /** Send with `allow_paid_broadcast` (Telegram's paid limit of 1,000 msg/s). */
  paid: boolean;
  /** The bot's plan: each broadcast started counts against its `broadcastsPerDay`. */
  quota: TenantQuota;
  /** At most one progress edit per this interval. */
  progressIntervalMs?: number;
  /** How long a container trusts its copy of a broadcast (bounds how late a cancel is seen). */
  cacheMs?: number;
  /** How long a page job waits in-process for earlier pages to drain before queueing itself again. */
  backpressureWaitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const number = (n: number) => n.toLocaleString('en-US');

/** The admin's progress message for a broadcast, with a cancel button while it runs. */
export function progressCall(b: Broadcast, messageId = b.progressMessageId): TelegramCall {
  const t = jobTranslator(b.lang);
  const key: JobKey =
    b.status === 'done' ? 'broadcast.done' : b.status === 'cancelled' ? 'broadcast.cancelled' : 'broadcast.progress';
  const text = t(key, {
    id: b.id,
    sent: number(b.counts.sent),
    total: number(Math.max(b.total, b.queued)),
    blocked: number(b.counts.blocked),
    failed: number(b.counts.failed),
  });
  return {
    method: 'editMessageText',
    params: {
      chat_id: b.adminChatId,
      message_id: messageId,
      text,
      parse_mode: 'HTML',
      ...(b.status === 'running'
        ? {
            reply_markup: {
              inline_keyboard: [[{ text: t('broadcast.cancel'), callback_data: CALLBACK_CANCEL(b.id) }]],
            },
          }
        : {}),
    },
  };
}

/**
 * Broadcasts: an admin's message to every active user, at Telegram's limit, with progress
 * edited into one admin message and a cancel button.
 *
 * `broadcast.start` counts the broadcast against the bot's plan (once, by its id: over the plan the
 * admin's progress message says so, with the limit, when it resets and the plan that raises it,
 * and nothing is sent), records it (with the number of active users) and queues page 0.
 * Each `broadcast.page` queues one `broadcast.send` per active user of its directory page
 * (FIFO group = that user's chat), then the next page job behind them: the queue holds about
 * one page of a broadcast at a time, so a cancel, and ordinary notifications, wait seconds,
 * not the whole broadcast. A page job that finds more than two pages outstanding waits for
 * them (up to `backpressureWaitMs`), then queues itself again behind them. Each send checks the broadcast (cached for `cacheMs`): a cancelled one is skipped.
 * Send outcomes are counted once (a redelivered, already-delivered send is not counted again;
 * a crash between a send and its count undercounts by one). The send that settles the last
 * queued message marks the broadcast done and edits the final figures in.
 */
export function broadcastHandlers(deps: BroadcastDeps): JobHandler[] {
  const now = deps.now ?? Date.now;
  const cacheMs = deps.cacheMs ?? 1_000;
  const progressIntervalMs = deps.progressIntervalMs ?? 3_000;
  const backpressureWaitMs = deps.backpressureWaitMs ?? 15_000;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const cache = new Map<string, { at: number; broadcast: Broadcast | undefined }>();

  async function cached(id: string): Promise<Broadcast | undefined> {
    const hit = cache.get(id);
    if (hit && now() - hit.at < cacheMs) return hit.broadcast;
    const broadcast = await deps.store.get(id);
    cache.set(id, { at: now(), broadcast });
    return broadcast;
  }

  async function showProgress(job: JobEnvelope, b: Broadcast, log: Logger): Promise<void> {
    await deps.deliver(`${job.id}.progress`, [progressCall(b)], log);
    if (b.status !== 'running') return;
    // Running figures read before the last count can reach the chat after the final ones (the
    // chat's pace gave them a later slot). The final status is stored before its edit is sent, so
    // a read now sees it whenever that happened: then the final figures go in again, last.
    const latest = await deps.store.get(b.id);
    if (latest && latest.status !== 'running')
      await deps.deliver(`${job.id}.progress.final`, [progressCall(latest)], log);
  }

  /** After a count: finish when everything queued is settled, else maybe edit the progress in. */
  async function afterCount(job: JobEnvelope, b: Broadcast, log: Logger): Promise<void> {
    if (b.status === 'running' && b.pagingDone && settled(b) >= b.queued) {
      if (await deps.store.finish(b.id)) {
        log.info('broadcast.done', { broadcast: b.id, ...b.counts, queued: b.queued });
        await showProgress(job, { ...b, status: 'done' }, log);
      }
      return;
    }
    // The count's own answer says whether an edit is due, so most sends make no extra write.
    if (now() - b.progressAt < progressIntervalMs) return;
    if (await deps.store.claimProgress(b.id, progressIntervalMs)) await showProgress(job, b, log);
  }

  const start = handle(BroadcastStartJob, async (job, log) => {
    assertAdmin(deps.admins, job);
    const { id, message, adminChatId, progressMessageId, lang } = job.payload;
    if (adminChatId !== deps.adminChatId) {
      throw new PoisonJobError(
        'broadcast.not_admin_chat',
        `broadcast ${id} reports to a chat that is not the admin chat`,
      );
    }
    // Counted once per broadcast (by its id); a redelivery after the start finds it recorded.
    if (!(await deps.store.get(id))) {
      const counted = await deps.quota.count('broadcastsPerDay', id);
      if (!counted.ok) {
        log.info('broadcast.over_quota', { broadcast: id });
        const text = quotaRefusalText(lang, counted.refusal, now());
        await deps.deliver(
          `${job.id}.quota`,
          [
            {
              method: 'editMessageText',
              params: { chat_id: adminChatId, message_id: progressMessageId, text, parse_mode: 'HTML' },
            },
          ],
          log,
        );
        return;
      }
    }
    const total = await deps.directory.countActive();
    const b = await deps.store.create({ id, message, adminChatId, progressMessageId, lang, total });
    log.info('broadcast.started', { broadcast: id, total });
    await showProgress(job, b, log);
    await emitFrom(deps.queue, job, [pageDraft(id, null, 0)]);
  });

  const page = handle(BroadcastPageJob, async (job, log) => {
    const { id, cursor } = job.payload;
    // Backpressure: wait (a while, in-process) for earlier pages to drain; if they have not,
    // queue this page again behind them rather than fail (failing would use up its receives).
    const waitUntil = now() + backpressureWaitMs;
    let b = await deps.store.get(id);
    while (b?.status === 'running' && b.queued - settled(b) > 2 * deps.pageSize && now() < waitUntil) {
      await sleep(1_000);
      b = await deps.store.get(id);
    }
    if (b?.status !== 'running') return;
    if (b.queued - settled(b) > 2 * deps.pageSize) {
      log.info('broadcast.backpressure', { broadcast: id, page: job.payload.page, outstanding: b.queued - settled(b) });
      const again = {
        ...pageDraft(id, cursor, job.payload.page),
        payload: { ...job.payload, wait: (job.payload.wait ?? 0) + 1 },
      };
      await deps.queue.send(
        sealJobs([again], {
          idPrefix: pageJobId(job.payload),
          traceId: job.traceId,
          tenant: job.tenant,
          now: new Date(),
        }),
      );
      return;
    }
    const { chatIds, next } = await deps.directory.activePage(cursor, deps.pageSize);
    const drafts: JobDraft[] = chatIds.map((chatId) => ({
      job: BroadcastSendJob,
      payload: { id },
      chatId,
      userId: chatId,
    }));
    if (next !== null) drafts.push(pageDraft(id, next, job.payload.page + 1));
    // Ids from the broadcast and the page (not chained from the parent job: a 10,000-user broadcast
    // has 100 pages), the same on every redelivery of this page job.
    await deps.queue.send(
      sealJobs(drafts, {
        idPrefix: `bc.${id}.p${job.payload.page}`,
        traceId: job.traceId,
        tenant: job.tenant,
        now: new Date(),
      }),
    );
    await deps.store.addPage(id, job.payload.page, chatIds.length, next === null);
    log.info('broadcast.page', { broadcast: id, page: job.payload.page, sends: chatIds.length, last: next === null });
    if (next === null) {
      // The last page may be empty, or its sends all settled already: settle the broadcast here too.
      const after = await deps.store.get(id);
      if (after) await afterCount(job, after, log);
    }
  });

  const send = handle(BroadcastSendJob, async (job, log) => {
    const b = await cached(job.payload.id);
    // A cancelled broadcast's remaining sends are skipped (and not counted).
    if (b?.status !== 'running' || job.chatId === null) return;
    const call: TelegramCall = {
      method: 'sendMessage',
      params: {
        chat_id: job.chatId,
        ...messageParams(b.message),
        ...(deps.paid ? { allow_paid_broadcast: true } : {}),
      },
    };
    const report = await deps.deliver(job.id, [call], log);
    if (report.repeat) return;
    const outcome: SendOutcome = report.blocked ? 'blocked' : report.dropped > 0 ? 'failed' : 'sent';
    await afterCount(job, await deps.store.count(b.id, outcome), log);
  });

  const cancel = handle(BroadcastCancelJob, async (job, log) => {
    assertAdmin(deps.admins, job);
    if (!(await deps.store.cancel(job.payload.id))) return;
    cache.delete(job.payload.id);
    const b = await deps.store.get(job.payload.id);
    log.info('broadcast.cancelled', { broadcast: job.payload.id });
    if (b) await showProgress(job, b, log);
  });

  return [start, page, send, cancel] as JobHandler[];
}

/** A page job's id prefix for re-queueing itself: one per page and wait round. */
const pageJobId = (p: { id: string; page: number; wait?: number }) => `bc.${p.id}.p${p.page}.w${(p.wait ?? 0) + 1}`;

function pageDraft(id: string, cursor: string | null, page: number): JobDraft {
  return { job: BroadcastPageJob, payload: { id, cursor, page }, chatId: null, userId: null };
}
