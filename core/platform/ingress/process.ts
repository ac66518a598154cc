import { SessionConflictError, TransientError } from '../errors.js';
import { type JobDraft, type JobQueue, sealJobs } from '../jobs/index.js';
import type { Logger } from '../log.js';
import type { Outbox, SessionStore, UpdateLedger } from '../sessions/index.js';
import { MESSAGE_METHODS, planDelivery, type TelegramCall, TelegramSendJob, targetChat } from '../telegram/index.js';
import type { TenantId } from '../tenants/index.js';
import type { ReplyPacer, ReplyRoute } from './reply-pace.js';
import type { ValidUpdate } from './update.js';

/** What the bot decided for one update, with no effect performed yet. */
export interface Turn {
  session: unknown;
  calls: TelegramCall[];
  jobs: JobDraft[];
}

/**
 * Runs the bot on an update and the session as loaded; must be free of side effects.
 * `actorSession` is the acting user's own private-chat session, read only, given when the update's
 * chat is another one (a group): what the user is (e.g. blocked) must hold in every chat.
 */
export type TurnRunner = (update: ValidUpdate, session: unknown, actorSession?: unknown) => Promise<Turn>;

export interface ProcessResult {
  /** The Bot API call to return in the webhook response, if any. */
  reply?: TelegramCall;
  /** True when this update had already been applied (a redelivery). */
  duplicate: boolean;
}

export interface UpdateProcessorDeps {
  /** The bot whose update this is: every job it produces carries it. */
  tenant: TenantId;
  sessions: SessionStore;
  ledger: UpdateLedger;
  queue: JobQueue;
  runTurn: TurnRunner;
  /**
   * Keeps the chat's rate for the webhook response (see `createReplyPacer`); without it, a
   * message reply always rides in the response.
   */
  pacer?: ReplyPacer;
  log: Logger;
  /** Attempts when another update of the same session commits first. */
  maxAttempts?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * Applies one Telegram update exactly once.
 *
 * 1. Load the session (a failure here is transient: nothing has happened yet). When the chat is
 *    not the user's private chat, also load (once, alongside) the user's private-chat session,
 *    `<userId>:<userId>`, which the bot reads but never writes here: no extra read on the
 *    private-chat path.
 * 2. If the session already records this update id, it is a redelivery: re-send its stored
 *    jobs (same ids, so consumers drop repeats) and return its stored reply.
 * 3. Run the bot; all effects are buffered. A new message goes in the response only if the chat's
 *    slot is free now (the `pacer`), else through the notify queue.
 * 4. Save the session with its update id and effects, conditional on the version read; if
 *    another update won the race, go back to 1 (optimistic locking, bounded with jitter).
 * 5. Send the jobs. If that fails the caller answers 5xx, and the redelivery takes path 2.
 */
export function createUpdateProcessor(deps: UpdateProcessorDeps) {
  const maxAttempts = deps.maxAttempts ?? 50;
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;

  /**
   * The turn's effects as an outbox: one call for the webhook response, the rest in one notify job.
   * A new message to the update's chat goes in the response only when the pacer says so (the chat's
   * slot is free and nothing this session queued, `waitingFor`, is still waiting); `decided` keeps
   * its answer across the attempts of one update (a slot once taken is ours). `repliesQueued`: the
   * job carries new messages to the chat, which the session records so later replies follow them.
   */
  async function toOutbox(
    update: ValidUpdate,
    turn: Turn,
    decided: { route?: ReplyRoute },
    waitingFor?: number,
  ): Promise<{ outbox: Outbox; repliesQueued: boolean }> {
    let { reply, queued } = planDelivery(turn.calls);
    const chat = update.chatId;
    const paced = (call: TelegramCall) => MESSAGE_METHODS.has(call.method) && targetChat(call) === chat;
    if (deps.pacer && chat !== null && reply !== undefined && paced(reply)) {
      decided.route = decided.route === 'response' ? 'response' : await deps.pacer(chat, waitingFor);
      if (decided.route === 'queue') ({ reply, queued } = planDelivery(turn.calls, { messageReply: false }));
    }
    const repliesQueued = deps.pacer !== undefined && queued.some(paced);
    const drafts = [...turn.jobs];
    if (queued.length > 0) {
      drafts.unshift({
        job: TelegramSendJob,
        payload: repliesQueued ? { calls: queued, update: update.updateId } : { calls: queued },
        chatId: update.chatId,
        userId: update.userId,
      });
    }
    const traceId = `u${update.updateId}`;
    const jobs = sealJobs(drafts, { idPrefix: traceId, traceId, tenant: deps.tenant, now: now() });
    return { outbox: reply ? { jobs, reply } : { jobs }, repliesQueued };
  }

  async function emit(outbox: Outbox): Promise<void> {
    if (outbox.jobs.length > 0) await deps.queue.send(outbox.jobs);
  }

  async function processSessionless(update: ValidUpdate): Promise<ProcessResult> {
    const { outbox } = await toOutbox(update, await deps.runTurn(update, undefined), {});
    if (outbox.jobs.length === 0 && !outbox.reply) return { duplicate: false };
    const claim = await deps.ledger.claim(update.updateId, outbox);
    const effective = claim.duplicate ? claim.outbox : outbox;
    await emit(effective);
    return { reply: effective.reply, duplicate: claim.duplicate };
  }

  return async function process(update: ValidUpdate): Promise<ProcessResult> {
    const log = deps.log.child({ correlationId: `u${update.updateId}` });
    if (update.chatId === null || update.userId === null) return processSessionless(update);
    const key = `${update.chatId}:${update.userId}`;
    const actorKey = update.chatId === update.userId ? undefined : `${update.userId}:${update.userId}`;
    let actor: Promise<unknown> | undefined;
    const decided: { route?: ReplyRoute } = {};
    for (let attempt = 1; ; attempt++) {
      actor ??= actorKey === undefined ? undefined : deps.sessions.load(actorKey).then((s) => s.data);
      const [snapshot, actorSession] = await Promise.all([deps.sessions.load(key), actor]);
      const previous = snapshot.processed.find((entry) => entry.updateId === update.updateId);
      if (previous) {
        log.info('update.duplicate', { updateId: update.updateId });
        if (previous.outbox) await emit(previous.outbox);
        return { reply: previous.outbox?.reply, duplicate: true };
      }
      const turn = await deps.runTurn(update, snapshot.data, actorSession);
      const waitingFor = snapshot.processed.findLast((entry) => entry.repliesQueued)?.updateId;
      const { outbox, repliesQueued } = await toOutbox(update, turn, decided, waitingFor);
      try {
        await deps.sessions.save({
          key,
          data: turn.session,
          expectedVersion: snapshot.version,
          update: { updateId: update.updateId, outbox, ...(repliesQueued && { repliesQueued }) },
          processed: snapshot.processed,
        });
      } catch (error) {
        if (!(error instanceof SessionConflictError)) throw error;
        if (attempt >= maxAttempts) {
          throw new TransientError('session.contended', `Session ${key} stayed contended`, { cause: error });
        }
        await sleep(random() * Math.min(200, 5 * 2 ** attempt));
        continue;
      }
      await emit(outbox);
      if (attempt > 1) log.info('session.retried', { attempts: attempt });
      return { reply: outbox.reply, duplicate: false };
    }
  };
}
export type UpdateProcessor = ReturnType<typeof createUpdateProcessor>;
