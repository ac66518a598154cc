import { Composer } from 'telegraf';
import type { BotContext } from './context.js';

export interface AdminDeskOptions {
  adminChatId: number;
  adminUserIds: ReadonlySet<number>;
}

/** The admin desk: `/stats`, `/user`, block and unblock (being built). */
export function adminDesk(_options: AdminDeskOptions): Composer<BotContext> {
  return new Composer<BotContext>();
}
