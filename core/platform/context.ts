import { Context, Telegram } from 'telegraf';
import type { Update, UserFromGetMe } from 'telegraf/types';
import type { JobDraft } from './jobs/index.js';
import type { TelegramCall } from './telegram/index.js';

/**
 * A `Telegram` client that performs no I/O: every API call becomes a `TelegramCall` in the
 * turn's outbox, to be delivered after the session is committed (in the webhook response or
 * through the notify queue). Handlers therefore never see API results: anything that needs
 * a result (a sent message id, a chat lookup) belongs in a job.
 */
export class OutboxTelegram extends Telegram {
  constructor(
    apiRoot: string,
    private readonly outbox: TelegramCall[],
  ) {
    // It calls nothing, so it holds no token: the webhook serves bots whose tokens it never sees.
    super('outbox', { apiRoot, webhookReply: false });
  }

  override callApi: Telegram['callApi'] = (method, payload) => {
    this.outbox.push({ method: String(method), params: stripUndefined(payload) });
    // Handlers get no results; `true` is what Telegram returns for most calls.
    return Promise.resolve(true as never);
  };
}

function stripUndefined(payload: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
}

/**
 * The context every handler of a bot on the platform gets: telegraf's, plus the bot's session
 * (`S`, validated by the bot's own schema) and the jobs to enqueue. A bot extends it with what
 * its features need (a language, a translator…).
 */
export class PlatformContext<S extends object = Record<string, unknown>> extends Context {
  session = {} as S;
  /**
   * The acting user's own private-chat session, read only, when the update comes from another
   * chat (a group, a button under a group message); undefined in the private chat itself, where
   * `session` is that session.
   */
  actorSession: S | undefined;
  readonly jobs: JobDraft[] = [];

  constructor(update: Update, telegram: Telegram, botInfo: UserFromGetMe) {
    super(update, telegram, botInfo);
  }

  /** Queues a job to run after this update is committed. */
  enqueue<P>(draft: JobDraft<P>): void {
    this.jobs.push(draft as JobDraft);
  }
}
