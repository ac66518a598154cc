import { Composer } from 'telegraf';
import { adminStats } from './admin-stats.js';
import { adminUsers } from './admin-users.js';
import type { BotContext } from './context.js';

export interface AdminDeskOptions {
  adminChatId: number;
  adminUserIds: ReadonlySet<number>;
}

/**
 * The admin desk, taken only from admins (`ADMIN_USER_IDS`) in the admin chat; anyone else gets no
 * hint that these commands exist: `/stats`, `/user`, `/block`, `/unblock` (and `/broadcast`).
 */
export function adminDesk(options: AdminDeskOptions): Composer<BotContext> {
  const desk = new Composer<BotContext>();
  desk.use(adminUsers(options), adminStats(options));
  return desk;
}
