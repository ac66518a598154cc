import { Composer } from 'telegraf';
import type { AdminAccess } from './admin-access.js';
import { adminStats } from './admin-stats.js';
import { adminUsers } from './admin-users.js';
import type { BotContext } from './context.js';

export type AdminDeskOptions = AdminAccess;

/**
 * The admin desk, taken only from admins (`ADMIN_USER_IDS`) in the admin chat; anyone else gets no
 * hint that these commands exist: `/stats`, `/user`, `/block`, `/unblock` (and `/broadcast`).
 */
export function adminDesk(options: AdminDeskOptions): Composer<BotContext> {
  const desk = new Composer<BotContext>();
  desk.use(adminUsers(options), adminStats(options));
  return desk;
}
