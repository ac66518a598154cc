import { Composer } from 'telegraf';
import type { BotContext } from '../bot/index.js';
import { AiReplyJob, AiResetJob } from './jobs.js';
import { findSecret } from './secrets.js';

/**
 * The assistant's side of the conversation. In a private chat, text that no flow took (it comes
 * last) and that is not a command is a question: it goes to the ai queue as `ai.reply` and the
 * chat shows "typing…" at once (in the webhook response); the ai worker answers through the
 * notify queue. `/reset` forgets the conversation (`ai.reset`, in the same FIFO group, so it comes
 * after the questions asked before it).
 *
 * A question that looks like a private key, a recovery phrase or an API key is deleted from the
 * chat and never queued: the user is warned instead.
 */
export function assistantCommands(): Composer<BotContext> {
  const assistant = new Composer<BotContext>();

  assistant.command('reset', (ctx) => {
    if (ctx.chat.type !== 'private') return ctx.reply(ctx.t('ai.private'));
    ctx.enqueue({ job: AiResetJob, payload: {}, chatId: ctx.chat.id, userId: ctx.from.id });
    return ctx.reply(ctx.t('ai.reset'));
  });

  assistant.on('text', (ctx, next) => {
    const { text } = ctx.message;
    if (ctx.chat.type !== 'private' || text.startsWith('/')) return next();
    const secret = findSecret(text);
    if (secret) {
      ctx.deleteMessage(ctx.message.message_id);
      return ctx.reply(ctx.t('ai.secret', { kind: ctx.t(`ai.secret.${secret}`) }));
    }
    ctx.enqueue({ job: AiReplyJob, payload: { text, lang: ctx.lang }, chatId: ctx.chat.id, userId: ctx.from.id });
    return ctx.sendChatAction('typing');
  });
  return assistant;
}
