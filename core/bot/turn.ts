import type { Composer } from 'telegraf';
import type { Update, UserFromGetMe } from 'telegraf/types';
import type { TurnRunner } from '../ingress/process.js';
import type { TelegramCall } from '../telegram/calls.js';
import { BotContext, OutboxTelegram, parseSession } from './context.js';

export interface TurnRunnerOptions {
  bot: Composer<BotContext>;
  /** From config, so no `getMe` is needed on a cold start. */
  botInfo: UserFromGetMe;
  token: string;
  apiRoot: string;
}

/**
 * Runs the telegraf middleware for one update against a session, with an outbox client in
 * place of the network. The middleware chain is built once; a context is built per update.
 */
export function createTurnRunner(options: TurnRunnerOptions): TurnRunner {
  const middleware = options.bot.middleware();
  return async (update, session, actorSession) => {
    const calls: TelegramCall[] = [];
    const telegram = new OutboxTelegram(options.token, options.apiRoot, calls);
    const ctx = new BotContext(update.update as unknown as Update, telegram, options.botInfo);
    ctx.session = parseSession(session);
    if (actorSession !== undefined) ctx.actorSession = parseSession(actorSession);
    await middleware(ctx, () => Promise.resolve());
    return { session: ctx.session, calls, jobs: ctx.jobs };
  };
}

/** Builds `botInfo` from the token (its numeric prefix is the bot's id) and the username. */
export function botInfoFrom(token: string, username: string): UserFromGetMe {
  const id = Number(token.split(':')[0]);
  return {
    id,
    is_bot: true,
    first_name: username,
    username,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  } as UserFromGetMe;
}
