import { Composer } from 'telegraf';
import * as z from 'zod/mini';
import type { BotModule } from '../../core/platform/bot.js';
import { PlatformContext } from '../../core/platform/context.js';

/**
 * A minimal bot on the platform: it echoes text back and counts the messages of each chat in its
 * session. It uses the platform alone (no wallet, no deposit, nothing of the desk): the webhook,
 * sessions committed exactly once per update, replies in the webhook response or through the
 * notify queue.
 */
const EchoSessionSchema = z.object({ count: z.int().check(z.minimum(0)) });
type EchoSession = z.infer<typeof EchoSessionSchema>;

class EchoContext extends PlatformContext<EchoSession> {}

/** Longest echo: a reply in the webhook response cannot be split, and Telegram takes 4,096 characters. */
const MAX_ECHO = 3_000;
const RESET = 'echo:reset';

function echoComposer(): Composer<EchoContext> {
  const bot = new Composer<EchoContext>();
  bot.command('start', (ctx) =>
    ctx.reply('Hello! I repeat what you write, and count your messages. /count shows the count.'),
  );
  bot.command('count', (ctx) =>
    ctx.reply(`${ctx.session.count} messages so far.`, {
      reply_markup: { inline_keyboard: [[{ text: 'Reset', callback_data: RESET }]] },
    }),
  );
  bot.action(RESET, async (ctx) => {
    ctx.session = { count: 0 };
    await ctx.answerCbQuery('Count reset.');
  });
  bot.on('message', (ctx) => {
    if (ctx.chat.type !== 'private') return;
    if (!('text' in ctx.message)) return ctx.reply('I only repeat text.');
    ctx.session = { count: ctx.session.count + 1 };
    const text = [...ctx.message.text].slice(0, MAX_ECHO).join('');
    return ctx.reply(`#${ctx.session.count}: ${text}`);
  });
  return bot;
}

/** The echo bot as a module of the platform. */
export const echoBot: BotModule<EchoContext> = {
  name: 'echo',
  context: EchoContext,
  // Anything unreadable starts the chat's count again rather than failing the update.
  parseSession: (data) => {
    const parsed = EchoSessionSchema.safeParse(data ?? {});
    return parsed.success ? parsed.data : { count: 0 };
  },
  composer: echoComposer(),
};
