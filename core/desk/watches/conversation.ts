import { Composer } from 'telegraf';
import { amountProblemText } from '../amounts.js';
import type { BotContext } from '../bot/index.js';
import { type AmountLimits, type AmountParse, checkAddress, LAMPORTS_PER_SOL, parseAmount } from '../solana/index.js';
import { addressProblemReply } from '../wallets/index.js';
import { WATCH_CALLBACK, WatchAddJob, WatchListJob, WatchRemoveJob } from './jobs.js';

const HTML = { parse_mode: 'HTML' } as const;
/** "0", "0.0", "0,00"…: no threshold, every change counts. */
const ZERO = /^0{1,11}(?:[.,]0{1,9})?$/;

/** A watch threshold: from one lamport to a billion SOL (more than there is). */
export const THRESHOLD_LIMITS: AmountLimits = { minLamports: 1n, maxLamports: 1_000_000_000n * LAMPORTS_PER_SOL };

/**
 * A threshold typed by the user, in SOL ("0.5", "1,5"), to lamports: absent or zero means every
 * change (0n); otherwise {@link parseAmount}'s answer, with its reason when it is not an amount.
 */
export function parseThreshold(text: string | undefined): AmountParse {
  if (text === undefined || ZERO.test(text.normalize('NFKC').trim())) return { ok: true, lamports: 0n };
  return parseAmount(text, THRESHOLD_LIMITS);
}

/**
 * Watch alerts. `/watch <address> [SOL]` (an optional trailing "SOL" is allowed) watches any
 * Solana address, the user's own or not: the syntax of the address and the threshold is checked
 * here (no RPC), then `watch.add` stores the watch with the user's language and confirms it, or
 * says the limit is reached. `/watches` asks `watch.list` for the list with a Remove button per
 * watch; a press queues `watch.remove`, which checks the button's watch id against the store and
 * edits the list in place. Every press is answered here, at once.
 *
 * Watches belong to a user and live in their private chat; in a group, a command addressed to the
 * bot is told so (telegraf ignores commands addressed to another bot).
 */
export function watchCommands(): Composer<BotContext> {
  const watches = new Composer<BotContext>();

  watches.command('watch', (ctx) => {
    if (ctx.chat.type !== 'private') return ctx.reply(ctx.t('watch.private'));
    const args = ctx.args.length === 3 && ctx.args[2]?.toLowerCase() === 'sol' ? ctx.args.slice(0, 2) : ctx.args;
    const [text, amount] = args;
    if (text === undefined || args.length > 2) return ctx.reply(ctx.t('watch.usage'), HTML);
    const check = checkAddress(text);
    if (!check.ok) return addressProblemReply(ctx, text, check.problem);
    const threshold = parseThreshold(amount);
    if (!threshold.ok)
      return ctx.reply(amountProblemText(ctx.t, threshold.problem, amount ?? '', THRESHOLD_LIMITS), HTML);
    ctx.enqueue({
      job: WatchAddJob,
      payload: { address: check.address, thresholdLamports: threshold.lamports.toString(), lang: ctx.lang },
      chatId: ctx.chat.id,
      userId: ctx.from.id,
    });
  });

  watches.command('watches', (ctx) => {
    if (ctx.chat.type !== 'private') return ctx.reply(ctx.t('watch.private'));
    ctx.enqueue({ job: WatchListJob, payload: { lang: ctx.lang }, chatId: ctx.chat.id, userId: ctx.from.id });
  });

  watches.action(WATCH_CALLBACK.pattern, (ctx) => {
    if (ctx.chat?.type !== 'private') return ctx.answerCbQuery(ctx.t('button.stale'));
    const messageId = ctx.callbackQuery.message?.message_id;
    ctx.enqueue({
      job: WatchRemoveJob,
      payload: { watch: ctx.match[1]!, lang: ctx.lang, ...(messageId === undefined ? {} : { messageId }) },
      chatId: ctx.chat.id,
      userId: ctx.from.id,
    });
    return ctx.answerCbQuery();
  });
  return watches;
}
