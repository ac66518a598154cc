import { Composer } from 'telegraf';
import type { Message } from 'telegraf/types';
import { escapeHtml } from '../../platform/i18n/index.js';
import type { BotContext, SessionData } from '../bot/index.js';
import { replaceScreen, showScreen } from '../screens.js';
import { type AddressProblem, checkAddress, type KnownNonWallet, knownNonWallet } from '../solana/index.js';
import { WalletBalanceJob, WalletUnlinkJob, WalletVerifyJob } from './jobs.js';
import {
  removeConfirmScreen,
  renamePromptScreen,
  WALLET_ACTION_CODES,
  WALLET_CALLBACK,
  type WalletAction,
  walletScreen,
  walletsScreen,
} from './screens.js';
import { type LinkedWallet, MAX_LABEL_CHARS, MAX_WALLETS } from './session.js';

export { MAX_WALLETS } from './session.js';

const HTML = { parse_mode: 'HTML' } as const;
/** How long a "Rename" waits for the label. */
const PROMPT_SECONDS = 300;
/**
 * A message that is one word of 26–64 letters and digits is meant as an address: it is linked,
 * or told what is wrong with it. Anything else is ordinary text.
 */
const ADDRESS_LIKE = /^[A-Za-z0-9]{26,64}$/;
/** `w:<action>:<index>:<address prefix>`, strictly: an index without leading zeros, a base58 prefix. */
const WALLET_BUTTON = /^w:([a-z]):(0|[1-9]\d?):([1-9A-HJ-NP-Za-km-z]{6})$/;
const ACTIONS_BY_CODE = new Map(Object.entries(WALLET_ACTION_CODES).map(([action, code]) => [code, action])) as Map<
  string,
  WalletAction
>;

/** The reply to an address that is not one: the text as sent (escaped, cut) and what is wrong. */
export function addressProblemReply(ctx: BotContext, text: string, problem: AddressProblem) {
  return ctx.reply(`<code>${escapeHtml(text.slice(0, 64))}</code>: ${ctx.t(`address.${problem}`)}`, HTML);
}

/** The reply to an address that is known not to be a wallet (a program, a mint, a PDA): it is not linked. */
export function nonWalletReply(ctx: BotContext, address: string, known: KnownNonWallet) {
  const reason =
    known.kind === 'off_curve' ? ctx.t('address.off_curve') : ctx.t(`address.${known.kind}`, { name: known.name });
  return ctx.reply(`<code>${escapeHtml(address)}</code>: ${reason}`, HTML);
}

/** The addresses of the user's linked wallets, in the order they were linked. */
export function linkedAddresses(session: SessionData): string[] {
  return (session.wallets ?? []).map((wallet) => wallet.address);
}

function withoutPrompt(session: SessionData): SessionData {
  const { walletPrompt: _, ...rest } = session;
  return rest;
}

function isCommand(message: Message): boolean {
  const first = 'entities' in message ? message.entities?.[0] : undefined;
  return first?.type === 'bot_command' && first.offset === 0;
}

/**
 * The pending "Rename": the next message of the private chat is the wallet's new label. Any
 * button press or command ends the wait (`/cancel` says so, other commands run as usual), and
 * so does a message that is not text, or comes after `PROMPT_SECONDS` (it is then read as
 * usual). A label is 1–32 characters,
 * whitespace collapsed; a longer one is refused and the wait goes on. Mount it ahead of every
 * command, but a pending `/setsecret` goes first: its value must never become a label.
 */
export function walletLabelPrompt(): Composer<BotContext> {
  const prompt = new Composer<BotContext>();
  prompt.on('callback_query', (ctx, next) => {
    if (ctx.session.walletPrompt) ctx.session = withoutPrompt(ctx.session);
    return next();
  });
  prompt.on('message', (ctx, next) => {
    const pending = ctx.session.walletPrompt;
    if (!pending || ctx.chat.type !== 'private' || ctx.session.secretPrompt) return next();
    ctx.session = withoutPrompt(ctx.session);
    const message = ctx.message;
    const text = 'text' in message ? message.text : undefined;
    if (text !== undefined && isCommand(message)) {
      if (/^\/cancel(@\w+)?$/.test(text)) return ctx.reply(ctx.t('wallet.rename_cancelled'));
      return next();
    }
    if (text === undefined || message.date - pending.since > PROMPT_SECONDS) return next();
    const label = text.replace(/\s+/g, ' ').trim();
    const length = [...label].length;
    if (length === 0 || length > MAX_LABEL_CHARS) {
      ctx.session = { ...ctx.session, walletPrompt: pending };
      return ctx.reply(ctx.t('wallet.label_invalid', { max: MAX_LABEL_CHARS }));
    }
    const wallets = ctx.session.wallets ?? [];
    const index = wallets.findIndex((wallet) => wallet.address === pending.address);
    const wallet = wallets[index];
    // Removed meanwhile (from another device, say).
    if (wallet === undefined) return ctx.reply(ctx.t('wallet.gone'));
    const renamed: LinkedWallet = { ...wallet, label };
    ctx.session = { ...ctx.session, wallets: wallets.with(index, renamed) };
    return showScreen(ctx, walletScreen(ctx.t, renamed, index, ctx.t('wallet.renamed')));
  });
  return prompt;
}

/** The wallet a pressed button means, if the session still has it at that index with that prefix. */
function walletButton(ctx: BotContext): { action: WalletAction; index: number; wallet: LinkedWallet } | undefined {
  const query = ctx.callbackQuery;
  const match = query && 'data' in query ? WALLET_BUTTON.exec(query.data) : null;
  if (!match) return undefined;
  const action = ACTIONS_BY_CODE.get(match[1]!);
  const index = Number(match[2]);
  const wallet = ctx.session.wallets?.[index];
  if (!action || !wallet?.address.startsWith(match[3]!)) return undefined;
  return { action, index, wallet };
}

/** Links an address the user sent: into the session, and to the rpc queue to be verified. */
function link(ctx: BotContext, text: string) {
  const check = checkAddress(text);
  if (!check.ok) return addressProblemReply(ctx, text, check.problem);
  const { address } = check;
  // Programs, well-known mints and PDAs are refused at once (no RPC here); the rest the chain tells.
  const known = knownNonWallet(address, check.bytes);
  if (known) return nonWalletReply(ctx, address, known);
  const wallets = ctx.session.wallets ?? [];
  if (wallets.some((wallet) => wallet.address === address)) {
    return ctx.reply(ctx.t('wallet.already', { address }), HTML);
  }
  if (wallets.length >= MAX_WALLETS) return ctx.reply(ctx.t('wallet.limit', { max: MAX_WALLETS }));
  ctx.session = { ...ctx.session, wallets: [...wallets, { address }] };
  ctx.enqueue({
    job: WalletVerifyJob,
    payload: { address, lang: ctx.lang, link: true },
    chatId: ctx.chat?.id ?? null,
    userId: ctx.from?.id ?? null,
  });
  return ctx.reply(ctx.t('wallet.linked', { address, count: wallets.length + 1, max: MAX_WALLETS }), HTML);
}

/**
 * The user's wallets. In a private chat, a message that is just a Solana address links it (at
 * most `MAX_WALLETS`; syntax checked here, the chain checked by `wallet.verify`). `/wallets` and
 * the main menu's button list them; each wallet's screen offers Rename, Remove (confirmed, then
 * `wallet.unlink` takes it out of the verified wallets payouts may go to) and Balance.
 *
 * Buttons carry the wallet's index and address prefix and are checked against the session when
 * pressed: a stale, replayed or forged one (the wallet removed or moved, from this device or
 * another) changes nothing and is answered politely. Every press is answered.
 */
export function walletCommands(): Composer<BotContext> {
  const wallets = new Composer<BotContext>();

  wallets.command('wallets', (ctx) => {
    if (ctx.chat.type !== 'private') return ctx.reply(ctx.t('wallet.private'));
    return showScreen(ctx, walletsScreen(ctx.t, ctx.session.wallets ?? []));
  });

  wallets.action(WALLET_CALLBACK.list, async (ctx) => {
    if (ctx.chat?.type !== 'private') return ctx.answerCbQuery(ctx.t('wallet.private'));
    await ctx.answerCbQuery();
    await replaceScreen(ctx, walletsScreen(ctx.t, ctx.session.wallets ?? []));
  });

  wallets.action(/^w:/, async (ctx) => {
    const pressed = walletButton(ctx);
    if (!pressed) return ctx.answerCbQuery(ctx.t('button.stale'));
    const { action, index, wallet } = pressed;
    const chatId = ctx.chat?.id ?? null;
    const userId = ctx.from.id;
    switch (action) {
      case 'open':
        await ctx.answerCbQuery();
        return replaceScreen(ctx, walletScreen(ctx.t, wallet, index));
      case 'rename': {
        // One prompt at a time: the latest wins (a pending /setsecret is dropped, unanswered).
        const { secretPrompt: _, ...rest } = ctx.session;
        ctx.session = { ...rest, walletPrompt: { address: wallet.address, since: Math.floor(Date.now() / 1000) } };
        await ctx.answerCbQuery();
        return replaceScreen(ctx, renamePromptScreen(ctx.t, wallet, index));
      }
      case 'remove':
        await ctx.answerCbQuery();
        return replaceScreen(ctx, removeConfirmScreen(ctx.t, wallet, index));
      case 'confirm': {
        const left = (ctx.session.wallets ?? []).filter((linked) => linked.address !== wallet.address);
        ctx.session = { ...ctx.session, wallets: left };
        ctx.enqueue({ job: WalletUnlinkJob, payload: { address: wallet.address }, chatId, userId });
        await ctx.answerCbQuery(ctx.t('wallet.removed'));
        return replaceScreen(ctx, walletsScreen(ctx.t, left));
      }
      case 'balance':
        ctx.enqueue({
          job: WalletBalanceJob,
          payload: { addresses: [wallet.address], lang: ctx.lang },
          chatId,
          userId,
        });
        return ctx.answerCbQuery(ctx.t('chain.checking'));
    }
  });

  wallets.on('text', (ctx, next) => {
    const text = ctx.message.text.trim();
    if (ctx.chat.type !== 'private' || !ADDRESS_LIKE.test(text)) return next();
    return link(ctx, text);
  });
  return wallets;
}
