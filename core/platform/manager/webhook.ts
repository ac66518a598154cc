import { type Language, pickLanguage, translators } from '../i18n/index.js';
import type { ProcessResult, UpdateProcessor, ValidUpdate } from '../ingress/index.js';
import { type JobDraft, type JobQueue, sealJobs } from '../jobs/index.js';
import { sealForIntake } from '../keys/index.js';
import type { Logger } from '../log.js';
import { notice, type TelegramCall, TelegramSendJob } from '../telegram/index.js';
import { type TenantId, TenantIdSchema } from '../tenants/index.js';
import { managerMessages } from './catalog.js';
import { tokenIntakeContext } from './intake.js';
import { BotListJob, BotOnboardJob, BotRemoveJob, BotsUsageJob } from './jobs.js';
import { findBotToken } from './token.js';

// The webhook says only these texts (the quota texts of /usage are the notify worker's).
const texts = /* @__PURE__ */ translators([managerMessages]);

/** Callback data of the manager's buttons: confirm removing a bot, or keep it. */
const REMOVE_DATA = /^mgr:rm:([1-9]\d{0,19})$/;
const KEEP_DATA = 'mgr:keep';
const COMMAND = /^\/(addbot|mybots|usage|removebot)(?:@\w+)?(?:\s+(\S+))?\s*$/;

interface MessageLike {
  readonly message_id: number;
  readonly chat: { readonly id: number; readonly type: string };
  readonly from?: { readonly id: number; readonly language_code?: string };
  readonly text?: string;
  readonly caption?: string;
}
interface CallbackLike {
  readonly id: string;
  readonly from: { readonly id: number; readonly language_code?: string };
  readonly data?: string;
  readonly message?: { readonly message_id: number; readonly chat: { readonly id: number } };
}

export interface TokenGuardDeps {
  /** The bot whose updates these are: the jobs carry it. */
  readonly tenant: TenantId;
  readonly queue: JobQueue;
  /** The manager bot's username, named in the refusal. */
  readonly manager: string;
  readonly log?: Logger;
  readonly now?: () => Date;
}

export interface ManagerDeps extends TokenGuardDeps {
  /** The intake key's public key (SPKI DER): tokens are sealed to it here, opened only by the onboarding worker. */
  readonly intakePublicKey: Uint8Array;
}

/** The message of a message or edited-message update, if that is what it is. */
function messageOf(update: ValidUpdate): MessageLike | undefined {
  return update.kind === 'message' || update.kind === 'edited_message'
    ? (update.update[update.kind] as MessageLike)
    : undefined;
}

function send(update: ValidUpdate, drafts: readonly JobDraft[], deps: TokenGuardDeps): Promise<ProcessResult> {
  const traceId = `u${update.updateId}`;
  const now = (deps.now ?? (() => new Date()))();
  return deps.queue
    .send(sealJobs(drafts, { idPrefix: traceId, traceId, tenant: deps.tenant, now }))
    .then(() => ({ duplicate: false }));
}

/** Delete the message, then say `html`: one notify job, so the two go in that order. */
function deleteAndSay(message: MessageLike, html: string): JobDraft {
  const chat_id = message.chat.id;
  const calls: TelegramCall[] = [
    { method: 'deleteMessage', params: { chat_id, message_id: message.message_id } },
    { method: 'sendMessage', params: { chat_id, text: html, parse_mode: 'HTML' } },
  ];
  return { job: TelegramSendJob, payload: { calls }, chatId: chat_id, userId: message.from?.id ?? null };
}

const languageOf = (from: { language_code?: string } | undefined): Language =>
  pickLanguage(undefined, from?.language_code);

/**
 * A bot token in a message (text or caption, sent or edited) to a bot that does not take tokens
 * there: the message is deleted and the chat told why, and the bot never sees it, so the token
 * reaches no session, queue or log in the clear. Every other update goes to `process`.
 */
export function refuseBotTokens(process: UpdateProcessor, deps: TokenGuardDeps): UpdateProcessor {
  return async (update) => {
    const message = messageOf(update);
    if (!message || !findBotToken(message.text ?? message.caption)) return process(update);
    deps.log?.warn('manager.token_refused', { chatType: message.chat.type });
    const t = texts(languageOf(message.from));
    return send(update, [deleteAndSay(message, t('manager.token.elsewhere', { manager: deps.manager }))], deps);
  };
}

/**
 * The manager bot: the deployment's own bot, for operators, in their private chat with it.
 * A message that is a bot token (alone, perhaps followed by `payouts`) is deleted at once, sealed
 * to the intake key for its sender and queued as `manager.onboard`; `/addbot` explains, `/mybots`
 * and `/usage` are answered by the notify worker, `/removebot <id>` asks for a confirmation whose
 * button queues `manager.remove`. A token anywhere else (a group, with other words, an edit, a
 * caption) is deleted and refused. The bot behind (the desk) sees none of this.
 */
export function manageBots(process: UpdateProcessor, deps: ManagerDeps): UpdateProcessor {
  const guarded = refuseBotTokens(process, deps);
  return async (update) => {
    if (update.kind === 'callback_query') return pressed(update) ?? process(update);
    const message = messageOf(update);
    const userId = message?.from?.id;
    if (!message || userId === undefined || message.chat.id !== userId) return guarded(update);
    const lang = languageOf(message.from);
    const t = texts(lang);
    const chatId = message.chat.id;
    const found = findBotToken(message.text ?? message.caption);
    if (found) {
      if (found.kind === 'embedded' || update.kind !== 'message' || message.text === undefined) {
        deps.log?.warn('manager.token_refused', { chatType: 'private' });
        return send(update, [deleteAndSay(message, t('manager.token.embedded'))], deps);
      }
      const sealed = sealForIntake(deps.intakePublicKey, found.token, tokenIntakeContext(userId));
      deps.log?.info('manager.token_sealed', { payouts: found.payouts });
      return send(
        update,
        [
          deleteAndSay(message, t('manager.token.received')),
          { job: BotOnboardJob, payload: { sealed, payouts: found.payouts, lang }, chatId, userId },
        ],
        deps,
      );
    }
    const command = update.kind === 'message' ? COMMAND.exec(message.text ?? '') : null;
    if (!command) return process(update);
    const [, name, argument] = command;
    switch (name) {
      case 'addbot':
        return send(update, [notice(chatId, userId, t('manager.addbot'))], deps);
      case 'mybots':
        return send(update, [{ job: BotListJob, payload: { lang }, chatId, userId }], deps);
      case 'usage':
        return send(update, [{ job: BotsUsageJob, payload: { lang }, chatId, userId }], deps);
      default: {
        const botId = TenantIdSchema.safeParse(argument);
        if (!botId.success) return send(update, [notice(chatId, userId, t('manager.remove.usage'))], deps);
        const buttons = [
          { text: t('manager.remove.yes'), data: `mgr:rm:${botId.data}` },
          { text: t('manager.remove.no'), data: KEEP_DATA },
        ];
        return send(update, [notice(chatId, userId, t('manager.remove.confirm', { id: botId.data }), buttons)], deps);
      }
    }
  };

  /** A press of the manager's buttons in a private chat, or undefined (the bot's own button). */
  function pressed(update: ValidUpdate): Promise<ProcessResult> | undefined {
    const query = update.update.callback_query as CallbackLike;
    const data = query.data ?? '';
    const remove = REMOVE_DATA.exec(data);
    if (!remove && data !== KEEP_DATA) return undefined;
    const chatId = query.message?.chat.id;
    const userId = query.from.id;
    if (chatId === undefined || query.message === undefined || chatId !== userId) return undefined;
    const lang = languageOf(query.from);
    const t = texts(lang);
    const botId = remove?.[1];
    const html = botId === undefined ? t('manager.remove.kept') : t('manager.remove.working', { id: botId });
    // Who presses is who asks: the worker removes the bot only if they operate it.
    const calls: TelegramCall[] = [
      { method: 'answerCallbackQuery', params: { callback_query_id: query.id } },
      {
        method: 'editMessageText',
        params: { chat_id: chatId, message_id: query.message.message_id, text: html, parse_mode: 'HTML' },
      },
    ];
    const drafts: JobDraft[] = [{ job: TelegramSendJob, payload: { calls }, chatId, userId }];
    if (botId !== undefined) drafts.push({ job: BotRemoveJob, payload: { botId, lang }, chatId, userId });
    return send(update, drafts, deps);
  }
}
