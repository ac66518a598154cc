import { Composer } from 'telegraf';
import type { AdminDeskOptions } from './admin.js';
import type { BotContext } from './context.js';

/** `/user <id or @name>`, `/block`, `/unblock` (being built). */
export function adminUsers(_options: AdminDeskOptions): Composer<BotContext> {
  return new Composer<BotContext>();
}

/** Lets nothing from a user an admin blocked reach the bot (being built). */
export function blockGate(): Composer<BotContext> {
  return new Composer<BotContext>();
}
