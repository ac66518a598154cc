import type { Composer } from 'telegraf';
import { BotContext, parseSession, type SessionData } from '../../core/desk/bot/context.js';
import { stageSettings } from '../../core/desk/settings.js';
import { botInfoFrom, createTurnRunner } from '../../core/platform/bot.js';
import type { TurnRunner } from '../../core/platform/ingress/process.js';
import { checkUpdate, type ValidUpdate } from '../../core/platform/ingress/update.js';

/** The bot token of turn tests (the bot is `@desk_bot`). */
export const TEST_TOKEN = '4242:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** Runs `bot` on one update and a session, as the webhook does, with no network. */
export function turnRunner(bot: Composer<BotContext>): TurnRunner {
  return createTurnRunner({
    bot: { name: 'test', context: BotContext, parseSession, composer: bot },
    botInfo: botInfoFrom(TEST_TOKEN, 'desk_bot'),
    apiRoot: 'http://127.0.0.1:1',
  });
}

/** `run`, with abuse control's buckets (tested in limits.test.ts) left out of the sessions it returns. */
export function withoutLimits(run: TurnRunner): TurnRunner {
  return async (update, session, actorSession) => {
    const turn = await run(update, session, actorSession);
    const { limits: _, ...rest } = turn.session as SessionData;
    return { ...turn, session: rest };
  };
}

/** A raw update as the webhook accepts it (the stage's allowed updates); throws for a bad test fixture. */
export function validUpdate(raw: unknown): ValidUpdate {
  const check = checkUpdate(raw, stageSettings('test').webhook.allowedUpdates);
  if (!check.ok) throw new Error(`invalid test update: ${check.detail}`);
  return check.value;
}
