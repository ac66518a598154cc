import type { User } from 'telegraf/types';
import type { MessageKey } from '../i18n.js';
import type { JobDraft } from '../jobs/envelope.js';
import type { BotContext } from './context.js';

/** Who the admins are, and the one chat where they act as admins. */
export interface AdminAccess {
  adminChatId: number;
  adminUserIds: ReadonlySet<number>;
}

/** An admin (`ADMIN_USER_IDS`) writing or pressing in the admin chat: nobody else, nowhere else. */
export function isAdminHere(ctx: BotContext, access: AdminAccess): boolean {
  return ctx.chat?.id === access.adminChatId && ctx.from !== undefined && access.adminUserIds.has(ctx.from.id);
}

/** How a user is named in admin events: `@username`, else the first name (64 characters at most, never half an emoji). */
export const handleOf = (from: User): string =>
  [...(from.username ? `@${from.username}` : from.first_name)].slice(0, 64).join('');

/**
 * The approve/reject buttons under an admin event (a payout, a deposit), matched by `pattern`
 * (`<prefix>:(ok|no):<id>`). A press from an admin in the admin chat queues the job `decide` makes
 * and is answered with `answer`; any other press (someone else in the admin chat, forged data in
 * another chat) queues nothing and is answered politely, so forged callback data cannot act.
 */
export function decisionButtons(
  access: AdminAccess,
  decide: (id: string, approve: boolean, admin: { id: number; name: string }) => JobDraft,
  answer: { approve: MessageKey; reject: MessageKey },
) {
  return (ctx: BotContext & { match: RegExpExecArray }) => {
    if (!isAdminHere(ctx, access)) {
      return ctx.answerCbQuery(ctx.t(ctx.chat?.id === access.adminChatId ? 'payout.not_admin' : 'button.stale'));
    }
    const approve = ctx.match[1] === 'ok';
    ctx.enqueue(decide(ctx.match[2]!, approve, { id: ctx.from!.id, name: handleOf(ctx.from!) }));
    return ctx.answerCbQuery(ctx.t(approve ? answer.approve : answer.reject));
  };
}
