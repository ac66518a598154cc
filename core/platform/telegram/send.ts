import { handle } from '../jobs/index.js';
import { type UserDirectory, UserStatusJob } from '../users/index.js';
import { TelegramSendJob } from './send-job.js';
import type { Deliver } from './sender.js';
import { splitLongMessages } from './split.js';

/** `telegram.send`: the calls a producer asked for, in order, texts over 4,096 characters split. */
export function telegramSendHandler(deliver: Deliver) {
  return handle(TelegramSendJob, async (job, log) => {
    await deliver(job.id, splitLongMessages(job.payload.calls), log, job.payload.update);
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
