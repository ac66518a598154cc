import { Composer } from 'telegraf';
import { AdminStatsJob } from '../admin/stats.js';
import type { AdminDeskOptions } from './admin.js';
import { isAdminHere } from './admin-access.js';
import type { BotContext } from './context.js';

/**
 * `/stats`: from an admin in the admin chat, queues `admin.stats`, whose answer (one message, in
 * the admin's language) the rpc worker posts to the admin chat. From anyone else, or anywhere
 * else, the command is passed on as if it did not exist (in a private chat: "I did not
 * understand that"), so nobody learns of it.
 */
export function adminStats(options: AdminDeskOptions): Composer<BotContext> {
  const stats = new Composer<BotContext>();
  stats.command('stats', (ctx, next) => {
    if (!isAdminHere(ctx, options)) return next();
    ctx.enqueue({ job: AdminStatsJob, payload: { lang: ctx.lang }, chatId: ctx.chat.id, userId: ctx.from.id });
  });
  return stats;
}
