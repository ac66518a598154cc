import * as z from 'zod/mini';
import { TransientError } from '../../platform/errors.js';
import { escapeHtml } from '../../platform/i18n/index.js';
import { handle, JobDeferredError, type JobEnvelope } from '../../platform/jobs/index.js';
import type { Logger } from '../../platform/log.js';
import { TELEGRAM_LIMITS } from '../../platform/settings.js';
import type { Deliver, TelegramCall } from '../../platform/telegram/index.js';
import { type AdminEvent, AdminEventJob, type AdminEventKind } from './events.js';

/** An event as a digest keeps it: the event, its job id (for idempotency) and when it happened. */
export const DigestEntrySchema = z.object({
  id: z.string(),
  at: z.number(),
  event: AdminEventJob.payload,
});
export type DigestEntry = z.infer<typeof DigestEntrySchema>;

/** The events of one window, who opened it (and so must flush it), and whether it was sealed. */
export interface DigestWindow {
  readonly events: DigestEntry[];
  readonly opener: string;
  /** When the first event was appended (ms). */
  readonly openedAt: number;
  readonly sealed: boolean;
}

export type AppendResult =
  | { readonly outcome: 'appended' | 'present'; readonly window: DigestWindow }
  | { readonly outcome: 'sealed' | 'full' };

/**
 * Digest windows, shared by every notify container. A window collects events until it is
 * sealed; an event is in at most one window (appending is idempotent by job id), and an event
 * appended is in the digest if and only if it was appended before the seal.
 */
export interface DigestStore {
  /**
   * Adds `entry` to window `key` unless it is sealed or holds `maxEvents` already. The first
   * appender of a window becomes its opener. `present`: the entry was already there.
   */
  append(key: string, entry: DigestEntry, maxEvents: number): Promise<AppendResult>;
  /** Seals the window (once; later appends go elsewhere) and returns what it holds. */
  seal(key: string): Promise<DigestWindow>;
}

export interface DigestOptions {
  store: DigestStore;
  deliver: Deliver;
  adminChatId: number;
  /** Window length (the seeds ask for every 5 s). */
  windowMs: number;
  /** Events per window before it spills into another shard of the same window. */
  maxEvents?: number;
  now?: () => number;
}

const ICONS: Record<AdminEventKind, string> = {
  'user.new': '👤',
  'wallet.verified': '✅',
  'deposit.found': '💰',
  'deposit.confirmed': '🟢',
  'deposit.rejected': '🔴',
  'deposit.unattributed': '❓',
  'withdrawal.requested': '💸',
  'withdrawal.approved': '👍',
  'withdrawal.rejected': '🚫',
  'withdrawal.paid': '✅',
  'withdrawal.failed': '❌',
  'withdrawal.cancelled': '↩️',
  'decision.ignored': 'ℹ️',
  error: '⚠️',
};
const TITLES: Record<AdminEventKind, string> = {
  'user.new': 'New users',
  'wallet.verified': 'Wallets verified',
  'deposit.found': 'Deposits',
  'deposit.confirmed': 'Deposits confirmed',
  'deposit.rejected': 'Deposits rejected',
  'deposit.unattributed': 'Transfers to the treasury with no known reference (not credited)',
  'withdrawal.requested': 'Withdrawals requested',
  'withdrawal.approved': 'Withdrawals approved',
  'withdrawal.rejected': 'Withdrawals rejected',
  'withdrawal.paid': 'Withdrawals paid',
  'withdrawal.failed': 'Withdrawals failed',
  'withdrawal.cancelled': 'Withdrawals cancelled by their users',
  'decision.ignored': 'Decisions that changed nothing',
  error: 'Errors',
};
/** Telegram shows at most about 100 buttons under one message. */
const MAX_BUTTONS = 90;
const MAX_SHARDS = 50;

/** Long values (addresses, signatures) shortened to their ends, as wallets show them. */
const shorten = (value: string) => (value.length > 20 ? `${value.slice(0, 6)}…${value.slice(-6)}` : value);

/** One event as one digest line: its facts, every value escaped (and shortened when compact). */
function line(event: AdminEvent, compact: boolean): string {
  const facts = event.facts.map(
    ([name, value]) => `${escapeHtml(name)} <code>${escapeHtml(compact ? shorten(value) : value)}</code>`,
  );
  return `${ICONS[event.kind]} ${facts.join(' · ') || escapeHtml(event.kind)}`;
}

/** Characters Telegram counts in an HTML text: tags are not text, an entity is one character. */
export function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, '').replace(/&#?[a-zA-Z0-9]+;/g, '_').length;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/**
 * The digest of a window as `sendMessage` calls to the admin chat: events grouped by kind (in
 * order of first appearance, each group in time order), split into messages of at most 4,096
 * characters at line boundaries, each message carrying the buttons of the events it shows.
 * Values are shown in full when the digest fits one message, shortened to their ends otherwise.
 */
export function digestMessages(
  events: readonly DigestEntry[],
  adminChatId: number,
  window: { from: number; to: number },
  max: number = TELEGRAM_LIMITS.maxTextLength,
): TelegramCall[] {
  const full = layout(events, adminChatId, window, max, false);
  return full.length === 1 ? full : layout(events, adminChatId, window, max, true);
}

function layout(
  events: readonly DigestEntry[],
  adminChatId: number,
  window: { from: number; to: number },
  max: number,
  compact: boolean,
): TelegramCall[] {
  const sorted = [...events].sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
  const kinds = [...new Set(sorted.map((e) => e.event.kind))];
  const header = `<b>📋 Admin digest</b> · ${clock(window.from)}–${clock(window.to)} UTC · ${events.length} event${events.length === 1 ? '' : 's'}`;
  const messages: { lines: string[]; buttons: { text: string; callback_data: string }[][] }[] = [];
  let current = { lines: [header], buttons: [] as { text: string; callback_data: string }[][] };
  const length = (lines: string[]) => visibleLength(lines.join('\n'));
  const push = (text: string, buttons: { text: string; callback_data: string }[] = []) => {
    const full = length([...current.lines, text]) > max;
    const crowded = current.buttons.flat().length + buttons.length > MAX_BUTTONS;
    if (full || crowded) {
      messages.push(current);
      current = { lines: [`<b>📋 Admin digest</b> (continued)`], buttons: [] };
    }
    current.lines.push(text);
    if (buttons.length > 0) current.buttons.push(buttons);
  };
  for (const kind of kinds) {
    const group = sorted.filter((e) => e.event.kind === kind);
    push(`\n<b>${TITLES[kind]} · ${group.length}</b>`);
    for (const entry of group) {
      push(
        line(entry.event, compact),
        (entry.event.actions ?? []).map((a) => ({ text: a.text, callback_data: a.data })),
      );
    }
  }
  messages.push(current);
  return messages.map((m) => ({
    method: 'sendMessage',
    params: {
      chat_id: adminChatId,
      text: m.lines.join('\n'),
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      ...(m.buttons.length > 0 ? { reply_markup: { inline_keyboard: m.buttons } } : {}),
    },
  }));
}

/**
 * `admin.event`: batches events into one digest per window.
 *
 * Each event joins the window of its creation time (so a redelivered job looks in the same
 * place); if that window was already sealed, a late shard of it, which collects for one more
 * window before it is sent. The job that opened a window
 * comes back when the window ends (by visibility delay, holding no container), seals it and
 * sends its digest; a redelivery of that job resumes the digest where it stopped (the sender's
 * progress is keyed by the window). If the opener is ever lost (parked after its retries), its
 * window's events stay in the table, unsent: the DLQ alarm tells admins.
 */
export function adminDigestHandler(options: DigestOptions) {
  const now = options.now ?? Date.now;
  const maxEvents = options.maxEvents ?? 300;

  async function place(job: JobEnvelope<AdminEvent>): Promise<{ key: string; start: number; window: DigestWindow }> {
    const entry: DigestEntry = { id: job.id, at: Date.parse(job.createdAt), event: job.payload };
    const start = Math.floor(entry.at / options.windowMs) * options.windowMs;
    // A shard sealed or full sends the event to the next shard of the same window; a shard
    // created after its window ended is flushed at once by its opener.
    for (let shard = 0; shard < MAX_SHARDS; shard++) {
      const key = `${start}.${shard}`;
      const result = await options.store.append(key, entry, maxEvents);
      if (result.outcome === 'appended' || result.outcome === 'present') return { key, start, window: result.window };
    }
    throw new TransientError('admin.digest_full', `Every shard of digest window ${start} is sealed or full`);
  }

  async function flush(key: string, start: number, log: Logger): Promise<void> {
    const window = await options.store.seal(key);
    const calls = digestMessages(window.events, options.adminChatId, { from: start, to: start + options.windowMs });
    const report = await options.deliver(`digest.${key}`, calls, log);
    if (!report.repeat)
      log.info('admin.digest_sent', { window: key, events: window.events.length, messages: calls.length });
  }

  return handle(AdminEventJob, async (job, log) => {
    const { key, start, window } = await place(job);
    if (window.opener !== job.id) return;
    // A shard opened after its window ended (the worker lagging behind) collects for a window
    // of its own, so a backlog still comes out as one digest, not one message per batch.
    const end = window.openedAt >= start + options.windowMs ? window.openedAt : start;
    const wait = end + options.windowMs - now();
    if (wait > 0) {
      throw new JobDeferredError('admin.digest_open', 'The digest window is still open', wait / 1000);
    }
    await flush(key, start, log);
  });
}
