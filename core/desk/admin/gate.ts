import { Composer, type MiddlewareFn, type NarrowedContext, type Types } from 'telegraf';
import type { User } from 'telegraf/types';
import type { JobDraft } from '../../platform/jobs/index.js';
import type { BotContext } from '../bot/index.js';
import type { ConversationKey } from '../i18n.js';

/** Who the admins are, and the one chat where they act as admins. */
export interface AdminAccess {
  adminChatId: number;
  adminUserIds: ReadonlySet<number>;
}

/** The context of an admin command: a text message with its command and arguments. */
export type AdminCommandContext = NarrowedContext<BotContext, Types.MountMap['text']> & Types.CommandContextExtn;
/** The context of an admin button: a callback query whose data matched the button's pattern. */
export type AdminButtonContext = NarrowedContext<BotContext, Types.MountMap['callback_query']> & {
  match: RegExpExecArray;
};

/**
 * The one gate of admin power in the webhook. Every admin command and button (broadcasts, the
 * admin desk, payout and deposit decisions) is registered on it with `command` or `action`, and
 * nowhere else; it runs the handler only for an admin (the acting user's id, `from.id`, is in
 * `ADMIN_USER_IDS`) writing or pressing in the admin chat. Membership of the admin chat proves
 * nothing. Anyone else queues nothing and changes nothing:
 * - a non-admin in the admin chat is told, politely, that only admins may do this;
 * - anyone, admins included, anywhere else meets the command as if it did not exist (it passes
 *   on: "not understood" in a private chat, silence in a group), so no other chat learns that
 *   admin commands exist or who the admins are;
 * - a button press is always answered (so the client stops spinning): "only admins" in the admin
 *   chat, "no longer valid" anywhere else.
 * The workers check the acting admin again (core/desk/admin/access.ts): the gate is not the only wall.
 */
export class AdminGate {
  readonly #desk = new Composer<BotContext>();

  constructor(readonly access: AdminAccess) {}

  /** The acting user is an admin (by user id, in any chat): e.g. for service credentials in a private chat. */
  isAdmin(ctx: BotContext): boolean {
    return ctx.from !== undefined && this.access.adminUserIds.has(ctx.from.id);
  }

  /** An admin writing or pressing in the admin chat: nobody else, nowhere else. */
  isAdminHere(ctx: BotContext): boolean {
    return ctx.chat?.id === this.access.adminChatId && this.isAdmin(ctx);
  }

  /** An admin command (`/name`), run only for an admin in the admin chat. */
  command(name: string, handler: MiddlewareFn<AdminCommandContext>): this {
    this.#desk.command(name, (ctx, next) => {
      if (this.isAdminHere(ctx)) return handler(ctx, next);
      if (ctx.chat.id === this.access.adminChatId) return ctx.reply(ctx.t('admin.not_admin'));
      return next();
    });
    return this;
  }

  /** An admin button (callback data matching `pattern`), run only for an admin pressing in the admin chat. */
  action(pattern: RegExp | string, handler: MiddlewareFn<AdminButtonContext>): this {
    this.#desk.action(pattern, (ctx, next) => {
      if (this.isAdminHere(ctx)) return handler(ctx, next);
      return ctx.answerCbQuery(ctx.t(ctx.chat?.id === this.access.adminChatId ? 'admin.not_admin' : 'button.stale'));
    });
    return this;
  }

  /** Mounts everything registered on the gate, including what is registered after mounting. */
  middleware(): MiddlewareFn<BotContext> {
    return (ctx, next) => this.#desk.middleware()(ctx, next);
  }
}

/** How a user is named in admin events: `@username`, else the first name (64 characters at most, never half an emoji). */
export const handleOf = (from: User): string =>
  [...(from.username ? `@${from.username}` : from.first_name)].slice(0, 64).join('');

/**
 * The approve/reject buttons under an admin event (a payout, a deposit), registered on the admin
 * gate with a pattern `<prefix>:(ok|no):<id>`: the press of an admin in the admin chat queues the
 * job `decide` makes, naming the acting admin (the worker checks them again) and bound to the admin
 * chat, where the worker reports what really happened (done, or decided before and how). The
 * pressed event's buttons leave the digest at once; the press is answered with `answer` ("deciding…"),
 * never with an outcome the webhook cannot know. Forged callback data from anyone else never gets here.
 */
export function decisionButtons(
  decide: (id: string, approve: boolean, admin: { id: number; name: string }) => Omit<JobDraft, 'chatId'>,
  answer: ConversationKey,
): MiddlewareFn<AdminButtonContext> {
  return async (ctx) => {
    const id = ctx.match[2]!;
    const approve = ctx.match[1] === 'ok';
    ctx.enqueue({ ...decide(id, approve, { id: ctx.from.id, name: handleOf(ctx.from) }), chatId: ctx.chat!.id });
    const message = ctx.callbackQuery.message;
    const keyboard = message && 'reply_markup' in message ? message.reply_markup?.inline_keyboard : undefined;
    if (keyboard) {
      const rest = keyboard
        .map((row) => row.filter((b) => !('callback_data' in b && b.callback_data.endsWith(`:${id}`))))
        .filter((row) => row.length > 0);
      await ctx.editMessageReplyMarkup(rest.length > 0 ? { inline_keyboard: rest } : undefined);
    }
    return ctx.answerCbQuery(ctx.t(answer));
  };
}
