import { Composer } from 'telegraf';
import { AdminBlockJob, AdminUserJob, parseUserTarget } from '../admin/users.js';
import type { AdminDeskOptions } from './admin.js';
import { isAdminHere } from './admin-access.js';
import type { BotContext } from './context.js';

/**
 * `/user <id or @name>` looks a user up; `/block <id or @name>` and `/unblock …` block and
 * unblock one. Taken only from an admin in the admin chat; for anyone else (or anywhere else)
 * these commands pass on untouched and meet the bot's usual "not understood" (or, in a group,
 * silence), so they give no hint that they exist. The lookup and the block run as jobs
 * (`admin.user`, `admin.block`: the rpc worker reads the ledger and writes the user's session) and
 * answer in the admin chat in the admin's language. An admin's own id is refused at once; one
 * reached through a username is refused by the job.
 */
export function adminUsers(options: AdminDeskOptions): Composer<BotContext> {
  const desk = new Composer<BotContext>();
  const adminHere = (ctx: BotContext) => isAdminHere(ctx, options);

  desk.command('user', (ctx, next) => {
    if (!adminHere(ctx)) return next();
    const target = ctx.args.length === 1 ? parseUserTarget(ctx.args[0]) : undefined;
    if (!target) return ctx.reply(ctx.t('admin.user.usage'));
    ctx.enqueue({ job: AdminUserJob, payload: { target, lang: ctx.lang }, chatId: ctx.chat.id, userId: ctx.from.id });
  });

  for (const [command, block] of [
    ['block', true],
    ['unblock', false],
  ] as const) {
    desk.command(command, (ctx, next) => {
      if (!adminHere(ctx)) return next();
      const target = ctx.args.length === 1 ? parseUserTarget(ctx.args[0]) : undefined;
      if (!target) return ctx.reply(ctx.t('admin.block.usage'));
      if (block && 'id' in target && options.adminUserIds.has(target.id)) {
        return ctx.reply(ctx.t('admin.block.admin', { who: String(target.id) }));
      }
      ctx.enqueue({
        job: AdminBlockJob,
        payload: { target, block, lang: ctx.lang, admins: [...options.adminUserIds] },
        chatId: ctx.chat.id,
        userId: ctx.from.id,
      });
    });
  }
  return desk;
}

/**
 * Lets nothing from a session an admin blocked (`blocked` in the user's private-chat session, set
 * by the `admin.block` job) reach the bot: no reply, no job, no state change beyond what the
 * directory middleware before it records. A button press is still answered, with a neutral text,
 * so the client stops spinning; the user is never told they are blocked. The flag lives in the
 * private chat's session only: a blocked user's commands in a group are not stopped here.
 */
export function blockGate(): Composer<BotContext> {
  const gate = new Composer<BotContext>();
  gate.use((ctx, next) => {
    if (ctx.session.blocked !== true) return next();
    if (ctx.callbackQuery) return ctx.answerCbQuery(ctx.t('admin.blocked_press'));
    return undefined;
  });
  return gate;
}
