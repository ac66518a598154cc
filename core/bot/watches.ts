import { Composer } from 'telegraf';
import type { BotContext } from './context.js';

/** Watch alerts: `/watch`, `/watches` (being built). */
export function watchCommands(): Composer<BotContext> {
  return new Composer<BotContext>();
}
