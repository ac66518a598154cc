import { Composer } from 'telegraf';
import type { AdminDeskOptions } from './admin.js';
import type { BotContext } from './context.js';

/** `/stats` (being built). */
export function adminStats(_options: AdminDeskOptions): Composer<BotContext> {
  return new Composer<BotContext>();
}
