import type { JobTranslate } from '../../desk/i18n.js';
import type { JobDraft, JobEnvelope, JobQueue } from '../../platform/jobs/index.js';
import { emitFrom, handle } from '../../platform/jobs/index.js';
import type { Logger } from '../../platform/log.js';
import type { TenantQuota } from '../../platform/quotas/index.js';
import type { TelegramCall } from '../../platform/telegram/index.js';
import { notice, TelegramSendJob } from '../../platform/telegram/index.js';
import { jobTranslator } from '../i18n.js';
import { checkAddress, formatSol, shortAddress } from '../solana/index.js';
import {
  MAX_WATCHES,
  WATCH_CALLBACK,
  WatchAddJob,
  WatchLangJob,
  WatchListJob,
  WatchRemoveJob,
  watchId,
} from './jobs.js';
import type { ChatWatch, WatchStore } from './store.js';

export interface WatchlistDeps {
  store: WatchStore;
  /** Where answers go: the notify queue. */
  queue: JobQueue;
  /** The bot's plan: each watch holds one of its `watchedAddresses`. */
  quota: TenantQuota;
}

/** What a watch holds of the bot's plan is named by its chat and its id (the Remove button's). */
const quotaKey = (chatId: number, watch: string) => `${chatId}.${watch}`;

/** Text and inline keyboard of a message (the keyboard's buttons carry callback data). */
export interface WatchlistScreen {
  readonly text: string;
  readonly keyboard: { inline_keyboard: { text: string; callback_data: string }[][] };
}

/**
 * The `/watches` message: each watch with its threshold, one Remove button per watch, and an
 * optional first line saying what just happened. Fits Telegram's 4,096 characters with
 * `MAX_WATCHES` watches.
 */
export function watchlistScreen(t: JobTranslate, watches: readonly ChatWatch[], heading?: string): WatchlistScreen {
  const lines =
    watches.length === 0
      ? [t('watches.none')]
      : [
          t('watches.title', { count: watches.length, max: MAX_WATCHES }),
          ...watches.map((watch, index) =>
            t('watches.item', {
              number: index + 1,
              address: watch.address,
              when:
                watch.thresholdLamports === 0n
                  ? t('watches.any')
                  : t('watches.threshold', { threshold: formatSol(watch.thresholdLamports) }),
            }),
          ),
        ];
  const list = lines.join('\n');
  return {
    text: heading === undefined ? list : `${heading}\n\n${list}`,
    keyboard: {
      inline_keyboard: watches.map((watch) => [
        {
          text: t('watches.remove', { address: shortAddress(watch.address) }),
          callback_data: WATCH_CALLBACK.remove(watch.address),
        },
      ]),
    },
  };
}

/** The chat and user a watch job acts for; jobs from the bot always carry both. */
function ownerOf(job: JobEnvelope, log: Logger): { chatId: number; userId: number } | undefined {
  if (job.chatId !== null && job.userId !== null) return { chatId: job.chatId, userId: job.userId };
  log.warn('watch.no_chat', { type: job.type });
  return undefined;
}

function send(deps: WatchlistDeps, job: JobEnvelope, chatId: number, calls: TelegramCall[]): Promise<void> {
  const draft: JobDraft = { job: TelegramSendJob, payload: { calls }, chatId, userId: job.userId };
  return emitFrom(deps.queue, job, [draft]);
}

function say(deps: WatchlistDeps, job: JobEnvelope, chatId: number, html: string): Promise<void> {
  return emitFrom(deps.queue, job, [notice(chatId, job.userId, html)]);
}

/**
 * Moves the notices of a chat's other watches to `lang`, the user's language now: a user who
 * switched language hears about every watch in the new one. Writes only watches that differ.
 */
async function followLanguage(
  store: WatchStore,
  owner: { chatId: number; userId: number },
  lang: ChatWatch['lang'],
  watches: readonly ChatWatch[],
): Promise<void> {
  await Promise.all(
    watches
      .filter((watch) => watch.lang !== lang)
      .map((watch) => store.addWatcher(watch.address, { ...owner, lang, thresholdLamports: watch.thresholdLamports })),
  );
}

/**
 * `watch.add`: the chat starts watching the address, or, if it already does, takes the new
 * threshold and language. At most `MAX_WATCHES` per chat: checked against the stored list
 * (two adds racing at the limit may both pass; the limit is a courtesy, not a security bound).
 * Idempotent: a redelivery finds the watch already there and writes and says the same thing,
 * under the same notice id.
 *
 * A new watch first holds one of the bot's `watchedAddresses` (named by the chat and the watch, so
 * a redelivery after a crash between the hold and the write holds nothing more); over the plan the
 * user is told so and nothing is written. A watch already there holds nothing more.
 */
export function watchAddHandler(deps: WatchlistDeps) {
  return handle(WatchAddJob, async (job, log) => {
    const owner = ownerOf(job, log);
    if (!owner) return;
    const { address, lang } = job.payload;
    const t = jobTranslator(lang);
    const check = checkAddress(address);
    if (!check.ok) return say(deps, job, owner.chatId, t(`address.${check.problem}`));
    const thresholdLamports = BigInt(job.payload.thresholdLamports);
    const watches = await deps.store.watchlist(owner.chatId);
    const known = watches.some((watch) => watch.address === address);
    if (!known && watches.length >= MAX_WATCHES) {
      return say(deps, job, owner.chatId, t('watch.limit', { max: MAX_WATCHES }));
    }
    if (!known) {
      const held = await deps.quota.hold('watchedAddresses', quotaKey(owner.chatId, watchId(address)));
      if (!held.ok) return say(deps, job, owner.chatId, t('watch.quota'));
    }
    await deps.store.addWatcher(address, { ...owner, lang, thresholdLamports });
    await followLanguage(
      deps.store,
      owner,
      lang,
      watches.filter((watch) => watch.address !== address),
    );
    const count = known ? watches.length : watches.length + 1;
    const text =
      thresholdLamports === 0n
        ? t('watch.added', { address, count, max: MAX_WATCHES })
        : t('watch.added_threshold', { address, count, max: MAX_WATCHES, threshold: formatSol(thresholdLamports) });
    await say(deps, job, owner.chatId, text);
  });
}

/** `watch.list`: the chat's watches in one message, a Remove button under each. */
export function watchListHandler(deps: WatchlistDeps) {
  return handle(WatchListJob, async (job, log) => {
    const owner = ownerOf(job, log);
    if (!owner) return;
    const { lang } = job.payload;
    const watches = await deps.store.watchlist(owner.chatId);
    await followLanguage(deps.store, owner, lang, watches);
    const screen = watchlistScreen(jobTranslator(lang), watches);
    await send(deps, job, owner.chatId, [
      {
        method: 'sendMessage',
        params: { chat_id: owner.chatId, text: screen.text, parse_mode: 'HTML', reply_markup: screen.keyboard },
      },
    ]);
  });
}

/**
 * `watch.remove`: a Remove button was pressed. The id in its callback data counts only if it
 * names a watch of this chat in the store, so a stale button (the watch already removed, from
 * this device or another), a replayed or a forged one removes nothing. Either way the list
 * message is edited in place into the current list, headed by what happened. Of two presses
 * racing, one removes and the other finds the watch gone.
 *
 * Then what the watch held of the plan is given back, named by the button's id: whether this run
 * removed it or an earlier one did and crashed before giving it back (a name holding nothing gives
 * nothing back, so a stale or forged button moves nothing).
 */
export function watchRemoveHandler(deps: WatchlistDeps) {
  return handle(WatchRemoveJob, async (job, log) => {
    const owner = ownerOf(job, log);
    if (!owner) return;
    const t = jobTranslator(job.payload.lang);
    const watches = await deps.store.watchlist(owner.chatId);
    const target = watches.find((watch) => watchId(watch.address) === job.payload.watch);
    const removed = target !== undefined && (await deps.store.removeWatcher(target.address, owner.chatId));
    await deps.quota.release('watchedAddresses', quotaKey(owner.chatId, job.payload.watch));
    const left = watches.filter((watch) => watch !== target);
    log.info('watch.remove', { removed });
    const heading = removed ? t('watches.removed', { address: target.address }) : t('watches.gone');
    const screen = watchlistScreen(t, left, heading);
    const markup = screen.keyboard.inline_keyboard.length > 0 ? { reply_markup: screen.keyboard } : {};
    const { messageId } = job.payload;
    await send(deps, job, owner.chatId, [
      messageId === undefined
        ? { method: 'sendMessage', params: { chat_id: owner.chatId, text: screen.text, parse_mode: 'HTML', ...markup } }
        : {
            method: 'editMessageText',
            params: { chat_id: owner.chatId, message_id: messageId, text: screen.text, parse_mode: 'HTML', ...markup },
          },
    ]);
  });
}

/** `watch.lang`: the user chose another language; their watches' notices follow. Says nothing. */
export function watchLangHandler(deps: Pick<WatchlistDeps, 'store'>) {
  return handle(WatchLangJob, async (job, log) => {
    const owner = ownerOf(job, log);
    if (!owner) return;
    await followLanguage(deps.store, owner, job.payload.lang, await deps.store.watchlist(owner.chatId));
  });
}

/** The handlers of the user's own watch list (`/watch`, `/watches`, Remove, a language change), for the rpc worker. */
export function watchlistHandlers(deps: WatchlistDeps) {
  return [watchAddHandler(deps), watchListHandler(deps), watchRemoveHandler(deps), watchLangHandler(deps)] as const;
}
