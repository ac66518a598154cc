import { Composer } from 'telegraf';
import type { BotContext } from '../bot/index.js';
import type { AdminGate } from './gate.js';
import { AdminBlockJob, AdminUserJob, parseUserTarget } from './users.js';

/**
 * `/user <id or @name>` looks a user up; `/block <id or @name>` and `/unblock …` block and
 * unblock one. Registered on the admin gate: taken only from an admin in the admin chat (see
 * `AdminGate` for what anyone else gets). The lookup and the block run as jobs (`admin.user`,
 * `admin.block`: the rpc worker checks the acting admin again, reads the ledger and writes the
 * user's session) and answer in the admin chat in the admin's language. An admin's own id is
 * refused at once; one reached through a username is refused by the job.
 */
export function adminUsers(gate: AdminGate): void {
  gate.command('user', (ctx) => {
    const target = ctx.args.length === 1 ? parseUserTarget(ctx.args[0]) : undefined;
    if (!target) return ctx.reply(ctx.t('admin.user.usage'));
    ctx.enqueue({ job: AdminUserJob, payload: { target, lang: ctx.lang }, chatId: ctx.chat.id, userId: ctx.from.id });
  });

  for (const [command, block] of [
    ['block', true],
    ['unblock', false],
  ] as const) {
    gate.command(command, (ctx) => {
      const target = ctx.args.length === 1 ? parseUserTarget(ctx.args[0]) : undefined;
      if (!target) return ctx.reply(ctx.t('admin.block.usage'));
      if (block && 'id' in target && gate.access.adminUserIds.has(target.id)) {
        return ctx.reply(ctx.t('admin.block.admin', { who: String(target.id) }));
      }
      ctx.enqueue({
        job: AdminBlockJob,
        payload: { target, block, lang: ctx.lang },
        chatId: ctx.chat.id,
        userId: ctx.from.id,
      });
    });
  }
}

/**
 * Lets nothing from a user an admin blocked reach the bot, in any chat: their private chat,
 * groups, buttons (`blocked` in the user's private-chat session, set by the `admin.block` job; in
 * another chat the webhook reads that session too, as `actorSession`). No reply, no job (not even
 * `user.seen` or the directory's `user.status`: the gate runs before them). The first message they
 * send in their private chat after the block is answered, once, that an admin blocked them
 * (`blockNoticed` is kept in the session, so later messages stay unanswered; blocking or
 * unblocking clears it); a button press is answered with a neutral text, so the client stops
 * spinning; nothing else is answered. Only `my_chat_member` (the user blocking or restarting the
 * bot) is recorded before the gate.
 */
export function blockGate(): Composer<BotContext> {
  const gate = new Composer<BotContext>();
  gate.use((ctx, next) => {
    if (!ctx.blocked) return next();
    if (ctx.callbackQuery) return ctx.answerCbQuery(ctx.t('admin.blocked_press'));
    if (ctx.message === undefined || ctx.chat?.type !== 'private' || ctx.session.blockNoticed) return undefined;
    ctx.session = { ...ctx.session, blockNoticed: true };
    return ctx.reply(ctx.t('admin.blocked_notice'));
  });
  return gate;
}
