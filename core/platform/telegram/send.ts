import { handle } from '../jobs/index.js';
import { type UserDirectory, UserStatusJob } from '../users/index.js';
import { TelegramSendJob } from './send-job.js';
import type { Deliver } from './sender.js';
import { splitLongMessages } from './split.js';

/**
 * `telegram.send`: the calls a producer asked for, in order, texts over 4,096 characters split. A
 * job of one call alone in its batch records no progress (see `DeliverOptions.alone`).
 */
export function telegramSendHandler(deliver: Deliver) {
  return handle(TelegramSendJob, async (job, log, delivery) => {
    await deliver(job.id, splitLongMessages(job.payload.calls), log, {
      update: job.payload.update,
      alone: delivery?.alone ?? false,
    });
  });
}

/** `user.status`: records in the directory that a user started, blocked or restarted the bot. */
export function userStatusHandler(directory: UserDirectory) {
  return handle(UserStatusJob, async (job) => {
    if (job.chatId === null || job.chatId <= 0) return;
    const { active, lang, username } = job.payload;
    if (active)
      await directory.upsert({ chatId: job.chatId, active, ...(lang && { lang }), ...(username && { username }) });
    else await directory.setActive(job.chatId, false);
  });
}
