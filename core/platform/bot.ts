import type { Composer } from 'telegraf';
import type { Update, UserFromGetMe } from 'telegraf/types';
import { OutboxTelegram, type PlatformContext } from './context.js';
import type { TurnRunner } from './ingress/index.js';
import type { TelegramCall } from './telegram/index.js';

/**
 * A bot on the platform: its conversation (a telegraf composer over its own context class) and
 * its session, read through its own parser (anything invalid must read as a fresh session). The
 * platform runs it on each update, commits the session, and delivers its calls and jobs.
 */
export interface BotModule<C extends PlatformContext<object>> {
  /** Names the bot in logs. */
  readonly name: string;
  /** Its context class: `PlatformContext`, or one extending it. */
  readonly context: new (
    update: Update,
    telegram: OutboxTelegram,
    botInfo: UserFromGetMe,
  ) => C;
  /** Reads a stored session (`undefined` for none) into the bot's session type. */
  readonly parseSession: (data: unknown) => C['session'];
  readonly composer: Composer<C>;
}

export interface TurnRunnerOptions<C extends PlatformContext<object>> {
  bot: BotModule<C>;
  /** From config or the tenant registry, so no `getMe` is needed on a cold start. */
  botInfo: UserFromGetMe;
  apiRoot: string;
}

/**
 * Runs the bot's middleware for one update against a session, with an outbox client in place of
 * the network. The middleware chain is built once; a context is built per update.
 */
export function createTurnRunner<C extends PlatformContext<object>>(options: TurnRunnerOptions<C>): TurnRunner {
  const { bot } = options;
  const middleware = bot.composer.middleware();
  return async (update, session, actorSession) => {
    const calls: TelegramCall[] = [];
    const telegram = new OutboxTelegram(options.apiRoot, calls);
    const ctx = new bot.context(update.update as unknown as Update, telegram, options.botInfo);
    ctx.session = bot.parseSession(session);
    if (actorSession !== undefined) ctx.actorSession = bot.parseSession(actorSession);
    await middleware(ctx, () => Promise.resolve());
    return { session: ctx.session, calls, jobs: ctx.jobs };
  };
}

/** Builds `botInfo` from the token (its numeric prefix is the bot's id) and the username. */
export function botInfoFrom(token: string, username: string): UserFromGetMe {
  return botInfoOf(Number(token.split(':')[0]), username);
}

/** Builds `botInfo` from the bot's id and username (a tenant's, as the registry keeps them). */
export function botInfoOf(id: number, username: string): UserFromGetMe {
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
