import type { AdminGate } from '../admin/index.js';
import {
  BroadcastCancelJob,
  type BroadcastMessage,
  BroadcastMessageSchema,
  BroadcastStartJob,
  CALLBACK_CANCEL,
  type Entity,
} from './jobs.js';

export const BROADCAST_CALLBACK = { send: 'bc:go', discard: 'bc:drop', cancel: /^bc:stop:([A-Za-z0-9_-]{1,40})$/ };

/**
 * The text after a `/broadcast` command, with the entities that fall in it shifted to match
 * (offsets are UTF-16 code units, as JavaScript strings count). Undefined when nothing follows.
 */
export function broadcastFrom(text: string, entities: readonly Entity[] = []): BroadcastMessage | undefined {
  const command = /^\/broadcast(@\w+)?(\s+|$)/.exec(text);
  if (!command) return undefined;
  const skip = command[0].length;
  const body = text.slice(skip);
  if (body.trim() === '') return undefined;
  const shifted = entities.flatMap((e) => {
    const start = Math.max(e.offset, skip);
    const end = Math.min(e.offset + e.length, text.length);
    return end > start && e.type !== 'bot_command' ? [{ ...e, offset: start - skip, length: end - start }] : [];
  });
  const parsed = BroadcastMessageSchema.safeParse({ text: body, entities: shifted });
  return parsed.success ? parsed.data : undefined;
}

/**
 * Broadcasts, registered on the admin gate (an admin, by user id, in the admin chat; nobody else):
 * `/broadcast <text>` shows the message as users will get it and asks to confirm; "Send" turns
 * the question into the broadcast's progress message and queues `broadcast.start`; the
 * progress message's "Cancel" queues `broadcast.cancel`. Both jobs name the acting admin
 * (`userId`), whom the notify worker checks again.
 */
export function broadcastCommands(gate: AdminGate): void {
  const { adminChatId } = gate.access;

  gate.command('broadcast', async (ctx) => {
    const message = broadcastFrom(ctx.message.text, ctx.message.entities as Entity[] | undefined);
    if (!message) return ctx.reply(ctx.t('broadcast.usage'));
    ctx.session = { ...ctx.session, broadcastDraft: message };
    await ctx.reply(message.text, { entities: message.entities as never });
    await ctx.reply(ctx.t('broadcast.confirm'), {
      reply_markup: {
        inline_keyboard: [
          [
            { text: ctx.t('broadcast.send'), callback_data: BROADCAST_CALLBACK.send },
            { text: ctx.t('broadcast.discard'), callback_data: BROADCAST_CALLBACK.discard },
          ],
        ],
      },
    });
  });

  gate.action(BROADCAST_CALLBACK.send, async (ctx) => {
    const { broadcastDraft: draft, ...rest } = ctx.session;
    const messageId = ctx.callbackQuery.message?.message_id;
    if (!draft || messageId === undefined) return ctx.answerCbQuery(ctx.t('button.stale'));
    ctx.session = rest;
    const id = `b${ctx.update.update_id}`;
    ctx.enqueue({
      job: BroadcastStartJob,
      payload: { id, message: draft, adminChatId, progressMessageId: messageId, lang: ctx.lang },
      chatId: null,
      userId: ctx.from.id,
    });
    await ctx.answerCbQuery();
    await ctx.editMessageText(ctx.t('broadcast.queued', { id }), {
      reply_markup: { inline_keyboard: [[{ text: ctx.t('broadcast.cancel'), callback_data: CALLBACK_CANCEL(id) }]] },
    });
  });

  gate.action(BROADCAST_CALLBACK.discard, async (ctx) => {
    const { broadcastDraft: _, ...rest } = ctx.session;
    ctx.session = rest;
    await ctx.answerCbQuery();
    await ctx.editMessageText(ctx.t('broadcast.discarded'));
  });

  gate.action(BROADCAST_CALLBACK.cancel, async (ctx) => {
    ctx.enqueue({ job: BroadcastCancelJob, payload: { id: ctx.match[1]! }, chatId: null, userId: ctx.from.id });
    await ctx.answerCbQuery(ctx.t('broadcast.cancelling'));
  });
}
