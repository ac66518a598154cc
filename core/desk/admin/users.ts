import * as z from 'zod/mini';
import type { JobTranslate } from '../../desk/i18n.js';
import { PoisonJobError } from '../../platform/errors.js';
import { LANGUAGES } from '../../platform/i18n/index.js';
import {
  defineJob,
  emitFrom,
  handle,
  type JobEnvelope,
  type JobHandler,
  type JobQueue,
} from '../../platform/jobs/index.js';
import { amendSession, type SessionStore } from '../../platform/sessions/index.js';
import { notice } from '../../platform/telegram/index.js';
import { USERNAME, type UserDirectory, type UserRecord } from '../../platform/users/index.js';
import { jobTranslator } from '../i18n.js';
import type { Ledger } from '../ledger/index.js';
import { formatSol } from '../solana/index.js';
import type { WalletBook } from '../wallets/index.js';
import { assertAdmin } from './access.js';

/** Whom an admin means: a user id (a private chat's id is its user's), or a username. */
export const UserTargetSchema = z.union([
  z.object({ id: z.int().check(z.minimum(1)) }),
  z.object({ username: z.string().check(z.regex(USERNAME)) }),
]);
export type UserTarget = z.infer<typeof UserTargetSchema>;

/**
 * Reads what follows `/user`, `/block` or `/unblock`: digits are a user id, `@name` (or a bare
 * name, which cannot start with a digit) a username. Anything else is not a user.
 */
export function parseUserTarget(text: string | undefined): UserTarget | undefined {
  const value = text?.trim() ?? '';
  if (/^\d{1,16}$/.test(value)) {
    const id = Number(value);
    return Number.isSafeInteger(id) && id > 0 ? { id } : undefined;
  }
  const name = value.startsWith('@') ? value.slice(1) : value;
  return USERNAME.test(name) && !/^\d/.test(name) ? { username: name } : undefined;
}

/** How an admin refers to a target in a reply: `12345` or `@alice`. */
export function targetLabel(target: UserTarget): string {
  return 'id' in target ? String(target.id) : `@${target.username}`;
}

/**
 * `admin.user`: an admin's `/user` lookup, answered in the chat the job names (the admin chat), in
 * the admin's language.
 */
export const AdminUserJob = defineJob('admin.user', 'rpc', () =>
  z.object({ target: UserTargetSchema, lang: z.enum(LANGUAGES) }),
);

/**
 * `admin.block`: an admin's `/block` (`block: true`) or `/unblock`. Who may never be blocked (the
 * admins) is the worker's own list, not the job's (older jobs' `admins` field is ignored).
 */
export const AdminBlockJob = defineJob('admin.block', 'rpc', () =>
  z.object({ target: UserTargetSchema, block: z.boolean(), lang: z.enum(LANGUAGES) }),
);

/** What the admin desk's user jobs read and write: the directory, the webhook's sessions, the ledger and wallet book. */
export interface AdminUsersDeps {
  /** The admins (`ADMIN_USER_IDS`): only their jobs run, and they are never blocked. */
  admins: ReadonlySet<number>;
  directory: Pick<UserDirectory, 'get' | 'findByUsername' | 'setBlocked'>;
  /** The webhook's sessions: a block is a flag in the user's private-chat session. */
  sessions: SessionStore;
  ledger: Pick<Ledger, 'balance'>;
  wallets: Pick<WalletBook, 'list'>;
  queue: JobQueue;
  /** Attempts at the session write while the user's own updates keep winning the race (default 8). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** The key of a user's private-chat session (chat id = user id), as the webhook's processor forms it. */
export const privateSessionKey = (userId: number) => `${userId}:${userId}`;

/**
 * Sets or clears `blocked` in a user's private-chat session (`amendSession`: under the store's
 * optimistic lock, retried on a conflict, so the flag and whatever the user's own update wrote
 * both survive). Blocking a user whose session has expired starts one that is already `joined`
 * (they are in the directory), so their return is not announced as a new user. Returns false
 * when nothing needed writing.
 */
export function setSessionBlocked(
  deps: Pick<AdminUsersDeps, 'sessions' | 'maxAttempts' | 'sleep' | 'random'>,
  userId: number,
  blocked: boolean,
): Promise<boolean> {
  return amendSession(deps, privateSessionKey(userId), (data) => {
    if ((data?.blocked === true) === blocked) return undefined;
    // A new block (or an unblock) is told afresh: the notice flag goes with either.
    const { blocked: _, blockNoticed: __, ...rest } = data ?? {};
    if (!blocked) return rest;
    return data ? { ...rest, blocked: true } : { joined: true, blocked: true };
  });
}

/** `12345 (@alice)`, or the id alone: plain text, escaped by the jobTranslator like any parameter. */
function who(user: UserRecord): string {
  return user.username ? `${user.chatId} (@${user.username})` : String(user.chatId);
}

function statusOf(t: JobTranslate, user: UserRecord): string {
  const states: string[] = [];
  if (user.blocked) states.push(t('admin.user.status_blocked'));
  if (!user.active) states.push(t('admin.user.status_left'));
  return states.length > 0 ? states.join(', ') : t('admin.user.status_active');
}

/**
 * The admin desk's user jobs, run by the rpc worker (it reads the ledger and the wallet book).
 * A job not made by an admin (`assertAdmin`) is poison: parked, and nothing read or written.
 *
 * - `admin.user` answers with the user's id, username, language, status (active, blocked the
 *   bot, blocked by an admin), internal balance and verified wallets; an unknown id or username
 *   gets "no such user".
 * - `admin.block` marks the user blocked in the directory (broadcasts skip them) and sets the flag
 *   in their private-chat session (the webhook's `blockGate` then ignores them); unblocking clears
 *   both. An admin is never blocked. The blocked user is told once, by the webhook, when they next write. Both steps are idempotent and
 *   run in that order, so a redelivered job completes a half-done block; the confirmation goes to
 *   the admin chat once (its id derives from the job's).
 */
export function adminUserHandlers(deps: AdminUsersDeps): JobHandler[] {
  async function resolve(target: UserTarget): Promise<UserRecord | undefined> {
    return 'id' in target ? deps.directory.get(target.id) : deps.directory.findByUsername(target.username);
  }

  function reply(job: JobEnvelope, html: string): Promise<void> {
    if (job.chatId === null) throw new PoisonJobError('admin.no_chat', `${job.type} needs the chat to answer in`);
    return emitFrom(deps.queue, job, [notice(job.chatId, job.userId, html)]);
  }

  const lookup = handle(AdminUserJob, async (job) => {
    assertAdmin(deps.admins, job);
    const t = jobTranslator(job.payload.lang);
    const user = await resolve(job.payload.target);
    if (!user) return reply(job, t('admin.user.unknown', { target: targetLabel(job.payload.target) }));
    const [balance, wallets] = await Promise.all([deps.ledger.balance(user.chatId), deps.wallets.list(user.chatId)]);
    const lines = [
      t('admin.user.card', {
        id: user.chatId,
        username: user.username ? `@${user.username}` : '—',
        lang: user.lang ? jobTranslator(user.lang)('lang.name') : '—',
        status: statusOf(t, user),
        balance: formatSol(balance),
        count: wallets.length,
      }),
      ...wallets.map((address) => t('admin.user.wallet', { address })),
    ];
    return reply(job, lines.join('\n'));
  });

  const block = handle(AdminBlockJob, async (job, log) => {
    assertAdmin(deps.admins, job);
    const { target, lang } = job.payload;
    const t = jobTranslator(lang);
    const user = await resolve(target);
    if (!user) return reply(job, t('admin.user.unknown', { target: targetLabel(target) }));
    if (job.payload.block && deps.admins.has(user.chatId))
      return reply(job, t('admin.block.admin', { who: who(user) }));
    // Unknown by now only if the entry vanished since it was read: then there is nobody to block.
    if (!(await deps.directory.setBlocked(user.chatId, job.payload.block))) {
      return reply(job, t('admin.user.unknown', { target: targetLabel(target) }));
    }
    const changed = await setSessionBlocked(deps, user.chatId, job.payload.block);
    log.info(job.payload.block ? 'admin.user_blocked' : 'admin.user_unblocked', {
      userId: user.chatId,
      by: job.userId,
      sessionChanged: changed,
    });
    return reply(
      job,
      job.payload.block
        ? t('admin.block.done', { who: who(user), id: user.chatId })
        : t('admin.unblock.done', { who: who(user) }),
    );
  });

  return [lookup, block] as JobHandler[];
}
