import { Composer } from 'telegraf';
import type { BotContext } from './context.js';

/** Abuse control: a per-user rate limit on commands and jobs (being built). */
export function rateLimit(): Composer<BotContext> {
  return new Composer<BotContext>();
}
