import type { AdminGate } from '../admin/index.js';
import type { ConversationTranslate } from '../i18n.js';
import { BroadcastCancelJob, BroadcastStartJob, CALLBACK_CANCEL } from './jobs.js';
import { broadcastFrom, type DraftProblem, messageParams } from './message.js';

export const BROADCAST_CALLBACK = { send: 'bc:go', discard: 'bc:drop', cancel: /^bc:stop:([A-Za-z0-9_-]{1,40})$/ };

/** The admin's answer to a `/broadcast` that cannot be queued as written. */
function problemText(t: ConversationTranslate, p: DraftProblem): string {
  switch (p.problem) {
    case 'usage':
      return t('broadcast.usage');
    case 'too_long':
      return t('broadcast.too_long', { length: p.length });
    case 'too_many':
      return t('broadcast.too_many', { count: p.count });
    case 'unsupported':
      return t('broadcast.format_unsupported', { type: p.type });
    case 'out_of_range':
      return t('broadcast.format_range', { type: p.type, offset: p.offset, length: p.length, total: p.textLength });
    case 'invalid':
      return t('broadcast.format_invalid', { type: p.type });
  }
}

/**
 * Broadcasts, registered on the admin gate (an admin, by user id, in the admin chat; nobody else):
 * `/broadcast <text>` keeps the admin's own formatting (their message's entities: see
 * `broadcastFrom`), shows the message exactly as users will get it and asks to confirm; a draft
 * whose formatting cannot be sent is refused with the reason; "Send" turns
 * the question into the broadcast's progress message and queues `broadcast.start`; the
 * progress message's "Cancel" queues `broadcast.cancel`. Both jobs name the acting admin
 * (`userId`), whom the notify worker checks again.
 */
export function broadcastCommands(gate: AdminGate): void {
  const { adminChatId } = gate.access;

  gate.command('broadcast', async (ctx) => {
    const draft = broadcastFrom(ctx.message.text, ctx.message.entities);
    if (!draft.ok) return ctx.reply(problemText(ctx.t, draft));
    const { message } = draft;
    ctx.session = { ...ctx.session, broadcastDraft: message };
    // The preview is the very message every user gets: the same text and entities, no parse mode.
    const { text, ...formatting } = messageParams(message);
    // telegraf's types predate some entity types (expandable_blockquote); the schema checked them.
    await ctx.reply(text, formatting as never);
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
